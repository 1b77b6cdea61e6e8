"""Link prediction: every model x preset x dataset over report seeds,
beside PyG's own GAE / VGAE trained as its examples/autoencoder.py does (400
epochs) and the published numbers.

    python benchmarks/linkpred.py --root ../shared/data --seeds 10 \
        --datasets Cora CiteSeer Photo Computers CS

Report seeds start at 100 (the sweep tunes on seeds below 100). Each run is
``pyg_vgae.run.run_seed``: an independent random 85/5/10 split and a fresh
model per seed, selection as the preset says (``paper``: the last epoch;
the others: the best validation AUC); test edges are scored once, at the
end. ``ogbl-ddi`` uses its official split and reports OGB's Hits@20.
Writes ``benchmarks/results/linkpred_<dataset>.json`` and renders all of
them into ``benchmarks/results/linkpred.md`` (mean +- std in %, seconds
per run, runs).

A cell trained with a preset's earlier settings keeps its runs under an
``older_settings`` note (what differed), rendered beside the preset's
name; a run of the preset as it is now fills a cell of its own.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch_geometric.nn as pyg_nn
from torch_geometric import seed_everything

from torch_geometric.nn import GCNConv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, markdown_table, mean_std  # noqa: E402
from maskgae import run_maskgae  # noqa: E402

from pyg_vgae.data import load_dataset, split_edges  # noqa: E402
from pyg_vgae.presets import preset_data  # noqa: E402
from pyg_vgae.run import Settings, run_seed  # noqa: E402

#: Published test AUC / AP (%). The GAE / VGAE / ARGA / ARGVA papers: an
#: 85/5/10 split, mean of 10 runs. MaskGAE (KDD 2023, edge masking) and
#: S2GAE (WSDM 2023): one fixed split for all runs.
PUBLISHED = {
    ("Cora", "MaskGAE"): "96.4 / 96.2 (one split)",
    ("CiteSeer", "MaskGAE"): "97.8 / 98.0 (one split)",
    ("Cora", "S2GAE"): "95.1 / 95.0 (one split)",
    ("CiteSeer", "S2GAE"): "95.6 / 95.9 (one split)",
    ("ogbl-ddi", "S2GAE"): "Hits@20 65.9",
    ("ogbl-ddi", "OGB GCN auto-encoder"): "Hits@20 37.1",
}
#: Peer rows: the models each has a row for, and whether it normalises the
#: features, as its own script does.
PEERS = {"PyG": (("gae", "vgae"), True), "MaskGAE": (("gae", ), False)}
PAPER = {  # test AUC / AP (%) of the papers, 85/5/10 split, mean of 10 runs
    ("gae", "Cora"): (91.0, 92.0), ("gae", "CiteSeer"): (89.5, 89.9),
    ("vgae", "Cora"): (91.4, 92.6), ("vgae", "CiteSeer"): (90.8, 92.0),
    ("arga", "Cora"): (92.4, 93.2), ("arga", "CiteSeer"): (91.9, 93.0),
    ("argva", "Cora"): (92.4, 92.6), ("argva", "CiteSeer"): (92.4, 93.0),
}


class PyGEncoder(torch.nn.Module):
    """The encoders of PyG's examples/autoencoder.py, on PyG's GCNConv."""

    def __init__(self, in_channels: int, out_channels: int,
                 variational: bool, cached: bool = False):
        super().__init__()
        self.variational = variational
        self.conv1 = GCNConv(in_channels, 2 * out_channels, cached=cached)
        self.conv_mu = GCNConv(2 * out_channels, out_channels, cached=cached)
        self.conv_logstd = GCNConv(2 * out_channels, out_channels,
                                   cached=cached) if variational else None

    def forward(self, x, edge_index):
        hidden = self.conv1(x, edge_index).relu()
        if self.variational:
            return (self.conv_mu(hidden, edge_index),
                    self.conv_logstd(hidden, edge_index))
        return self.conv_mu(hidden, edge_index)


def run_ours(model: str, data, preset_name: str, seed: int) -> dict:
    settings = Settings.for_graph(preset_name, model, data, progress=False)
    run, _ = run_seed(data, settings, seed)
    # The validation scores too: beside the test scores they show how much
    # selecting on validation edges flatters them.
    result = {"auc": run["test_auc"], "ap": run["test_ap"],
              "val_auc": run["val_auc"], "val_ap": run["val_ap"],
              "seconds": run["seconds"], "best_epoch": run["best_epoch"],
              "epoch_time_ms": run["epoch_time_ms"]}
    if "test_hits@20" in run:
        result["hits@20"] = run["test_hits@20"]
    return result


def shared_run(records: list[dict], model: str, label: str, data,
               seed: int) -> dict | None:
    """The run of ``seed`` in another preset's cell whose settings for
    ``model`` on ``data`` are the very same as ``label``'s (for ARGA and
    ARGVA, ``best`` is ``paper``): training it again would repeat the
    same computation bit for bit. Marked with the preset it came from."""
    def settings(name: str):
        return (Settings.for_graph(name, model, data, progress=False),
                preset_data(name, model))

    mine = settings(label)
    for record in records:
        if record["model"] != model or record["preset"] in (label, "PyG") \
                or "older_settings" in record:
            continue
        run = next((run for run in record["runs"] if run["seed"] == seed
                    and "same_as" not in run), None)
        if run is not None and settings(record["preset"]) == mine:
            return {**{k: v for k, v in run.items() if k != "seed"},
                    "same_as": record["preset"]}
    return None


def pyg_example_step(net, optimizer, train, variational: bool) -> None:
    """One training step of PyG's examples/autoencoder.py."""
    net.train()
    optimizer.zero_grad()
    z = net.encode(train.x, train.edge_index)
    loss = net.recon_loss(z, train.pos_edge_label_index)
    if variational:
        loss = loss + (1 / train.num_nodes) * net.kl_loss()
    loss.backward()
    optimizer.step()


