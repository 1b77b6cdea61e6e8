"""Directed link prediction: a source/target decoder against the symmetric
inner product on a citation-like graph (each node cites older, popular
nodes), scored on the three directed tasks of Salha et al. (2019).

    python docs/examples/directed_citations.py
"""
import argparse
import random

import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce

from pyg_vgae.run import Settings, run_seed

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=150)
parser.add_argument("--nodes", type=int, default=400)
args = parser.parse_args()

rng = random.Random(0)
edges = torch.tensor([(i, int(rng.random() ** 2 * i))
                      for i in range(1, args.nodes) for _ in range(3)]).t()
edges = coalesce(edges[:, edges[0] != edges[1]], num_nodes=args.nodes)
data = Data(x=torch.eye(args.nodes), edge_index=edges, num_nodes=args.nodes)
data.name = "citations"

print(f"{'decoder':<15}{'general':>9}{'biased':>9}{'bidirect.':>11}")
for decoder in ("inner", "source_target", "gravity"):
    settings = Settings.from_preset("default", "gae", data.num_features,
                                    decoder=decoder, epochs=args.epochs,
                                    progress=False)
    run, _ = run_seed(data, settings, seed=100, directed=True)
    print(f"{decoder:<15}{run['test_general_auc']:>9.3f}"
          f"{run.get('test_biased_auc', float('nan')):>9.3f}"
          f"{run.get('test_bidirectional_auc', float('nan')):>11.3f}")
