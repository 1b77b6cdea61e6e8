"""Link prediction on a heterogeneous graph: users rate items and follow
each other; one HeteroGAE with an encoder built by ``to_hetero`` predicts
both edge types, each with its own decoder and its own negatives.

    python docs/examples/hetero_links.py
"""
import argparse

import torch
import torch_geometric.transforms as T
from torch_geometric.nn import SAGEConv, to_hetero

from pyg_vgae import TrainConfig
from pyg_vgae.data.synthetic import synthetic_hetero_graph
from pyg_vgae.hetero import DistMultDecoder, HeteroGAE, hetero_link_labels
from pyg_vgae.train.hetero import HeteroTrainer

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=200)
parser.add_argument("--seed", type=int, default=100)
args = parser.parse_args()
torch.manual_seed(args.seed)

data = synthetic_hetero_graph(seed=args.seed)
rates, follows = ("user", "rates", "item"), ("user", "follows", "user")

# PyG's split, as its documentation shows for HeteroData: the reverse
# edges of a held-out rating leave message passing with it.
train, val, test = T.RandomLinkSplit(
    num_val=0.05, num_test=0.1, is_undirected=True,
    add_negative_train_samples=False, edge_types=[rates, follows],
    rev_edge_types=[("item", "rev_rates", "user"), None])(data)


class GNN(torch.nn.Module):
    def __init__(self, hidden: int = 64, latent: int = 32):
        super().__init__()
        self.conv1 = SAGEConv((-1, -1), hidden)
        self.conv2 = SAGEConv((-1, -1), latent)

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


# One embedding per node type; ratings get a learnable relation diagonal,
# follows the plain inner product.
model = HeteroGAE(to_hetero(GNN(), data.metadata()), [rates, follows],
                  decoders={rates: DistMultDecoder(32)})
result = HeteroTrainer(model, TrainConfig(
    epochs=args.epochs, lr=0.01, progress=False)).fit(train, val, test)
print(f"best epoch {result.best_epoch}: mean test AUC "
      f"{result.test_auc:.3f}, AP {result.test_ap:.3f}")

model.eval()
z_dict = model.encode(test.x_dict, test.edge_index_dict)
pos, neg = hetero_link_labels(test, model.edge_types)
for edge_type, (auc, ap) in model.test_per_type(z_dict, pos, neg).items():
    print(f"{edge_type}: test AUC {auc:.3f}, AP {ap:.3f}")
