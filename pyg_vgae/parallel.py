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


@contextlib.contextmanager
def process_group() -> Iterator[str]:
    """Join torchrun's process group (NCCL on GPUs, gloo on CPUs) for the
    block; yields this process's device."""
    import torch.distributed as dist
    use_cuda = torch.cuda.is_available()
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
