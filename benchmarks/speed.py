"""Time per training step: pyg_vgae against PyG's own GAE / VGAE, as its
example writes them and as an expert tunes them.

    python benchmarks/speed.py --root ../shared/data --threads 1 2

All train the paper's GCN 32 -> 16 encoder with the sampled reconstruction
loss on the same Cora split. PyG's *example* is its examples/autoencoder.py
(GCNConv encoder on ``edge_index``, ``recon_loss`` on
``pos_edge_label_index``, KL weight 1/N); PyG's *expert* form is the same
model with ``GCNConv(cached=True)``, CSR features and a CSR ``adj_t``.
Prints, per thread count, the median step time of each, the ratios ours /
PyG, the ``epoch_time_ms`` that ``Trainer.fit`` (and so
``pyg-vgae train --json``) reports, and each side's setup (from nothing
built to the end of its first step); writes
``results/speed_<device>.json`` and ``.md``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch_geometric.nn as pyg_nn
from torch_geometric.utils import to_torch_csr_tensor

from common import RESULTS, markdown_table, write_results
# benchmarks/linkpred.py's copies of PyG's example encoder and step
from linkpred import PyGEncoder, pyg_example_step
from pyg_vgae import TrainConfig, Trainer
from pyg_vgae.data import load_dataset, split_edges
from pyg_vgae.presets import ModelSpec, build_model


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


#: Seconds of untimed steps before each timed block. With ten steps only,
#: our one-thread step timed right after PyG's two-thread ones ran 10-20 %
#: slower than after half a second of its own (Cora GAE at 2 threads,
#: two runs each: 3.17 / 3.26 against 2.73 / 2.77 ms), whatever the
#: previous step left behind (caches, the heap, the other core's state).
WARMUP_S = 0.5


def median_ms(step, device: torch.device, steps: int, warmup: int = 10
              ) -> float:
    """Median time of ``steps`` steps after at least ``warmup`` untimed
    ones and :data:`WARMUP_S` seconds."""
    start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - start < WARMUP_S:
        step()
        done += 1
    _sync(device)
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


class ExpertPyG:
    """PyG's GAE / VGAE as an expert writes it: cached GCN normalisation, a
    CSR ``adj_t`` (no scatter over ``edge_index``) and CSR features where
    they are mostly zeros. Calling it takes one training step."""

    def __init__(self, model_name: str, train, device: torch.device):
        self.variational = model_name == "vgae"
        encoder = PyGEncoder(train.num_features, 16, self.variational,
                             cached=True)
        self.model = (pyg_nn.VGAE if self.variational else pyg_nn.GAE)(
            encoder).to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=0.01)
        sparse = torch.count_nonzero(train.x) < 0.1 * train.x.numel()
        self.x = train.x.to_sparse_csr() if sparse else train.x
        self.adj_t = to_torch_csr_tensor(
            train.edge_index.flip(0), size=(train.num_nodes, ) * 2)
        self.pos, self.num_nodes = train.pos_edge_label_index, \
            train.num_nodes

    def __call__(self) -> None:
        self.model.train()
        self.optimizer.zero_grad()
        z = self.model.encode(self.x, self.adj_t)
        loss = self.model.recon_loss(z, self.pos)
        if self.variational:
            loss = loss + (1 / self.num_nodes) * self.model.kl_loss()
        loss.backward()
        self.optimizer.step()

    @torch.no_grad()
    def test_auc(self, test) -> float:
        self.model.eval()
        z = self.model.encode(self.x, self.adj_t)
        return self.model.test(z, test.pos_edge_label_index,
                               test.neg_edge_label_index)[0]


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


def first_step(make, model_name: str, train, device: torch.device):
    """``(ms, step)``: the time from nothing built to the end of the first
    step (the model, the optimiser, every cache the step fills), and the
    step. It runs on a copy of the graph, so that the caches keyed on its
    tensors, filled by an earlier row, start empty."""
    fresh = train.clone()
    _sync(device)
    start = time.perf_counter()
    step = make(model_name, fresh, device)
    step()
    _sync(device)
    return 1000 * (time.perf_counter() - start), step


def time_model(model_name: str, splits, device: torch.device, steps: int,
               repeats: int) -> dict:
    """Median step times of PyG's example, PyG's expert form and ours,
    alternated so that drifts of the machine hit all three."""
    torch.manual_seed(0)
    train = splits[0]
    makers = {"pyg_example": pyg_step, "pyg_expert": ExpertPyG,
              "pyg_vgae": our_step}
    setup, step_fns = {}, {}
    for name, make in makers.items():
        setup[name + "_setup_ms"], step_fns[name] = first_step(
            make, model_name, train, device)
    times = {name: [] for name in step_fns}
    for _ in range(repeats):
        for name, step in step_fns.items():
            times[name].append(median_ms(step, device, steps))
    row = {name + "_ms": statistics.median(values)
           for name, values in times.items()}
    return {"model": model_name, "dataset": train.get("name", "Cora"),
            "device": str(device), "threads": torch.get_num_threads(),
            **row, **setup,
            "ratio_example": row["pyg_vgae_ms"] / row["pyg_example_ms"],
            "ratio_expert": row["pyg_vgae_ms"] / row["pyg_expert_ms"],
            "fit_epoch_time_ms": reported_epoch_ms(model_name, splits,
                                                   device)}


def render(rows: list[dict]) -> str:
    return markdown_table(
        ["model", "dataset", "device", "threads", "PyG example (ms / step)",
         "PyG expert (ms / step)", "pyg_vgae (ms / step)",
         "ratio to example", "ratio to expert", "`epoch_time_ms` from fit",
         "setup to the end of step 1, ms (example / expert / ours)"],
        [[r["model"].upper(), r["dataset"], r["device"], r["threads"],
          f"{r['pyg_example_ms']:.2f}", f"{r['pyg_expert_ms']:.2f}",
          f"{r['pyg_vgae_ms']:.2f}", f"{r['ratio_example']:.3f}",
          f"{r['ratio_expert']:.3f}", f"{r['fit_epoch_time_ms']:.2f}",
          " / ".join(f"{r[name + '_setup_ms']:.1f}" for name in (
              "pyg_example", "pyg_expert", "pyg_vgae"))]
         for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None)
    parser.add_argument("--dataset", default="Cora")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    device = torch.device(args.device)
    data = load_dataset(args.dataset, args.root)
    splits = [split.to(device) for split in split_edges(data, seed=0)]
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for model_name in ("gae", "vgae"):
            rows.append(time_model(model_name, splits, device, args.steps,
                                   args.repeats))
            print(json.dumps(rows[-1]), flush=True)
    write_results(Path(args.out), f"speed_{device.type}", rows, render(rows))


if __name__ == "__main__":
    main()
