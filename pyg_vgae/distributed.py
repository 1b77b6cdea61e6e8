r"""Data-parallel training over several processes with
:class:`~torch.nn.parallel.DistributedDataParallel`.

Every process holds the whole graph and the same model; the training edges
are split into one shard per process, each process reconstructs its shard
(with its own negatives) and DDP averages the gradients, so a step equals a
single-process step on the mean of the shards' losses. Launch with
``torchrun``::

    torchrun --nproc_per_node 2 -m pyg_vgae.distributed --model vgae \
        --dataset Cora --root ../shared/data/Planetoid --json out.json

gloo on CPU, NCCL on GPUs (one per process, ``cuda:LOCAL_RANK``). GAE and
VGAE with the sampled loss; the adversarial models' alternating optimisers
are not supported here.
"""
from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

import torch
import torch.distributed as dist
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from torch_geometric.data import Data

from .models import ARGA, GAE
from .train import TrainConfig, Trainer


def shard(edge_index: Tensor, rank: int, world_size: int) -> Tensor:
    """The ``rank``-th of ``world_size`` equal, contiguous slices of the
    edges (the last ones dropped so that every shard has the same size and
    the shards' mean loss is the mean over all kept edges)."""
    size = edge_index.size(1) // world_size
    if size < 1:
        raise ValueError(f"{edge_index.size(1)} edges cannot be shared by "
                         f"{world_size} processes")
    return edge_index[:, rank * size:(rank + 1) * size]


def step_seed(seed: int, epoch: int, rank: int, world_size: int) -> int:
    """The seed of the negatives of one process in one epoch, so that runs
    are reproducible and a single process can replay them."""
    return seed * 1_000_003 + epoch * world_size + rank


class _Encode(torch.nn.Module):
    """Gives DDP a ``forward`` that is the model's ``encode`` (PyG's
    ``forward`` returns the raw encoder output)."""

    def __init__(self, model: GAE):
        super().__init__()
        self.model = model

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        return self.model.encode(x, edge_index)


class DistributedTrainer(Trainer):
    """:class:`~pyg_vgae.Trainer` whose step runs under DDP on this
    process's shard of the training edges. Call it in every process after
    ``torch.distributed.init_process_group``."""

    def __init__(self, model: GAE, config: TrainConfig | None = None):
        if isinstance(model, ARGA):
            raise TypeError("DistributedTrainer trains GAE and VGAE; ARGA "
                            "and ARGVA alternate optimisers, which it does "
                            "not support")
        if not dist.is_initialized():
            raise RuntimeError("call torch.distributed.init_process_group "
                               "first (torchrun sets up the environment)")
        super().__init__(model, config)
        if self.config.recon != "sampled" or self.config.mask_ratio > 0 \
                or self.config.batch_size is not None:
            raise ValueError("DistributedTrainer needs recon='sampled', no "
                             "edge masking and full batches")
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        device_ids = [self.device.index] if self.device.type == "cuda" \
            else None
        self.ddp = DistributedDataParallel(_Encode(self.model),
                                           device_ids=device_ids)

    def train_step(self, data: Data, pos_edge_index: Tensor) -> float:
        model, config = self.model, self.config
        model.train()
        local = shard(pos_edge_index, self.rank, self.world_size)
        torch.manual_seed(step_seed(config.seed, self.epochs_done + 1,
                                    self.rank, self.world_size))
        negatives = model.sample_negatives(
            pos_edge_index, data.num_nodes,
            num_neg_samples=model.num_negatives(local.size(1)))
        z = self.ddp(data.x, data.edge_index)
        loss = self.add_regularisers(model.recon_loss(z, local, negatives), z,
                                     data.num_nodes, with_reg=False)
        return self._step(self.optimizer, loss)


def main(argv: list[str] | None = None) -> None:
    from .data import load_dataset, split_edges
    from .presets import ModelSpec, build_model

    parser = argparse.ArgumentParser(
        description="Data-parallel training under torchrun.")
    parser.add_argument("--model", choices=("gae", "vgae"), default="gae")
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--root", default=None)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    parser.add_argument("--save-weights", default=None,
                        help="rank 0 writes the final state_dict here")
    args = parser.parse_args(argv)

    use_cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if use_cuda else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = f"cuda:{local_rank}" if use_cuda else "cpu"
    try:
        data = load_dataset(args.dataset, args.root)
        splits = split_edges(data, seed=args.seed)
        torch.manual_seed(args.seed)  # the same initial weights everywhere
        model = build_model(ModelSpec(model=args.model,
                                      in_channels=data.num_features))
        config = TrainConfig(epochs=args.epochs, lr=args.lr, seed=args.seed,
                             device=device, progress=False, select="last")
        result = DistributedTrainer(model, config).fit(*splits)
        if dist.get_rank() == 0:
            report = {"world_size": dist.get_world_size(),
                      "test_auc": result.test_auc, "test_ap": result.test_ap,
                      "epoch_time_ms": result.epoch_time_ms,
                      "finite": math.isfinite(result.history["loss"][-1])}
            print(json.dumps(report))
            if args.json:
                Path(args.json).write_text(json.dumps(report, indent=2))
            if args.save_weights:
                torch.save(model.state_dict(), args.save_weights)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
