"""A large graph with mini-batches: the encoder sees the sampled
neighbourhoods of a batch of edges (pyg_vgae.neighbors), so memory is
bounded by the batch, not the graph.

    python docs/examples/minibatch_large_graph.py --nodes 200000
"""
import argparse

from pyg_vgae import GAE, GCNEncoder, Trainer, TrainConfig
from pyg_vgae.data import split_edges, synthetic_graph

parser = argparse.ArgumentParser()
parser.add_argument("--nodes", type=int, default=50_000)
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

data = synthetic_graph(num_nodes=args.nodes, num_blocks=20, avg_degree=10)
train, val, test = split_edges(data, seed=0)
model = GAE(GCNEncoder(data.num_features, 64, 32))
config = TrainConfig(epochs=args.epochs, batch_size=4096,
                     num_neighbors=(10, 5), lr=0.005)
result = Trainer(model, config).fit(train, val, test)
print(f"{args.nodes} nodes, mini-batches of 4096 edges: test AUC "
      f"{result.test_auc:.4f} after {args.epochs} epochs "
      f"({result.epoch_time_ms / 1000:.1f} s per epoch)")
assert 0.5 < result.test_auc <= 1.0