def run_pyg(model: str, data, seed: int, epochs: int = 400) -> dict:
    """PyG's GAE / VGAE, as its examples/autoencoder.py trains them, with the
    test score taken at the best validation epoch."""
    seed_everything(seed)
    train, val, test = split_edges(data, seed=seed)
    variational = model == "vgae"
    encoder = PyGEncoder(data.num_features, 16, variational)
    net = (pyg_nn.VGAE if variational else pyg_nn.GAE)(encoder)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    best = (-1.0, None, None)
    start = time.perf_counter()
    for _ in range(epochs):
        pyg_example_step(net, optimizer, train, variational)
        net.eval()
        with torch.no_grad():
            z = net.encode(val.x, val.edge_index)
            val_auc, _ = net.test(z, val.pos_edge_label_index,
                                  val.neg_edge_label_index)
            if val_auc > best[0]:
                z = net.encode(test.x, test.edge_index)
                best = (val_auc, *net.test(z, test.pos_edge_label_index,
                                           test.neg_edge_label_index))
    return {"auc": float(best[1]), "ap": float(best[2]),
            "seconds": time.perf_counter() - start}


def cell(runs: list[dict], key: str) -> str:
    return mean_std([run[key] for run in runs])


def render(out: Path) -> str:
    """The Markdown table of every ``linkpred_*.json`` under ``out``."""
    rows = []
    for path in sorted(out.glob("linkpred_*.json")):
        for record in json.loads(path.read_text())["results"]:
            runs = record["runs"]
            paper = PAPER.get((record["model"], record["dataset"]))
            paper = f"{paper[0]} / {paper[1]}" if paper else "-"
            sources = {run.get("same_as") for run in runs}
            preset = record["preset"]
            if len(sources) == 1 and None not in sources:
                preset += f" (= {sources.pop()})"
            if "older_settings" in record:
                preset += f" ({record['older_settings']})"
            model = record["model"].upper()
            if record["preset"] == "MaskGAE":  # a peer, not a preset of ours
                model, preset = "MaskGAE", "peer (benchmarks/maskgae.py)"
                paper = PUBLISHED.get((record["dataset"], "MaskGAE"), "-")
            rows.append([
                record["dataset"], model, preset,
                cell(runs, "auc"), cell(runs, "ap"),
                cell(runs, "hits@20") if "hits@20" in runs[0] else "-",
                f"{np.mean([r['seconds'] for r in runs]):.1f}", len(runs),
                paper])
    return markdown_table(["dataset", "model", "preset", "test AUC (%)",
                           "test AP (%)", "Hits@20 (%)", "s / run", "runs",
                           "paper AUC / AP"], rows)


