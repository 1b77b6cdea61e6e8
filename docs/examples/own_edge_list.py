"""Your own graph from an edge list (two integer node ids per line), with
or without a feature table, through the Python API and the command line.

    python docs/examples/own_edge_list.py
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from pyg_vgae import GAE, GCNEncoder, Trainer, TrainConfig
from pyg_vgae.data import load_graph_file, split_edges

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

# A toy graph: two dense communities of 60 nodes joined by a few edges.
rng = np.random.default_rng(0)
edges = [(i, j) for block in (0, 60) for i in range(block, block + 60)
         for j in range(i + 1, block + 60) if rng.random() < 0.15]
edges += [(int(rng.integers(60)), int(rng.integers(60, 120)))
          for _ in range(10)]
folder = Path(tempfile.mkdtemp())
edge_file = folder / "graph.csv"
edge_file.write_text("# source,target\n" +
                     "\n".join(f"{i},{j}" for i, j in edges) + "\n")
features = folder / "features.npy"
np.save(features, rng.normal(size=(120, 8)).astype(np.float32))

# Python: duplicates and self-loops are dropped, the graph made undirected.
data = load_graph_file(edge_file, features)
print(data)
train, val, test = split_edges(data, seed=0)
model = GAE(GCNEncoder(data.num_features, 32, 16))
result = Trainer(model, TrainConfig(epochs=args.epochs)).fit(train, val,
                                                              test)
print(f"API: test AUC {result.test_auc:.4f}")

# The command line reads the same files (without --features, a graph gets
# one-hot identity features).
subprocess.run([sys.executable, "-m", "pyg_vgae.cli", "train", "--dataset",
                str(edge_file), "--features", str(features), "--epochs",
                str(args.epochs), "--quiet"], check=True)
