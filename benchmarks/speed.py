"""Time per training step: pyg_vgae against PyG's own GAE / VGAE.

    python benchmarks/speed.py --root ../shared/data/Planetoid

Both train the paper's GCN 32 -> 16 encoder with the sampled reconstruction
loss on the same Cora split, PyG's as its examples/autoencoder.py does (its
GCNConv encoder, ``recon_loss`` on ``pos_edge_label_index``, KL weight 1/N).
Prints the median step time of each, the ratio ours / PyG, and the
``epoch_time_ms`` that ``Trainer.fit`` (and so ``pyg-vgae train --json``)
reports; writes ``benchmarks/results/speed.json`` and ``speed.md``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch_geometric.nn as pyg_nn

# benchmarks/linkpred.py's copies of PyG's example encoder and step
from linkpred import PyGEncoder, pyg_example_step
from pyg_vgae import TrainConfig, Trainer
from pyg_vgae.data import load_dataset, split_edges
from pyg_vgae.presets import ModelSpec, build_model

RESULTS = Path(__file__).parent / "results"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_ms(step, device: torch.device, steps: int, warmup: int = 10
              ) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        _sync(device)
        start = time.perf_counter()
        step()
        _sync(device)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def pyg_step(model_name: str, train, device: torch.device):
    """A training step of PyG's model, as in PyG's examples/autoencoder.py."""
    variational = model_name == "vgae"
    encoder = PyGEncoder(train.num_features, 16, variational)
    model = (pyg_nn.VGAE if variational else pyg_nn.GAE)(encoder).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    return lambda: pyg_example_step(model, optimizer, train, variational)


def our_step(model_name: str, train, device: torch.device):
    spec = ModelSpec(model=model_name, in_channels=train.num_features)
    trainer = Trainer(build_model(spec), TrainConfig(device=str(device),
                                                     progress=False))
    pos = train.pos_edge_label_index
    return lambda: trainer.train_step(train, pos)


def reported_epoch_ms(model_name: str, splits, device: torch.device) -> float:
    """What ``Trainer.fit`` reports (``epoch_time_ms`` in the CLI's JSON)."""
    spec = ModelSpec(model=model_name, in_channels=splits[0].num_features)
    trainer = Trainer(build_model(spec), TrainConfig(
        device=str(device), progress=False, epochs=100))
    return trainer.fit(*splits).epoch_time_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None)
    parser.add_argument("--dataset", default="Cora")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    device = torch.device(args.device)
    data = load_dataset(args.dataset, args.root)
    splits = [split.to(device) for split in split_edges(data, seed=0)]
    train = splits[0]
    rows = []
    for model_name in ("gae", "vgae"):
        torch.manual_seed(0)
        steps = {"PyG": pyg_step(model_name, train, device),
                 "pyg_vgae": our_step(model_name, train, device)}
        # Alternate the two, so that drifts of the machine hit both.
        times = {name: [] for name in steps}
        for _ in range(args.repeats):
            for name, step in steps.items():
                times[name].append(median_ms(step, device, args.steps))
        pyg_ms = statistics.median(times["PyG"])
        ours_ms = statistics.median(times["pyg_vgae"])
        row = {"model": model_name, "dataset": args.dataset,
               "device": str(device), "pyg_ms": pyg_ms,
               "pyg_vgae_ms": ours_ms, "ratio": ours_ms / pyg_ms,
               "fit_epoch_time_ms": reported_epoch_ms(model_name, splits,
                                                      device),
               "threads": torch.get_num_threads()}
        rows.append(row)
        print(f"{model_name.upper():5s} PyG {pyg_ms:7.2f} ms  pyg_vgae "
              f"{ours_ms:7.2f} ms  ratio {row['ratio']:.2f}  "
              f"(fit reports {row['fit_epoch_time_ms']:.2f} ms)", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"speed_{device.type}"
    (out / f"{name}.json").write_text(json.dumps(rows, indent=2))
    table = ["| model | dataset | device | PyG (ms / step) | pyg_vgae "
             "(ms / step) | ratio | `epoch_time_ms` from fit |",
             "|---|---|---|---|---|---|---|"]
    table += [f"| {r['model'].upper()} | {r['dataset']} | {r['device']} | "
              f"{r['pyg_ms']:.2f} | {r['pyg_vgae_ms']:.2f} | "
              f"{r['ratio']:.2f} | {r['fit_epoch_time_ms']:.2f} |"
              for r in rows]
    (out / f"{name}.md").write_text("\n".join(table) + "\n")


if __name__ == "__main__":
    main()
