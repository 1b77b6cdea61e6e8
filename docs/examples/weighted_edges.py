"""Weighted edges: a graph whose weights, not its topology, separate two
groups; the weighted model uses the weights in its encoder and
reconstructs them, the plain model cannot.

    python docs/examples/weighted_edges.py
"""
import argparse

import torch
from torch_geometric.data import Data

from pyg_vgae.data import split_edges, synthetic_graph
from pyg_vgae.run import Settings, run_seed, weight_error

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=300)
args = parser.parse_args()

base = synthetic_graph(num_nodes=400, num_blocks=4, seed=3)
group = torch.randperm(400, generator=torch.Generator().manual_seed(1)) < 200
src, dst = base.edge_index
weight = torch.where(group[src] == group[dst], 1.0, 0.2)
data = Data(x=torch.eye(400), edge_index=base.edge_index,
            edge_weight=weight, num_nodes=400)
data.name = "hidden-groups"

# Weights in [0, 1]: the Bernoulli (bce) likelihood fits them; poisson is
# for counts, gaussian for real-valued weights.
weighted = Settings.from_preset(
    "default", "gae", data.num_features, hidden=64, latent=32,
    epochs=args.epochs, select="last", weight_likelihood="bce",
    progress=False)
run, _ = run_seed(data, weighted, seed=100)
print(f"weighted (bce): test weight MSE {run['test_weight_mse']:.4f}, "
      f"test AUC {run['test_auc']:.3f}")

# The plain model predicts an edge probability for every edge's weight.
plain = Settings.from_preset("default", "gae", data.num_features, hidden=64,
                             latent=32, epochs=args.epochs, select="last",
                             progress=False)
run, trainer = run_seed(data, plain, seed=100)
test = split_edges(data, seed=100)[2]
print(f"plain: test weight MSE {weight_error(trainer, test, 'bce'):.4f}, "
      f"test AUC {run['test_auc']:.3f}")
