"""One CPU thread for small training steps.

A training step on a small graph is a few hundred small kernels; torch
splits each kernel over its threads, and on this 2-core machine the
fork and join cost more than they save. Measured (median step, default
GCN 32 -> 16, 1 against 2 threads): Cora GAE 1.80 against 2.30 ms, VGAE
2.62 against 3.07 ms; block models of 5k nodes (123k edges plus
positives) 5.9 against 6.7 ms, 10k nodes (250k) 10.9 against 11.1 ms,
30k nodes (760k) 32.7 against 29.8 ms, 100k nodes 129 against 102 ms.
Below about 200k edges plus positives one thread is the faster choice, so
the trainer takes it there and gives torch its thread count back after
the step.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def serial_below(work: int, threshold: int,
                 device: torch.device) -> Iterator[None]:
    """Run the block on one CPU thread when ``work`` (edges plus positives
    of the step's graph) is below ``threshold``; restores torch's thread
    count afterwards, also when the block raises."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1 or work >= threshold:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
