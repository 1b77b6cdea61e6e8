"""Generating graphs from a trained VGAE: sample z ~ N(0, I) for new nodes
and draw each pair as an edge with the decoder's probability.

    python docs/examples/generate_graphs.py
"""
import argparse

import torch
from torch_geometric.utils import degree

from pyg_vgae import Trainer, TrainConfig, VGAE, VariationalGCNEncoder
from pyg_vgae.data import split_edges, synthetic_graph

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

data = synthetic_graph(num_nodes=500, avg_degree=8)  # needs no download
train, val, test = split_edges(data, seed=0)
model = VGAE(VariationalGCNEncoder(data.num_features, 32, 8))
# A KL weight of 1 pulls the posterior onto the prior the generator samples.
Trainer(model, TrainConfig(epochs=args.epochs, kl_weight=1.0)).fit(
    train, val, test)

generator = torch.Generator().manual_seed(0)
edge_index = model.generate(500, generator=generator)  # memory: O(budget)
mean_degree = degree(edge_index[0], 500).mean().item()
print(f"generated {edge_index.size(1) // 2} edges, mean degree "
      f"{mean_degree:.1f} (training graph: "
      f"{data.num_edges / data.num_nodes:.1f})")
assert edge_index.size(0) == 2
