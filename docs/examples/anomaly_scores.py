"""Anomaly scores from two reconstruction errors (as DOMINANT): Cora with
injected cliques (structural anomalies) and swapped features (attribute
anomalies), scored by a GAE with an attribute decoder.

    python docs/examples/anomaly_scores.py --root ../shared/data
"""
import argparse

import torch
from sklearn.metrics import roc_auc_score

from pyg_vgae.attributes import anomaly_scores, inject_anomalies
from pyg_vgae.data import load_dataset
from pyg_vgae.run import Settings, run_seed

parser = argparse.ArgumentParser()
parser.add_argument("--root", default=None, help="default: $PYG_VGAE_DATA")
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

cora = load_dataset("Cora", args.root, normalize_features=False)
data, is_anomaly = inject_anomalies(cora, seed=0)
settings = Settings.from_preset("default", "gae", data.num_features,
                                attr_decoder=True, feature_weight=1.0,
                                hidden=128, latent=64, epochs=args.epochs,
                                select="last", progress=False)
_, trainer = run_seed(data, settings, seed=100, clustering=True)
with torch.no_grad():
    z = trainer.embed(data)
    for alpha in (0.0, 0.5, 1.0):
        scores = anomaly_scores(trainer.model, z, data.x, data.edge_index,
                                alpha=alpha)
        print(f"alpha {alpha}: ROC-AUC {roc_auc_score(is_anomaly, scores):.3f}")
random = torch.rand(data.num_nodes, generator=torch.Generator().manual_seed(0))
print(f"random scores: ROC-AUC {roc_auc_score(is_anomaly, random):.3f}")
