"""Random number generator states: one place to seed, save and restore the
three generators training draws from (torch for VGAE's noise and ARGA's
prior samples, NumPy and Python's ``random`` for PyG's samplers)."""
from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch


def rng_state() -> dict:
    """The states of torch's (and CUDA's, once initialised), NumPy's and
    Python's generators."""
    state = {"torch": torch.random.get_rng_state(),
             "python": random.getstate(), "numpy": np.random.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` returned."""
    torch.random.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch, NumPy and ``random`` for the block, then restore their
    states, so that the caller's streams are untouched."""
    state = rng_state()
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        set_rng_state(state)
