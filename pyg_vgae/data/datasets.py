"""Datasets by name, offline, through the PyG and OGB classes users know.

A data root holds one folder per family, as in PyG's own examples
(``root/Planetoid/Cora/raw``, ``root/Amazon/Photo/raw``,
``root/Coauthor/CS/raw``, ``root/CitationFull/...``, ``root/OGB/ogbl_ddi``);
a root that is itself a family folder (``PYG_VGAE_DATA=.../Planetoid``) works
too. Processed files go to a cache folder (``$PYG_VGAE_CACHE``), never beside
the raw files, so a shared read-only data folder is never written to.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock
from torch_geometric.data import Data
from torch_geometric.datasets import Amazon, CitationFull, Coauthor, Planetoid
from torch_geometric.transforms import NormalizeFeatures

log = logging.getLogger("pyg_vgae")

#: Lower-case name -> (family folder, canonical name).
NAMED = {
    "cora": ("Planetoid", "Cora"), "citeseer": ("Planetoid", "CiteSeer"),
    "pubmed": ("Planetoid", "PubMed"),
    "photo": ("Amazon", "Photo"), "computers": ("Amazon", "Computers"),
    "cs": ("Coauthor", "CS"), "physics": ("Coauthor", "Physics"),
    "cora_ml": ("CitationFull", "Cora_ML"), "dblp": ("CitationFull", "DBLP"),
    "citationfull-cora": ("CitationFull", "Cora"),
    "citationfull-citeseer": ("CitationFull", "CiteSeer"),
    "citationfull-pubmed": ("CitationFull", "PubMed"),
    "ogbl-ddi": ("OGB", "ogbl-ddi"), "ogbl-collab": ("OGB", "ogbl-collab"),
    "ogbl-ppa": ("OGB", "ogbl-ppa"),
}
#: Prefixes users write before a name (``Amazon-Photo``, ``Coauthor-CS``).
PREFIXES = ("amazon-", "coauthor-")
PYG_CLASSES = {"Planetoid": Planetoid, "Amazon": Amazon,
               "Coauthor": Coauthor, "CitationFull": CitationFull}
#: Where each family keeps a dataset's files, relative to its folder.
FOLDER = {"Planetoid": lambda name: name, "Amazon": lambda name: name,
          "Coauthor": lambda name: name,
          "CitationFull": lambda name: name.lower(),
          "OGB": lambda name: name.replace("-", "_")}


def canonical(name: str) -> tuple[str, str] | None:
    """``(family, canonical name)`` of a dataset name, or ``None``."""
    key = name.lower()
    for prefix in PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
    return NAMED.get(key)


def default_root() -> str:
    """``$PYG_VGAE_DATA``, else ``~/.cache/pyg_vgae/data``."""
    return os.environ.get("PYG_VGAE_DATA") or str(
        Path.home() / ".cache" / "pyg_vgae" / "data")


def cache_dir() -> Path:
    """Where processed files go: ``$PYG_VGAE_CACHE`` or
    ``~/.cache/pyg_vgae``."""
    return Path(os.environ.get("PYG_VGAE_CACHE")
                or Path.home() / ".cache" / "pyg_vgae")


def family_root(root: str | Path, family: str, name: str) -> Path:
    """The folder the family's dataset class takes as ``root``: ``root/
    family`` in a data root, ``root`` itself when it is the family folder
    (or holds the dataset), else the family folder beside ``root``."""
    root = Path(root)
    inside = FOLDER[family](name)
    if (root / family).is_dir():
        return root / family
    if root.name.lower() == family.lower() or (root / inside).is_dir():
        return root
    if (root.parent / family / inside).is_dir():  # root is another family's
        return root.parent / family
    return root / family


def _cache_key(root: str | Path) -> Path:
    """The cache folder of a dataset root."""
    key = hashlib.sha1(os.path.abspath(root).encode()).hexdigest()[:12]
    return cache_dir() / "processed" / key


def _processed_dir(self) -> str:
    return str(_cache_key(self.root) / type(self).__name__
               / str(getattr(self, "name", "")))


def _offline(dataset_class: type) -> type:
    """``dataset_class`` with ``processed/`` in the cache folder."""
    return type(f"Cached{dataset_class.__name__}", (dataset_class, ),
                {"processed_dir": property(_processed_dir)})


def load_named(name: str, root: str | None = None,
               normalize_features: bool = True,
               directed: bool = False) -> Data:
    """A dataset by name (see :data:`NAMED`) from ``root`` (default
    :func:`default_root`); downloaded there by PyG / OGB when missing, on a
    machine that can. Bag-of-words features are row-normalised unless
    ``normalize_features`` is ``False``. ``directed`` (CitationFull only)
    reads the raw adjacency's directions, which PyG's class symmetrises."""
    found = canonical(name)
    if found is None:
        raise ValueError(f"unknown dataset '{name}'; choose one of "
                         f"{sorted(v[1] for v in NAMED.values())}")
    family, proper = found
    folder = family_root(root or default_root(), family, proper)
    if directed and family != "CitationFull":
        raise ValueError(f"{proper}'s files hold no edge directions; "
                         f"--directed works with CitationFull datasets "
                         f"(Cora_ML, DBLP, ...) and your own edge lists")
    if family == "OGB":
        return _load_ogb(proper, folder)
    transform = NormalizeFeatures() if normalize_features else None
    dataset = _build(lambda: _offline(PYG_CLASSES[family])(
        str(folder), proper, transform=transform), proper, folder, family)
    data = dataset[0]
    data.name = proper
    data.num_classes = dataset.num_classes
    if directed:
        data.edge_index = _directed_edges(dataset.raw_paths[0],
                                          data.num_nodes)
    return data


def _directed_edges(raw_path: str, num_nodes: int):
    """The raw npz adjacency with its directions, without self-loops."""
    from torch_geometric.io import read_npz
    from torch_geometric.utils import coalesce, remove_self_loops
    edge_index = read_npz(raw_path, to_undirected=False).edge_index
    edge_index, _ = remove_self_loops(edge_index)
    return coalesce(edge_index, num_nodes=num_nodes)


def _build(make, name: str, folder: Path, family: str,
           dataset_root: Path | None = None):
    """Run a dataset constructor; a corrupt processed cache is rebuilt
    once, unreadable raw files become an error naming the folder. The
    cache folder is locked meanwhile: two processes that load a dataset
    for the first time at once (runs side by side) would otherwise write
    the same processed file together, and one would read it half
    written."""
    processed = _cache_key(dataset_root or folder)
    processed.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{processed}.lock"):
        return _build_unlocked(make, name, folder, family, processed)


def _build_unlocked(make, name: str, folder: Path, family: str,
                    processed: Path):
    for attempt in (1, 2):
        try:
            with contextlib.redirect_stdout(sys.stderr):  # keep stdout clean
                return make()
        except Exception as error:  # PyG raises many types for bad files
            if attempt == 1 and processed.is_dir():
                log.warning("processed cache %s is unreadable (%s); "
                            "rebuilding it", processed, type(error).__name__)
                shutil.rmtree(processed, ignore_errors=True)
                continue
            reason = str(error).splitlines()[0] if str(error) else ""
            raise FileNotFoundError(
                f"cannot load {name} from '{folder}' "
                f"({type(error).__name__}: {reason[:200]}); pass --root (or "
                f"set PYG_VGAE_DATA) to a data root holding "
                f"{family}/{FOLDER[family](name)}/ with intact raw files"
            ) from error
    raise AssertionError("unreachable")


def _ogb_safe_globals() -> list:
    """What OGB's files pickle beside tensors: PyG's data classes and NumPy
    arrays (old files name ``numpy.core``). Allowed only while OGB loads,
    never process-wide."""
    from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage
    rebuild = np._core.multiarray._reconstruct
    return [DataEdgeAttr, DataTensorAttr, GlobalStorage, np.ndarray,
            np.dtype, rebuild, (rebuild, "numpy.core.multiarray._reconstruct"),
            type(np.dtype(np.int64)), type(np.dtype(np.float64)),
            type(np.dtype(np.float32)), type(np.dtype(np.int32))]


def _load_ogb(name: str, folder: Path) -> Data:
    """An OGB link-prediction dataset with its official split
    (``data.official_split``) and metric (``data.eval_metric``)."""
    try:
        from ogb.linkproppred import PygLinkPropPredDataset
    except ImportError:
        raise ValueError(f"{name} needs the ogb package: pip install "
                         f"'pyg-vgae[ogb]'") from None
    dataset_folder = folder / FOLDER["OGB"](name)
    if dataset_folder.is_dir() and not any(
            dataset_folder.glob("RELEASE_v*.txt")):
        # OGB would ask on stdin whether to delete the folder.
        raise FileNotFoundError(f"'{dataset_folder}' has no RELEASE_v*.txt: "
                                f"it is not an OGB dataset folder")

    def make():
        with torch.serialization.safe_globals(_ogb_safe_globals()):
            dataset = _offline(PygLinkPropPredDataset)(name, str(folder))
            return dataset, dataset.get_edge_split()

    dataset, split = _build(make, name, folder, "OGB", dataset_folder)
    data = dataset[0]
    data.official_split = {
        "train_pos": split["train"]["edge"].t().contiguous(),
        "valid_pos": split["valid"]["edge"].t().contiguous(),
        "valid_neg": split["valid"]["edge_neg"].t().contiguous(),
        "test_pos": split["test"]["edge"].t().contiguous(),
        "test_neg": split["test"]["edge_neg"].t().contiguous()}
    data.eval_metric = dataset.eval_metric
    data.name = name
    if data.x is None:
        from .files import featureless
        log.info("%s has no node features: using one-hot identities", name)
        data.x = featureless(data.num_nodes)
    return data
