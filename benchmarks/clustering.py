"""Node clustering on Planetoid: k-means on the embeddings of models trained
on the whole graph, scored against the classes (ACC, NMI, ARI, F1).

    python benchmarks/clustering.py --root ../shared/data/Planetoid --seeds 10

Writes ``benchmarks/results/clustering_<dataset>.json`` and renders all of
them into ``benchmarks/results/clustering.md``, beside the ARGA paper's
numbers where it gives them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, load_graph, markdown_table  # noqa: E402

from pyg_vgae.presets import preset_data  # noqa: E402
from pyg_vgae.run import Settings, run_seed  # noqa: E402

METRICS = ("acc", "nmi", "ari", "f1")
PAPER = {  # ARGA paper, Cora (ACC, NMI, ARI, F1)
    ("arga", "Cora"): (0.640, 0.449, 0.352, 0.619),
    ("argva", "Cora"): (0.638, 0.450, 0.374, 0.627),
}


def run(model: str, data, preset_name: str, seed: int) -> dict:
    settings = Settings.from_preset(preset_name, model, data.num_features,
                                    progress=False)
    result, _ = run_seed(data, settings, seed, clustering=True)
    return {**{m: result[m] for m in METRICS}, "seconds": result["seconds"]}


def render(out: Path) -> str:
    rows = []
    for path in sorted(out.glob("clustering_*.json")):
        for record in json.loads(path.read_text()):
            runs = record["runs"]
            paper = PAPER.get((record["model"], record["dataset"]))
            rows.append(
                [record["dataset"], record["model"].upper(), record["preset"],
                 *[f"{np.mean([r[m] for r in runs]):.3f} ± "
                   f"{np.std([r[m] for r in runs]):.3f}" for m in METRICS],
                 len(runs),
                 " / ".join(f"{v:.3f}" for v in paper) if paper else "-"])
    return markdown_table(["dataset", "model", "preset", "ACC", "NMI", "ARI",
                           "F1", "runs", "paper ACC / NMI / ARI / F1"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None)
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--models", nargs="+",
                        default=["gae", "vgae", "arga", "argva"])
    parser.add_argument("--presets", nargs="+", default=["paper", "default"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=100,
                        help="first report seed (tuning uses < 100)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--render", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = range(args.seed, args.seed + args.seeds)
    for dataset in [] if args.render else args.datasets:
        path = out / f"clustering_{dataset}.json"
        records = json.loads(path.read_text()) if path.exists() else []
        done = {(r["model"], r["preset"]) for r in records}
        for model in args.models:
            for name in args.presets:
                if (model, name) in done:
                    continue
                normalize = preset_data(name, model)["normalize_features"]
                data = load_graph(dataset, args.root, normalize)
                runs = [dict(seed=s, **run(model, data, name, s))
                        for s in seeds]
                records.append({"dataset": dataset, "model": model,
                                "preset": name, "runs": runs,
                                "torch": torch.__version__})
                path.write_text(json.dumps(records, indent=2))
                print(f"{dataset} {model} {name}: ACC "
                      f"{np.mean([r['acc'] for r in runs]):.3f} NMI "
                      f"{np.mean([r['nmi'] for r in runs]):.3f}", flush=True)
    (out / "clustering.md").write_text(render(out))
    print(render(out))


if __name__ == "__main__":
    main()
