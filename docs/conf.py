"""Sphinx configuration of the pyg_vgae documentation.

Besides autodoc, the build writes two kinds of pages from the code and the
results, so that nothing in them is typed by hand: the command-line
reference (from ``pyg-vgae --help``) and the benchmark tables (from
``benchmarks/results/*.md``).
"""
import logging
import os
import sys
from pathlib import Path

import pyg_vgae
from pyg_vgae import cli

DOCS = Path(__file__).parent
GENERATED = DOCS / "_generated"
RESULTS = DOCS.parent / "benchmarks" / "results"

project = "pyg_vgae"
release = pyg_vgae.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
]
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "torch": ("https://pytorch.org/docs/stable", None),
    "torch_geometric": ("https://pytorch-geometric.readthedocs.io/en/latest",
                        None),
    "sklearn": ("https://scikit-learn.org/stable", None),
}
intersphinx_timeout = 5
autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build", "_generated", "examples"]
html_theme = "alabaster"
nitpicky = False


class _OfflineInventories(logging.Filter):
    """Without a network (CI here) the inventories cannot be fetched: the
    links to PyTorch, PyG and scikit-learn then stay plain text, which is
    no reason to fail a ``-W`` build. Every other warning still fails it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("failed to reach any of the "
                                      "inventories"):
            record.levelno, record.levelname = logging.INFO, "INFO"
            return False
        return True


def _cli_reference() -> None:
    parser = cli.build_parser()
    sections = ["pyg-vgae", "=" * 8, "", ".. code-block:: text", ""]
    sections += ["   " + line for line in parser.format_help().splitlines()]
    subparsers = next(action for action in parser._actions
                      if action.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        title = f"pyg-vgae {name}"
        sections += ["", title, "-" * len(title), "", ".. code-block:: text",
                     ""]
        sections += ["   " + line for line in sub.format_help().splitlines()]
    (GENERATED / "cli_help.rst").write_text("\n".join(sections) + "\n")


def _markdown_table_to_rst(markdown: str, title: str) -> str:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in markdown.splitlines() if line.startswith("|")]
    rows = [row for row in rows if not set("".join(row)) <= set("-: ")]
    if not rows:
        return ""
    lines = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for row in rows:
        lines.append("   * - " + (row[0] or " "))
        lines += [f"     - {cell or ' '}" for cell in row[1:]]
    return "\n".join(lines) + "\n"


def _benchmark_tables() -> None:
    for name, title in (("linkpred", "Link prediction (test AUC / AP, %)"),
                        ("linkpred_published",
                         "Published numbers, other protocols"),
                        ("sweep_gae", "Validation AUC of the GAE sweep"),
                        ("sweep_vgae", "Validation AUC of the VGAE sweep"),
                        ("sweep_argva", "Validation AUC of the ARGVA sweep"),
                        ("sweep_featureless", "Validation Hits@20 of the "
                         "sweep for graphs without features (ogbl-ddi)"),
                        ("clustering", "Node clustering"),
                        ("speed_cpu", "Time per training step, CPU"),
                        ("speed_cuda", "Time per training step, CUDA"),
                        ("minibatch", "Mini-batch against full batch"),
                        ("scale", "Full-batch epoch against graph size"),
                        ("scale_cuda",
                         "Full-batch epoch against graph size, CUDA"),
                        ("scale_minibatch",
                         "Mini-batch against full batch by graph size"),
                        ("minibatch_memory",
                         "Mini-batch training peak against the batch"),
                        ("scale_minibatch_1m",
                         "Mini-batches of 8,192 edges at 1M nodes")):
        source = RESULTS / f"{name}.md"
        table = _markdown_table_to_rst(source.read_text(), title) \
            if source.exists() else ""
        command = f"benchmarks/{name.split('_')[0]}.py"
        if name in ("sweep_featureless", "minibatch_memory"):
            command = f"benchmarks/{name}.py"
        elif name.startswith("sweep_"):
            command += f" --model {name.split('_')[1]}"
        if name.endswith("cuda"):
            command += " --device cuda`` *on a machine with a GPU*"
        else:
            command += "``"
        text = table or f"*No results yet: run* ``{command}.\n"
        (GENERATED / f"{name}.rst").write_text(text)
    for name in ("scale", "scale_cuda"):
        plot = RESULTS / f"{name}.png"
        if plot.exists():
            with (GENERATED / f"{name}.rst").open("a") as handle:
                # Paths in an included file are relative to the including
                # page.
                handle.write(f"\n.. image:: {os.path.relpath(plot, DOCS)}"
                             f"\n   :alt: epoch time and peak memory "
                             f"against nodes, log-log\n")


def setup(app) -> None:
    GENERATED.mkdir(exist_ok=True)
    _cli_reference()
    _benchmark_tables()
    logging.getLogger("sphinx.sphinx.ext.intersphinx").addFilter(
        _OfflineInventories())
    sys.path.insert(0, str(DOCS.parent))
