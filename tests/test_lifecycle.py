"""Determinism, checkpoints, resuming, and interrupts of `pyg-vgae train`."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from torch_geometric import seed_everything

from pyg_vgae import GAE, GCNEncoder, Trainer, TrainConfig, cli, load
from pyg_vgae.checkpoint import save
from pyg_vgae.data import split_edges, synthetic_graph
from pyg_vgae.presets import ModelSpec, build_model


def test_same_seed_gives_identical_json_on_cora(planetoid, tmp_path):
    reports = []
    for name in ("a.json", "b.json"):
        path = tmp_path / name
        assert cli.main(["train", "--dataset", "Cora", "--root",
                         str(planetoid), "--seed", "5", "--epochs", "50",
                         "--json", str(path), "--quiet"]) == 0
        reports.append(json.loads(path.read_text()))
    first, second = (report["runs"][0] for report in reports)
    assert first["seed"] == 5
    assert first["test_auc"] == second["test_auc"]
    assert first["test_ap"] == second["test_ap"]
    assert first["best_epoch"] == second["best_epoch"]


def _model(seed: int = 0):
    torch.manual_seed(seed)
    spec = ModelSpec(model="vgae", in_channels=16, hidden=16, latent=8)
    return build_model(spec), spec


@pytest.mark.parametrize("average_decay", [None, 0.8])
def test_resume_continues_exactly(average_decay):
    split = split_edges(synthetic_graph(num_nodes=300, num_features=16))
    config = dict(epochs=20, select="last", progress=False,
                  average_decay=average_decay)

    straight, _ = _model()
    seed_everything(1)
    Trainer(straight, TrainConfig(**config)).fit(*split)

    first_half, spec = _model()
    seed_everything(1)
    trainer = Trainer(first_half, TrainConfig(**{**config, "epochs": 10}))
    trainer.fit(*split)
    state = trainer.state_dict()
    assert state["epochs_done"] == 10

    resumed, _ = _model(seed=123)  # other weights: they must be replaced
    trainer = Trainer(resumed, TrainConfig(**config))
    resumed.load_state_dict(first_half.state_dict())
    trainer.load_state_dict(state)
    result = trainer.fit(*split)
    assert result.history["epoch"] == list(range(1, 21))  # the whole run
    for (name, a), b in zip(straight.state_dict().items(),
                            resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_resume_selects_the_same_epoch_as_a_straight_run():
    # The best-so-far weights, score and patience count are in the state,
    # so selection across the break matches one straight run.
    split = split_edges(synthetic_graph(num_nodes=300, num_features=16))
    config = dict(epochs=20, select="auc", patience=15, progress=False)
    straight, _ = _model()
    seed_everything(1)
    whole = Trainer(straight, TrainConfig(**config)).fit(*split)

    first_half, _ = _model()
    seed_everything(1)
    trainer = Trainer(first_half, TrainConfig(**{**config, "epochs": 10}))
    trainer.fit(*split)
    state = trainer.state_dict()
    resumed, _ = _model(seed=7)
    trainer = Trainer(resumed, TrainConfig(**config))
    trainer.load_state_dict(state)
    result = trainer.fit(*split)
    assert result.best_epoch == whole.best_epoch
    assert (result.val_auc, result.test_auc, result.test_ap) == \
        (whole.val_auc, whole.test_auc, whole.test_ap)
    for key in ("epoch", "loss", "val_auc", "val_ap"):
        assert result.history[key] == whole.history[key], key


def test_resume_refuses_a_finished_run():
    split = split_edges(synthetic_graph(num_nodes=200, num_features=8))
    trainer = Trainer(GAE(GCNEncoder(8, 8, 4)),
                      TrainConfig(epochs=3, progress=False))
    trainer.fit(*split)
    with pytest.raises(ValueError, match="already trained 3 epochs"):
        trainer.fit(*split)


def test_cli_resume_matches_an_uninterrupted_run(tmp_path, capsys):
    common = ["train", "--model", "vgae", "--select", "last", "--quiet"]
    whole, half, resumed = (tmp_path / n for n in ("w.json", "h.pt",
                                                   "r.json"))
    assert cli.main([*common, "--epochs", "30", "--json", str(whole)]) == 0
    assert cli.main([*common, "--epochs", "15", "--save", str(half)]) == 0
    assert cli.main(["train", "--resume", str(half), "--epochs", "30",
                     "--json", str(resumed), "--quiet"]) == 0
    expected = json.loads(whole.read_text())["runs"][0]
    got = json.loads(resumed.read_text())["runs"][0]
    assert got["best_epoch"] == 30
    assert got["test_auc"] == expected["test_auc"]
    assert got["test_ap"] == expected["test_ap"]
    # Nothing left to do: a clear error.
    assert cli.main(["train", "--resume", str(half), "--epochs", "15",
                     "--quiet"]) == 2
    assert "pass --epochs above that" in capsys.readouterr().err


def test_checkpoint_round_trip_without_the_cli(tmp_path):
    model, spec = _model()
    save(tmp_path / "m.pt", model, spec)
    again = load(tmp_path / "m.pt")
    x = torch.randn(5, 16)
    edge_index = torch.tensor([[0, 1, 2], [1, 2, 3]])
    model.eval()
    assert torch.equal(model.encode(x, edge_index),
                       again.encode(x, edge_index))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_cleanly_without_partial_results(tmp_path, sig):
    report = tmp_path / "out.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "pyg_vgae.cli", "train", "--epochs",
         "1000000", "--json", str(report), "--save",
         str(tmp_path / "m.pt")],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    # Wait until training has started (the dataset line is logged first).
    line = process.stderr.readline()
    assert "dataset" in line, line
    time.sleep(2.0)
    process.send_signal(sig)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no JSON, no checkpoint, no temp
