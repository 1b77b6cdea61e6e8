"""Large CPU tensors on transparent huge pages.

A training step on a large graph frees and reallocates the same few
hundred-MB tensors every step. glibc's ``malloc`` maps each of them afresh
and the kernel faults their pages in one 4 KiB page at a time: at 1M nodes
(VGAE, 2 threads) an epoch took 4.2-4.7 s against 2.8 s when freed memory
was kept for reuse instead. Keeping it (``mallopt``) cost 1.6 GiB of peak
memory through heap fragmentation (5.0 GiB against 3.4 GiB). torch's own
switch ``THP_MEM_ALLOC_ENABLE=1`` asks the kernel for 2 MiB pages for every
CPU tensor of 2 MiB or more, 512 times fewer faults: 3.4-3.5 s per epoch at
the lower peak (3.3-3.4 GiB), measured here.

torch reads the switch once, at its first allocation, so it must be in the
environment before torch is imported. The ``pyg-vgae`` command sets it for
its own process (unless the environment already says otherwise); a library
user who trains on large graphs on the CPU exports it before starting
Python. Without transparent huge pages in the kernel (``never``) it changes
nothing.
"""
from __future__ import annotations

import os
import sys

#: torch's switch (c10's ``alloc_cpu``).
HUGE_PAGES_ENV = "THP_MEM_ALLOC_ENABLE"


def use_huge_pages() -> bool:
    """Set ``THP_MEM_ALLOC_ENABLE=1`` for this process unless it is set
    already or torch, imported, has read it; returns whether the switch is
    on."""
    if "torch" not in sys.modules:
        os.environ.setdefault(HUGE_PAGES_ENV, "1")
    return os.environ.get(HUGE_PAGES_ENV) == "1"
