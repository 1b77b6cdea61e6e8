"""ARGVA node clustering on Cora: train on the whole graph with the ARGA
paper's schedule, then k-means on the embeddings.

    python docs/examples/argva_clustering.py --root ../shared/data/Planetoid
"""
import argparse

from pyg_vgae import Trainer, TrainConfig
from pyg_vgae.data import load_planetoid
from pyg_vgae.metrics import cluster_embeddings
from pyg_vgae.presets import ModelSpec, build_model, preset, preset_data

parser = argparse.ArgumentParser()
parser.add_argument("--root", default=None, help="default: $PYG_VGAE_DATA")
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

spec_fields, train_fields = preset("paper", "argva")
data = load_planetoid("Cora", args.root,
                      **preset_data("paper", "argva"))  # raw features
model = build_model(ModelSpec(model="argva", in_channels=data.num_features,
                              **spec_fields))
train_fields["epochs"] = args.epochs
trainer = Trainer(model, TrainConfig(**train_fields))
trainer.fit(data)  # no edges held out: clustering uses the whole graph

z = trainer.embed(data)  # mu of every node
scores = cluster_embeddings(z, data.y, num_clusters=data.num_classes)
print({name: round(value, 3) for name, value in scores.items()})
assert 0.0 <= scores["acc"] <= 1.0
