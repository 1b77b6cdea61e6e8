"""Mini-batch against full-batch training of the same GAE on Cora.

    python benchmarks/minibatch.py --root ../shared/data/Planetoid --seeds 5

The default preset (GCN 32 -> 16, sampled loss, best validation epoch),
once full batch and once on mini-batches of ``--batch-size`` training edges
with their sampled neighbourhoods (:mod:`pyg_vgae.neighbors`). Writes
``benchmarks/results/minibatch.json`` and ``minibatch.md``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (RESULTS, load_graph, markdown_table, mean_std,  # noqa
                    write_results)

from pyg_vgae.run import Settings, run_seed  # noqa: E402


def run(data, seed: int, batch_size: int | None, epochs: int) -> dict:
    settings = Settings.from_preset("default", "gae", data.num_features,
                                    epochs=epochs, batch_size=batch_size,
                                    progress=False)
    result, _ = run_seed(data, settings, seed)
    return {"seed": seed, "auc": result["test_auc"],
            "ap": result["test_ap"], "seconds": result["seconds"]}


def render(rows: list[dict]) -> str:
    return markdown_table(
        ["training", "epochs", "test AUC (%)", "test AP (%)", "s / run",
         "runs"],
        [[row["training"], row["epochs"],
          mean_std([r["auc"] for r in row["runs"]]),
          mean_std([r["ap"] for r in row["runs"]]),
          f"{np.mean([r['seconds'] for r in row['runs']]):.1f}",
          len(row["runs"])] for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None)
    parser.add_argument("--dataset", default="Cora")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=100,
                        help="report seeds start here (tuning uses < 100)")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--minibatch-epochs", type=int, default=50)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    data = load_graph(args.dataset, args.root, normalize=True)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    rows = []
    for label, batch_size, epochs in (
            ("full batch", None, args.epochs),
            (f"mini-batch {args.batch_size}", args.batch_size,
             args.minibatch_epochs)):
        runs = [run(data, seed, batch_size, epochs) for seed in seeds]
        rows.append({"training": label, "epochs": epochs, "runs": runs})
        print(f"{label}: AUC {mean_std([r['auc'] for r in runs])}",
              flush=True)
    write_results(Path(args.out), "minibatch", rows, render(rows))


if __name__ == "__main__":
    main()
