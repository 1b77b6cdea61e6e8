"""Accuracy checks on Cora (marked slow; CI runs them)."""
import pytest
from torch_geometric import seed_everything

from pyg_vgae.data import load_dataset, split_edges
from pyg_vgae.presets import ModelSpec, build_model, preset
from pyg_vgae.train import Trainer, TrainConfig


@pytest.mark.slow
def test_paper_gae_reaches_the_papers_cora_auc(planetoid):
    cora = load_dataset("Cora", str(planetoid))
    seed_everything(0)
    spec_fields, train_fields = preset("paper", "gae")
    model = build_model(ModelSpec(model="gae", in_channels=cora.num_features,
                                  **spec_fields))
    result = Trainer(model, TrainConfig(progress=False, **train_fields)).fit(
        *split_edges(cora, seed=0))
    assert result.test_auc >= 0.89
    assert result.test_ap >= 0.88
