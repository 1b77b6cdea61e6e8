"""Data-parallel runs of the command: ``pyg-vgae train --nproc N``
relaunches the same command under ``torch.distributed.run``; a command
started by ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) joins the
process group and trains its shard with
:class:`~pyg_vgae.train.distributed.DistributedTrainer`."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import torch


def under_torchrun() -> bool:
    """Whether this process is one of several started by torchrun."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def relaunch(argv: list[str], nproc: int) -> int:
    """Run ``pyg-vgae argv`` (without ``--nproc``) in ``nproc`` processes
    on this machine; their exit status."""
    args, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--nproc":
            skip = True
            continue
        if not arg.startswith("--nproc="):
            args.append(arg)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={nproc}", "-m", "pyg_vgae", *args]
    return subprocess.run(command, check=False).returncode


def uses_cuda(device: str | None, nproc: int) -> bool:
    """Whether ``nproc`` processes asking for ``device`` (``None``: auto)
    run on GPUs, one each; refuses more processes than GPUs."""
    from .train.config import resolve_device
    if resolve_device(device or "auto").type != "cuda":
        return False
    if nproc > torch.cuda.device_count():
        raise ValueError(f"--nproc {nproc} on CUDA needs {nproc} GPUs, this "
                         f"machine has {torch.cuda.device_count()}: lower "
                         f"--nproc, or use --device cpu")
    return True


@contextlib.contextmanager
def process_group(device: str | None = None) -> Iterator[str]:
    """Join torchrun's process group for the block (NCCL, one GPU per
    process, where ``device`` resolves to CUDA; else gloo on the CPU);
    yields this process's device."""
    import torch.distributed as dist
    use_cuda = uses_cuda(device, int(os.environ.get("LOCAL_WORLD_SIZE",
                                                    "1")))
    dist.init_process_group("nccl" if use_cuda else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    try:
        yield f"cuda:{local_rank}" if use_cuda else "cpu"
    finally:
        dist.destroy_process_group()


def is_main_process() -> bool:
    """Rank 0, or not distributed: the process that prints and writes."""
    import torch.distributed as dist
    return not (dist.is_available() and dist.is_initialized()) or \
        dist.get_rank() == 0
