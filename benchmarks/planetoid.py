"""Link prediction on Planetoid: every model x dataset x preset over seeds,
beside PyG's own models trained as in PyG's examples/autoencoder.py.

    python benchmarks/planetoid.py --root ../shared/data/Planetoid --seeds 10

Writes ``benchmarks/results/planetoid.json`` and ``planetoid.md`` (mean +- std
test AUC / AP in %, seconds per run). Test scores are taken at the best
validation epoch; nothing is selected on test edges.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch_geometric.nn as pyg_nn
from torch_geometric import seed_everything

from pyg_vgae import VariationalGCNEncoder, GCNEncoder
from pyg_vgae.data import load_dataset, split_edges
from pyg_vgae.presets import ModelSpec, build_model, preset
from pyg_vgae.train import Trainer, TrainConfig

PAPER = {  # test AUC / AP (%) of the papers, 85/5/10 split, mean of 10 runs
    ("gae", "Cora"): (91.0, 92.0), ("gae", "CiteSeer"): (89.5, 89.9),
    ("vgae", "Cora"): (91.4, 92.6), ("vgae", "CiteSeer"): (90.8, 92.0),
    ("arga", "Cora"): (92.4, 93.2), ("arga", "CiteSeer"): (91.9, 93.0),
    ("argva", "Cora"): (92.4, 92.6), ("argva", "CiteSeer"): (92.4, 93.0),
}
RESULTS = Path(__file__).parent / "results"


def run_ours(model: str, data, preset_name: str, seed: int) -> dict:
    seed_everything(seed)
    spec_fields, train_fields = preset(preset_name, model)
    net = build_model(ModelSpec(model=model, in_channels=data.num_features,
                                **spec_fields))
    start = time.perf_counter()
    result = Trainer(net, TrainConfig(progress=False, **train_fields)).fit(
        *split_edges(data, seed=seed))
    return {"auc": result.test_auc, "ap": result.test_ap,
            "seconds": time.perf_counter() - start}


def run_pyg(model: str, data, seed: int, epochs: int = 200) -> dict:
    """PyG's GAE / VGAE, as its examples/autoencoder.py trains them, with the
    test score taken at the best validation epoch."""
    seed_everything(seed)
    train, val, test = split_edges(data, seed=seed)
    variational = model == "vgae"
    encoder = (VariationalGCNEncoder if variational else GCNEncoder)(
        data.num_features, 32, 16)
    net = (pyg_nn.VGAE if variational else pyg_nn.GAE)(encoder)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    best = (-1.0, None, None)
    start = time.perf_counter()
    for _ in range(epochs):
        net.train()
        optimizer.zero_grad()
        z = net.encode(train.x, train.edge_index)
        loss = net.recon_loss(z, train.pos_edge_label_index)
        if variational:
            loss = loss + (1 / train.num_nodes) * net.kl_loss()
        loss.backward()
        optimizer.step()
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
    values = 100 * np.array([run[key] for run in runs])
    return f"{values.mean():.1f} ± {values.std():.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None)
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--models", nargs="+",
                        default=["gae", "vgae", "arga", "argva"])
    parser.add_argument("--presets", nargs="+", default=["default", "paper"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    seeds = range(args.seed, args.seed + args.seeds)
    rows, records = [], []
    for dataset in args.datasets:
        data = load_dataset(dataset, args.root)
        for model in args.models:
            entries = [(p, lambda s, p=p: run_ours(model, data, p, s))
                       for p in args.presets]
            if model in ("gae", "vgae"):
                entries.append(("PyG", lambda s: run_pyg(model, data, s)))
            for label, runner in entries:
                runs = [dict(seed=s, **runner(s)) for s in seeds]
                records.append({"dataset": dataset, "model": model,
                                "preset": label, "runs": runs})
                paper = PAPER.get((model, dataset))
                rows.append(
                    f"| {dataset} | {model.upper()} | {label} | "
                    f"{cell(runs, 'auc')} | {cell(runs, 'ap')} | "
                    f"{np.mean([r['seconds'] for r in runs]):.1f} | "
                    f"{f'{paper[0]} / {paper[1]}' if paper else '-'} |")
                print(rows[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"seeds": list(seeds), "torch": torch.__version__}
    (out / "planetoid.json").write_text(json.dumps(
        {"meta": meta, "results": records}, indent=2))
    header = ("| dataset | model | preset | test AUC (%) | test AP (%) | "
              "s / run | paper AUC / AP |\n|---|---|---|---|---|---|---|\n")
    (out / "planetoid.md").write_text(header + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
