"""Full-batch training time and peak memory against graph size.

    python benchmarks/scale.py --sizes 10000 30000 100000 300000 1000000

Each size runs in a fresh process (so that its peak resident memory is its
own): a stochastic block model with ``--edges-per-node`` undirected edges
per node and 32 features, split 85/5/10, and a VGAE (GCN 32 -> 16, sampled
loss) trained for ``--epochs`` full-batch epochs. Writes
``benchmarks/results/scale.json``, ``scale.md`` and a log-log plot
``scale.png``.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, markdown_table, write_results  # noqa: E402


def measure(num_nodes: int, edges_per_node: float, epochs: int) -> dict:
    """Build, split and train one graph; runs inside the child process."""
    import torch

    from pyg_vgae import Trainer, TrainConfig, VGAE, VariationalGCNEncoder
    from pyg_vgae.data import split_edges, synthetic_graph

    start = time.perf_counter()
    data = synthetic_graph(num_nodes, num_blocks=20,
                           avg_degree=2 * edges_per_node)
    train, val, test = split_edges(data, seed=0)
    setup_s = time.perf_counter() - start
    model = VGAE(VariationalGCNEncoder(data.num_features, 32, 16))
    result = Trainer(model, TrainConfig(epochs=epochs, progress=False)).fit(
        train, val, test)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"nodes": num_nodes, "edges": data.num_edges // 2,
            "epoch_s": result.epoch_time_ms / 1000, "setup_s": setup_s,
            "peak_gib": peak_kib / 1024 ** 2, "test_auc": result.test_auc,
            "threads": torch.get_num_threads()}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nodes = [row["nodes"] for row in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.loglog(nodes, [row["epoch_s"] for row in rows], "o-")
    left.set(xlabel="nodes", ylabel="seconds per epoch",
             title="full-batch VGAE epoch")
    right.loglog(nodes, [row["peak_gib"] for row in rows], "o-")
    right.set(xlabel="nodes", ylabel="peak memory (GiB)",
              title="peak resident memory")
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[10_000, 30_000, 100_000, 300_000,
                                 1_000_000])
    parser.add_argument("--edges-per-node", type=float, default=10.0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--child", type=int, default=None,
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.edges_per_node,
                                 args.epochs)))
        return
    rows = []
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(size),
             "--edges-per-node", str(args.edges_per_node), "--epochs",
             str(args.epochs)], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{size} nodes failed:\n{done.stderr[-2000:]}")
            break
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_results(out, "scale", rows, markdown_table(
        ["nodes", "edges", "s / epoch", "setup (s)", "peak memory (GiB)",
         "test AUC"],
        [[f"{r['nodes']:,}", f"{r['edges']:,}", f"{r['epoch_s']:.2f}",
          f"{r['setup_s']:.1f}", f"{r['peak_gib']:.2f}",
          f"{r['test_auc']:.3f}"] for r in rows]))
    if rows:
        plot(rows, out / "scale.png")


if __name__ == "__main__":
    main()
