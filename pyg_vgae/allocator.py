"""Keep freed memory for reuse instead of returning it to the system.

glibc's ``malloc`` serves every allocation above 32 MiB with a fresh
``mmap`` and unmaps it on ``free``. A training step on a large graph frees
and reallocates the same few hundred-MB tensors every step, so every step
the kernel maps, faults in and zeroes those pages again: at 1M nodes a
fresh ``a * b`` of 8.5M x 16 floats took 198 ms here against 50 ms into
reused memory, and the whole VGAE epoch 5.0 s against 3.4 s with the
setting below. With it, large blocks come from the heap and stay there
once freed (resident memory then stays at its peak rather than dropping
between steps; the peak itself hardly changes).

The ``pyg-vgae`` command applies it to its own process. A library user
who trains on large graphs on the CPU can call :func:`reuse_freed_memory`
once at start; it changes the whole process's allocator, which is why the
library never calls it by itself.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def reuse_freed_memory() -> bool:
    """Make glibc's ``malloc`` serve large blocks from its heap and keep
    freed memory (``M_MMAP_MAX = 0``, ``M_TRIM_THRESHOLD`` = 2 GiB, its largest).
    Returns whether it applied (``False`` off Linux / glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    trim = mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1)
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(trim)