def render_published() -> str:
    """Published numbers of other protocols, beside the table."""
    return markdown_table(
        ["dataset", "method", "published test score (%)"],
        [[dataset, method, value]
         for (dataset, method), value in PUBLISHED.items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None)
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--models", nargs="+",
                        default=["gae", "vgae", "arga", "argva"])
    parser.add_argument("--presets", nargs="+",
                        default=["default", "paper", "best", "PyG"],
                        help="presets of ours, PyG for PyG's own models and "
                        "MaskGAE for the peer of benchmarks/maskgae.py (a "
                        "GAE row)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=100,
                        help="first report seed (the sweep tunes below 100)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--render", action="store_true",
                        help="only rebuild linkpred.md from the JSON files")
    parser.add_argument("--redo", action="store_true",
                        help="run again the cells of --models x --presets "
                        "already in the JSON (default: keep them)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.render:
        seeds = range(args.seed, args.seed + args.seeds)
        for dataset in args.datasets:
            benchmark_dataset(dataset, args, seeds, out)
    (out / "linkpred.md").write_text(render(out))
    (out / "linkpred_published.md").write_text(render_published())
    print(render(out))


def _find_cell(records: list[dict], dataset: str, model: str,
               label: str) -> dict:
    """The cell of ``model`` x ``label`` as the preset is now (made empty
    where there is none)."""
    record = next((r for r in records if r["model"] == model
                   and r["preset"] == label
                   and "older_settings" not in r), None)
    if record is None:
        record = {"dataset": dataset, "model": model, "preset": label,
                  "runs": []}
        records.append(record)
    return record


def update_results(path: Path, change) -> list[dict]:
    """Read the records at ``path``, apply ``change`` to them and write
    them back (to a temporary file, then renamed), all under a lock: runs
    of other models or presets on the same dataset, in processes of their
    own, keep each other's seeds."""
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        records = json.loads(path.read_text())["results"] \
            if path.exists() else []
        change(records)
        meta = {"torch": torch.__version__,
                "threads": torch.get_num_threads()}
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps({"meta": meta, "results": records},
                                        indent=2))
        temporary.replace(path)
    return records


def benchmark_dataset(dataset: str, args, seeds: range, out: Path) -> None:
    """Run every model x preset on one dataset. The JSON is updated after
    each seed, so an interrupted run keeps the seeds it finished and a
    rerun goes on with the missing ones."""
    if args.seed < 100:
        raise SystemExit("report seeds start at 100: seeds below are the "
                         "sweep's tuning seeds")
    path = out / f"linkpred_{dataset}.json"

    def drop_redone(records: list[dict]) -> None:  # earlier settings stay
        records[:] = [r for r in records if r["model"] not in args.models
                      or r["preset"] not in args.presets
                      or "older_settings" in r]

    records = update_results(path, drop_redone if args.redo else
                             lambda records: None)
    graphs = {}
    for model in args.models:
        for label in args.presets:
            if label in PEERS and model not in PEERS[label][0]:
                continue
            normalize = PEERS[label][1] if label in PEERS \
                else preset_data(label, model)["normalize_features"]
            for seed in seeds:
                if any(run["seed"] == seed for run in _find_cell(
                        records, dataset, model, label)["runs"]):
                    continue
                if normalize not in graphs:
                    graphs[normalize] = load_dataset(
                        dataset, args.root, normalize_features=normalize)
                data = graphs[normalize]
                if label == "PyG":
                    result = run_pyg(model, data, seed)
                elif label == "MaskGAE":
                    result = run_maskgae(data, seed)
                else:
                    result = shared_run(records, model, label, data, seed) \
                        or run_ours(model, data, label, seed)

                def add_run(records, seed=seed, result=result):
                    runs = _find_cell(records, dataset, model, label)["runs"]
                    if not any(run["seed"] == seed for run in runs):
                        runs.append(dict(seed=seed, **result))

                records = update_results(path, add_run)
            runs = _find_cell(records, dataset, model, label)["runs"]
            print(f"{dataset} {model} {label}: AUC {cell(runs, 'auc')} "
                  f"AP {cell(runs, 'ap')} ({len(runs)} runs)", flush=True)


if __name__ == "__main__":
    main()
