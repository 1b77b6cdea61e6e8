"""Datasets by name offline (PyG's Amazon / Coauthor classes, OGB with its
official split and Evaluator), TensorBoard logs, re-running a result from
its JSON, and progress output that suits a log file."""
import json
import subprocess
import sys

import pytest

from pyg_vgae import cli
from pyg_vgae.data import load_dataset, split_edges
from pyg_vgae.progress import LogProgress
from pyg_vgae.run import Settings, run_seed


@pytest.mark.parametrize("name, counts", [
    ("Photo", (7650, 238162, 745, 8)),
    ("Computers", (13752, 491722, 767, 10)),
    ("CS", (18333, 163788, 6805, 15)),
])
def test_named_datasets_load_offline_without_writing_there(
        data_root, name, counts):
    before = sorted(p.relative_to(data_root) for p in data_root.rglob("*"))
    graph = load_dataset(name, str(data_root))
    assert (graph.num_nodes, graph.num_edges, graph.num_features,
            graph.num_classes) == counts
    assert graph.name == name
    after = sorted(p.relative_to(data_root) for p in data_root.rglob("*"))
    assert after == before


def test_a_family_folder_still_works_as_root(data_root):
    graph = load_dataset("Cora", str(data_root / "Planetoid"))
    assert graph.num_nodes == 2708
    # A root that is another family's folder finds its sibling.
    assert load_dataset("Photo", str(data_root / "Planetoid")).num_nodes \
        == 7650


def test_ogbl_ddi_uses_the_official_split_and_evaluator(data_root):
    graph = load_dataset("ogbl-ddi", str(data_root))
    assert graph.num_nodes == 4267 and graph.eval_metric == "hits@20"
    train, val, test = split_edges(graph, seed=3)
    assert train.pos_edge_label_index.size(1) == 1067911
    assert (val.pos_edge_label_index.size(1),
            val.neg_edge_label_index.size(1)) == (133489, 101882)
    assert test.neg_edge_label_index.size(1) == 95599
    assert train.edge_index.size(1) == 2 * 1067911
    settings = Settings.from_preset("default", "gae", graph.num_features,
                                    epochs=2, hidden=16, latent=8,
                                    progress=False)
    run, _ = run_seed(graph, settings, seed=0)
    assert 0.0 <= run["test_hits@20"] <= 1.0
    assert 0.5 < run["test_auc"] <= 1.0


def test_photo_through_the_command_line(data_root, tmp_path):
    report = tmp_path / "r.json"
    assert cli.main(["train", "--dataset", "Photo", "--root", str(data_root),
                     "--epochs", "5", "--quiet", "--json",
                     str(report)]) == 0
    result = json.loads(report.read_text())
    assert result["dataset"] == "Photo"
    assert 0.5 < result["runs"][0]["test_auc"] <= 1


def test_log_dir_writes_tensorboard_events(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    logs = tmp_path / "logs"
    assert cli.main(["train", "--model", "vgae", "--epochs", "6", "--quiet",
                     "--log-dir", str(logs)]) == 0
    events = EventAccumulator(str(logs / "seed_0"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/loss_recon", "train/loss_kl", "train/lr",
            "val/val_auc", "val/val_ap"} <= tags
    assert [e.step for e in events.Scalars("train/loss")] == list(
        range(1, 7))
    assert all(0 <= e.value <= 1 for e in events.Scalars("val/val_auc"))
    projector = logs / "seed_0" / "projector_config.pbtxt"
    assert projector.is_file()
    metadata = next((logs / "seed_0").rglob("metadata.tsv"))
    assert len(metadata.read_text().splitlines()) == 1000  # one per node


def test_config_repeats_a_run_and_flags_override(tmp_path, caplog):
    first, second, third = (tmp_path / f"{n}.json" for n in "abc")
    assert cli.main(["train", "--model", "vgae", "--epochs", "12",
                     "--hidden", "24", "--seed", "4", "--quiet", "--json",
                     str(first)]) == 0
    assert cli.main(["train", "--config", str(first), "--quiet", "--json",
                     str(second)]) == 0
    a, b = (json.loads(p.read_text()) for p in (first, second))
    assert a["runs"][0]["test_auc"] == b["runs"][0]["test_auc"]
    assert b["config"]["hidden"] == 24 and b["runs"][0]["seed"] == 4
    with caplog.at_level("INFO", logger="pyg_vgae"):
        assert cli.main(["train", "--config", str(first), "--epochs", "5",
                         "--json", str(third)]) == 0
    assert "--epochs 5 overrides the config's 12" in caplog.text
    assert json.loads(third.read_text())["config"]["epochs"] == 5


def test_log_progress_writes_a_few_lines(capsys):
    import io
    sink = io.StringIO()
    bar = LogProgress(range(200), "GAE", file=sink, min_seconds=0.0)
    for step in bar:
        bar.set_postfix(loss=step)
    assert 1 <= len(sink.getvalue().splitlines()) <= 10


def test_a_logged_run_has_few_progress_lines(tmp_path):
    log = tmp_path / "log.txt"
    with open(log, "w") as handle:
        done = subprocess.run([sys.executable, "-m", "pyg_vgae", "train",
                               "--epochs", "200"], stderr=handle,
                              stdout=subprocess.DEVNULL, timeout=600)
    assert done.returncode == 0
    lines = log.read_text().splitlines()
    assert len(lines) <= 20, lines
    assert "\r" not in log.read_text()
