"""Mini-batch against full-batch training of the same GAE on Cora.

    python benchmarks/minibatch.py --root ../shared/data/Planetoid --seeds 5

The default preset (GCN 32 -> 16, sampled loss, best validation epoch),
once full batch and once on mini-batches of ``--batch-size`` training edges
from PyG's ``LinkNeighborLoader`` (needs the ``sparse`` extra). Writes
``benchmarks/results/minibatch.json`` and ``minibatch.md``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from torch_geometric import seed_everything

from pyg_vgae import Trainer, TrainConfig
from pyg_vgae.data import load_dataset, split_edges
from pyg_vgae.presets import ModelSpec, build_model

RESULTS = Path(__file__).parent / "results"


def run(data, seed: int, batch_size: int | None, epochs: int) -> dict:
    seed_everything(seed)
    model = build_model(ModelSpec(model="gae", in_channels=data.num_features))
    config = TrainConfig(epochs=epochs, batch_size=batch_size,
                         progress=False)
    start = time.perf_counter()
    result = Trainer(model, config).fit(*split_edges(data, seed=seed))
    return {"seed": seed, "auc": result.test_auc, "ap": result.test_ap,
            "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None)
    parser.add_argument("--dataset", default="Cora")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--minibatch-epochs", type=int, default=50)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    data = load_dataset(args.dataset, args.root)
    rows = []
    for label, batch_size, epochs in (
            ("full batch", None, args.epochs),
            (f"mini-batch {args.batch_size}", args.batch_size,
             args.minibatch_epochs)):
        runs = [run(data, seed, batch_size, epochs)
                for seed in range(args.seeds)]
        rows.append({"training": label, "epochs": epochs, "runs": runs})
        aucs = 100 * np.array([r["auc"] for r in runs])
        print(f"{label}: AUC {aucs.mean():.1f} ± {aucs.std():.1f}",
              flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "minibatch.json").write_text(json.dumps(rows, indent=2))
    lines = ["| training | epochs | test AUC (%) | test AP (%) | s / run | "
             "runs |", "|---|---|---|---|---|---|"]
    for row in rows:
        auc = 100 * np.array([r["auc"] for r in row["runs"]])
        ap = 100 * np.array([r["ap"] for r in row["runs"]])
        seconds = np.mean([r["seconds"] for r in row["runs"]])
        lines.append(f"| {row['training']} | {row['epochs']} | "
                     f"{auc.mean():.1f} ± {auc.std():.1f} | "
                     f"{ap.mean():.1f} ± {ap.std():.1f} | {seconds:.1f} | "
                     f"{len(row['runs'])} |")
    (out / "minibatch.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
