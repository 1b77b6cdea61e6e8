"""What every benchmark shares: where results go and how a graph is
loaded (through the package's own loader, so the benchmarks read data as
the command line does)."""
from __future__ import annotations

from pathlib import Path

from pyg_vgae.data import load_dataset

RESULTS = Path(__file__).resolve().parent / "results"


def load_graph(name: str, root: str | None, normalize: bool):
    """A dataset by name from ``root`` (a data root or a family folder)."""
    return load_dataset(name, root, normalize_features=normalize)
