"""A custom encoder: GAE over PyG's GATConv, or any other MessagePassing
layer, through GNNEncoder.

    python docs/examples/gat_encoder.py --root ../shared/data/Planetoid
"""
import argparse

from torch_geometric.nn import GATConv

from pyg_vgae import GAE, GNNEncoder, Trainer, TrainConfig
from pyg_vgae.data import load_planetoid, split_edges

parser = argparse.ArgumentParser()
parser.add_argument("--root", default=None, help="default: $PYG_VGAE_DATA")
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

data = load_planetoid("Cora", args.root)
train, val, test = split_edges(data, seed=0)

# conv="gat" would do the same; any MessagePassing class works, its extra
# arguments (heads, concat...) are passed on to every layer.
encoder = GNNEncoder(data.num_features, 32, 16, conv=GATConv, heads=4,
                     concat=False, dropout=0.1)
model = GAE(encoder)
result = Trainer(model, TrainConfig(epochs=args.epochs, lr=0.005)).fit(
    train, val, test)
print(f"GAT encoder: test AUC {result.test_auc:.4f}, AP {result.test_ap:.4f}")
assert 0.5 < result.test_auc <= 1.0
