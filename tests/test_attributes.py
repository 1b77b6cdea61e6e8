"""Node-feature reconstruction and DOMINANT-style anomaly scores."""
import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pyg_vgae import cli
from pyg_vgae.attributes import anomaly_scores, inject_anomalies
from pyg_vgae.data import load_dataset
from pyg_vgae.losses import feature_recon_loss
from pyg_vgae.run import Settings, run_seed


@pytest.fixture(scope="module")
def cora(planetoid):
    return load_dataset("Cora", str(planetoid), normalize_features=False)


def _train(data, epochs=200):
    settings = Settings.from_preset("default", "gae", data.num_features,
                                    attr_decoder=True, feature_weight=1.0,
                                    hidden=128, latent=64, epochs=epochs,
                                    select="last", progress=False)
    return run_seed(data, settings, 100, clustering=True)[1]


@pytest.mark.slow
def test_held_out_feature_entries_beat_the_mean_baseline(cora):
    generator = torch.Generator().manual_seed(0)
    observed = torch.rand(cora.x.shape, generator=generator) > 0.1
    data = cora.clone()
    data.x, data.feature_mask = cora.x * observed, observed
    trainer = _train(data)
    with torch.no_grad():
        predicted = torch.sigmoid(trainer.model.attr_decoder(
            trainer.embed(data)))
    hidden = ~observed
    model_auc = roc_auc_score(cora.x[hidden], predicted[hidden])
    frequency = data.x.sum(0) / observed.sum(0).clamp(min=1)
    baseline_auc = roc_auc_score(cora.x[hidden],
                                 frequency.expand_as(cora.x)[hidden])
    assert model_auc > baseline_auc + 0.02, (model_auc, baseline_auc)


@pytest.mark.slow
def test_injected_anomalies_are_found(cora):
    data, is_anomaly = inject_anomalies(cora, seed=0)
    assert int(is_anomaly.sum()) == 150
    assert data.edge_index.size(1) > cora.edge_index.size(1)
    trainer = _train(data)
    with torch.no_grad():
        scores = anomaly_scores(trainer.model, trainer.embed(data), data.x,
                                data.edge_index, alpha=0.5)
    assert roc_auc_score(is_anomaly, scores) > 0.75


def test_feature_loss_ignores_masked_entries():
    out = torch.tensor([[10.0, -10.0], [10.0, 10.0]])
    x = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    mask = torch.tensor([[True, True], [True, False]])
    assert feature_recon_loss(out, x, "bce", mask).item() < 1e-3
    assert feature_recon_loss(out, x, "bce").item() > 1.0


def test_score_command_writes_one_score_per_node(tmp_path, planetoid):
    out = tmp_path / "scores.csv"
    assert cli.main(["score", "--dataset", "Cora", "--root", str(planetoid),
                     "--epochs", "5", "--scores", str(out), "--quiet"]) == 0
    table = np.loadtxt(out, delimiter=",", skiprows=1)
    assert table.shape == (2708, 2) and np.isfinite(table[:, 1]).all()


def test_anomaly_scores_need_an_attribute_decoder():
    from pyg_vgae import GAE, GCNEncoder
    model = GAE(GCNEncoder(4, 8, 4))
    with pytest.raises(ValueError, match="attribute decoder"):
        anomaly_scores(model, torch.randn(3, 4), torch.randn(3, 4),
                       torch.tensor([[0], [1]]))
