"""The benchmark scripts' own logic: what a row means, how a cell is
filled and how a table marks what it estimates."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import linkpred  # noqa: E402
import minibatch_memory  # noqa: E402

from pyg_vgae.data import split_edges, synthetic_graph  # noqa: E402


def test_linkpred_shares_runs_between_presets_with_the_same_settings(
        tmp_path):
    data = synthetic_graph(60)
    run = {"seed": 100, "auc": 0.9, "ap": 0.8, "seconds": 3.0}
    records = [{"dataset": "G", "model": "arga", "preset": "paper",
                "runs": [run]},
               {"dataset": "G", "model": "gae", "preset": "paper",
                "runs": [dict(run)]}]
    # ARGA's `best` is its `paper` preset: the run is reused, marked.
    shared = linkpred.shared_run(records, "arga", "best", data, 100)
    assert shared == {"auc": 0.9, "ap": 0.8, "seconds": 3.0,
                      "same_as": "paper"}
    # Other settings, another model or a seed not run: train afresh.
    assert linkpred.shared_run(records, "arga", "default", data, 100) is None
    assert linkpred.shared_run(records, "gae", "best", data, 100) is None
    assert linkpred.shared_run(records, "arga", "best", data, 101) is None
    records.append({"dataset": "G", "model": "arga", "preset": "best",
                    "runs": [{"seed": 100, **shared}]})
    (tmp_path / "linkpred_G.json").write_text(
        json.dumps({"meta": {}, "results": records}))
    table = linkpred.render(tmp_path)
    assert "| G | ARGA | best (= paper) | 90.0" in table
    assert "| G | ARGA | paper | 90.0" in table


def test_linkpred_keeps_cells_of_earlier_settings_apart(tmp_path):
    data = synthetic_graph(60)
    run = {"seed": 100, "auc": 0.9, "ap": 0.8, "seconds": 3.0}
    older = {"dataset": "G", "model": "arga", "preset": "paper",
             "older_settings": "weight decay 5e-5", "runs": [run]}
    # Runs of earlier settings are never reused for the preset as it is.
    assert linkpred.shared_run([older], "arga", "best", data, 100) is None
    current = {"dataset": "G", "model": "arga", "preset": "paper",
               "runs": [{**run, "auc": 0.95}]}
    (tmp_path / "linkpred_G.json").write_text(
        json.dumps({"meta": {}, "results": [older, current]}))
    table = linkpred.render(tmp_path)
    assert "| G | ARGA | paper (weight decay 5e-5) | 90.0" in table
    assert "| G | ARGA | paper | 95.0" in table


def test_linkpred_keeps_the_seeds_another_process_wrote(tmp_path,
                                                        monkeypatch):
    # Two runs on one dataset, each in its own process: while this one
    # trains, the other writes a seed of its own cell to the same file.
    path = tmp_path / "linkpred_G.json"
    other = {"seed": 100, "auc": 0.7, "ap": 0.7, "seconds": 1.0}

    def train(model, data, label, seed):
        linkpred.update_results(path, lambda records: records.append(
            {"dataset": "G", "model": "vgae", "preset": "best",
             "runs": [dict(other, seed=seed)]}) if seed == 100 else None)
        return {"auc": 0.9, "ap": 0.8, "seconds": 2.0}

    monkeypatch.setattr(linkpred, "run_ours", train)
    monkeypatch.setattr(linkpred, "shared_run", lambda *args: None)
    monkeypatch.setattr(linkpred, "load_dataset",
                        lambda *args, **kwargs: synthetic_graph(40))
    args = SimpleNamespace(seed=100, redo=False, models=["gae"],
                           presets=["best"], root=None)
    linkpred.benchmark_dataset("G", args, range(100, 102), tmp_path)

    def cells(key):
        return {(r["model"], r["preset"]): [run[key] for run in r["runs"]]
                for r in json.loads(path.read_text())["results"]}

    assert cells("seed") == {("gae", "best"): [100, 101],
                             ("vgae", "best"): [100]}
    linkpred.benchmark_dataset("G", args, range(100, 102), tmp_path)
    assert cells("seed")[("gae", "best")] == [100, 101]  # none run twice
    args.redo = True  # a redo empties its own cells only
    monkeypatch.setattr(linkpred, "run_ours", lambda *a: {
        "auc": 0.5, "ap": 0.5, "seconds": 1.0})
    linkpred.benchmark_dataset("G", args, range(100, 101), tmp_path)
    assert cells("auc") == {("gae", "best"): [0.5], ("vgae", "best"): [0.7]}


def test_minibatch_rows_parse_and_refuse_malformed_ones():
    assert minibatch_memory.parse_config("1024:5,5") == (1024, [5, 5])
    assert minibatch_memory.parse_config("full") == (0, [])
    for bad in ("many:5", "1024", "1024:", "1024:5,x", "0:5", "64:0"):
        with pytest.raises(ValueError, match="BATCH:FANOUTS"):
            minibatch_memory.parse_config(bad)


def test_a_batch_subgraph_is_bounded_by_the_batch_and_fanouts():
    torch.manual_seed(0)
    train, _, _ = split_edges(synthetic_graph(3000, avg_degree=10), seed=0)
    nodes, edges = minibatch_memory.subgraph_size(train, 16, [3, 2])
    # 16 edges and 16 negatives: 64 end points, each with at most 3
    # neighbours, each of those with at most 2.
    assert nodes <= 64 * (1 + 3 + 3 * 2)
    assert edges <= 64 * (3 + 3 * 2)
    assert nodes < train.num_nodes / 4 and edges > 0


def test_minibatch_table_marks_estimated_epochs():
    rows = [{"batch_size": 0, "num_neighbors": [], "nodes": 10, "threads": 2,
             "step_s": 1.5, "epoch_s": 1.5, "epoch_estimated": False,
             "train_peak_gib": 3.0},
            {"batch_size": 1024, "num_neighbors": [5, 5], "nodes": 10,
             "threads": 2, "step_s": 0.1, "epoch_s": 800.0,
             "epoch_estimated": True, "train_peak_gib": 2.5,
             "subgraph_nodes": 1000.4, "subgraph_edges": 2000}]
    table = minibatch_memory.render(rows)
    assert "| full batch | 2 | the whole graph | 1.5 | 1.5 | 3.00 |" in table
    assert "| 1,024 edges, fan-outs 5+5 | 2 | 1,000 / 2,000 | 0.1 | " \
        "800 (est.) | 2.50 |" in table


def test_linkpred_fills_a_new_cell_beside_one_of_earlier_settings(
        tmp_path, monkeypatch):
    from types import SimpleNamespace
    monkeypatch.setattr(linkpred, "load_dataset",
                        lambda *args, **kwargs: synthetic_graph(60))
    monkeypatch.setattr(linkpred, "run_ours", lambda *args: {
        "auc": 0.95, "ap": 0.9, "seconds": 1.0})
    older = {"dataset": "G", "model": "gae", "preset": "best",
             "older_settings": "weight decay 5e-5",
             "runs": [{"seed": 100, "auc": 0.9, "ap": 0.8, "seconds": 3.0}]}
    (tmp_path / "linkpred_G.json").write_text(
        json.dumps({"meta": {}, "results": [older]}))
    for redo in (False, True):
        args = SimpleNamespace(seed=100, models=["gae"], presets=["best"],
                               redo=redo, root=None)
        linkpred.benchmark_dataset("G", args, range(100, 102), tmp_path)
        records = json.loads(
            (tmp_path / "linkpred_G.json").read_text())["results"]
        assert records[0] == older  # kept as it was, also by --redo
        assert [run["seed"] for run in records[1]["runs"]] == [100, 101]
        assert "older_settings" not in records[1] and len(records) == 2


def test_linkpred_records_validation_beside_test_scores():
    data = synthetic_graph(80)
    result = linkpred.run_ours("gae", data, "default", 100)
    for key in ("auc", "ap", "val_auc", "val_ap"):
        assert 0.5 < result[key] <= 1.0, (key, result)
    assert result["val_auc"] != result["auc"]  # two splits, two scores


def test_maskgae_masks_directed_edges_and_shows_the_rest_undirected():
    from maskgae import mask_edges
    from torch_geometric.utils import is_undirected
    edge_index = synthetic_graph(2000).edge_index
    torch.manual_seed(0)
    visible, masked = mask_edges(edge_index, 0.7)
    assert 0.67 < masked.size(1) / edge_index.size(1) < 0.73
    assert is_undirected(visible)
    every = {tuple(pair) for pair in edge_index.t().tolist()}
    shown = {tuple(pair) for pair in visible.t().tolist()}
    hidden = [tuple(pair) for pair in masked.t().tolist()]
    assert set(hidden) <= every and shown <= every
    # the encoder sees the unmasked directed edges, each both ways
    unmasked = every - set(hidden)
    assert shown == unmasked | {(j, i) for i, j in unmasked}


def test_maskgae_peer_learns_and_gives_each_seed_a_fresh_model():
    from maskgae import MaskGAESettings, run_maskgae
    data = synthetic_graph(300)
    short = MaskGAESettings(epochs=30)
    first = run_maskgae(data, 100, short)
    again = run_maskgae(data, 100, short)
    other = run_maskgae(data, 101, short)
    # a block model of 5 blocks, 90 % of edges inside: about 0.9 at best
    assert first["auc"] > 0.8 and other["auc"] > 0.8
    assert 0.8 < first["val_auc"] <= 1
    assert {k: v for k, v in first.items() if k != "seconds"} == \
        {k: v for k, v in again.items() if k != "seconds"}
    assert first["auc"] != other["auc"]


def test_linkpred_renders_the_maskgae_peer_as_its_own_method(tmp_path):
    run = {"seed": 100, "auc": 0.9, "ap": 0.8, "seconds": 3.0}
    records = [{"dataset": "Cora", "model": "gae", "preset": "MaskGAE",
                "runs": [run]}]
    (tmp_path / "linkpred_Cora.json").write_text(
        json.dumps({"meta": {}, "results": records}))
    row = next(line for line in linkpred.render(tmp_path).splitlines()
               if "| MaskGAE |" in line)
    # beside it MaskGAE's published score, not the GAE paper's
    assert row.startswith("| Cora | MaskGAE | peer (benchmarks/maskgae.py)"
                          " | 90.0")
    assert row.endswith("| 96.4 / 96.2 (one split) |")
