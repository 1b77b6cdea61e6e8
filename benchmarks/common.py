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


def markdown_table(header: list[str], rows: list[list]) -> str:
    """The one table writer of the benchmarks: a Markdown table of
    ``rows`` (cells already formatted) under ``header``."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"


def mean_std(values, scale: float = 100.0, digits: int = 1) -> str:
    """``mean ± std`` of ``values`` times ``scale`` (percent by default)."""
    import numpy as np
    values = scale * np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def write_results(out: Path, name: str, records, table: str) -> None:
    """``name.json`` (every record) and ``name.md`` (the table) under
    ``out``, created if need be."""
    import json
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(records, indent=2))
    (out / f"{name}.md").write_text(table)
