"""VGAE link prediction on Cora: train on 85% of the edges, select on 5%,
report AUC and AP on the held-out 10%.

    python docs/examples/vgae_link_prediction.py --root ../shared/data/Planetoid
"""
import argparse

from pyg_vgae import Trainer, TrainConfig, VGAE, VariationalGCNEncoder
from pyg_vgae.data import load_planetoid, split_edges

parser = argparse.ArgumentParser()
parser.add_argument("--root", default=None, help="default: $PYG_VGAE_DATA")
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

data = load_planetoid("Cora", args.root)
train, val, test = split_edges(data, seed=0)

model = VGAE(VariationalGCNEncoder(data.num_features, 32, 16))
# kl_weight=None is the original code's 1 / N.
config = TrainConfig(epochs=args.epochs, lr=0.01, kl_weight=None)
result = Trainer(model, config).fit(train, val, test)

print(f"best epoch {result.best_epoch}: test AUC {result.test_auc:.4f}, "
      f"AP {result.test_ap:.4f}")
assert 0.5 < result.test_auc <= 1.0
