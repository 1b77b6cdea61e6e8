"""Graphs in: Planetoid offline, users' own files, a synthetic default, and
link splits through PyG's :class:`~torch_geometric.transforms.RandomLinkSplit`.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.datasets import Planetoid
from torch_geometric.transforms import NormalizeFeatures, RandomLinkSplit
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from .checks import check_edge_index

log = logging.getLogger("pyg_vgae")

PLANETOID = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
SYNTHETIC = "sbm"
EDGE_LIST_SUFFIXES = (".csv", ".tsv", ".txt", ".edges", ".el")
#: Above this many nodes, featureless graphs get random features, not
#: one-hot identities.
MAX_IDENTITY_NODES = 20_000


@contextlib.contextmanager
def seeded(seed: int):
    """Seed torch, NumPy and ``random`` (PyG's samplers use all three) for
    the block, then restore their states, so that the caller's streams are
    untouched."""
    states = (torch.random.get_rng_state(), np.random.get_state(),
              random.getstate())
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(states[0])
        np.random.set_state(states[1])
        random.setstate(states[2])


def default_root() -> str:
    """``$PYG_VGAE_DATA``, else ``~/.cache/pyg_vgae/data``."""
    return os.environ.get("PYG_VGAE_DATA") or str(
        Path.home() / ".cache" / "pyg_vgae" / "data")


def cache_dir() -> Path:
    """Where processed files go: ``$PYG_VGAE_CACHE`` or
    ``~/.cache/pyg_vgae``."""
    return Path(os.environ.get("PYG_VGAE_CACHE")
                or Path.home() / ".cache" / "pyg_vgae")


class OfflinePlanetoid(Planetoid):
    """PyG's :class:`~torch_geometric.datasets.Planetoid` that reads ``raw/``
    from ``root`` but writes ``processed/`` to a cache folder, so a shared
    read-only data folder is never written to."""

    @property
    def processed_dir(self) -> str:
        key = hashlib.sha1(os.path.abspath(self.root).encode()).hexdigest()
        return str(cache_dir() / "processed" / key[:12] / self.name / "split")


def load_planetoid(name: str, root: str | None = None,
                   normalize_features: bool = True) -> Data:
    """Cora, CiteSeer or PubMed from ``root`` (downloaded there if missing,
    as PyG does). Features are row-normalised unless
    ``normalize_features`` is ``False`` (the VGAE and ARGA code fed them
    raw)."""
    key = name.lower()
    if key not in PLANETOID:
        raise ValueError(f"unknown Planetoid dataset '{name}'; choose one of "
                         f"{sorted(PLANETOID.values())}")
    root = root or default_root()
    transform = NormalizeFeatures() if normalize_features else None
    try:
        dataset = OfflinePlanetoid(root, PLANETOID[key], transform=transform)
    except (OSError, RuntimeError) as error:  # download or read failed
        raise FileNotFoundError(
            f"cannot load {PLANETOID[key]} from '{root}' ({error}); pass "
            f"--root (or set PYG_VGAE_DATA) to a folder holding "
            f"{PLANETOID[key]}/raw/ind.{key}.x and the other raw files"
        ) from error
    data = dataset[0]
    data.name = PLANETOID[key]
    data.num_classes = dataset.num_classes
    return data


def synthetic_graph(num_nodes: int = 1000, num_blocks: int = 5,
                    avg_degree: float = 10.0, homophily: float = 0.9,
                    num_features: int = 32, seed: int = 0) -> Data:
    """A stochastic block model with features that carry the blocks.

    Each node has about ``avg_degree`` neighbours, a share ``homophily`` of
    them in its own block; its features are its block's random centre plus
    unit noise. Generated from ``seed``, so it needs no download.
    """
    generator = torch.Generator().manual_seed(seed)
    sizes = torch.full((num_blocks, ), num_nodes // num_blocks)
    sizes[-1] += num_nodes - int(sizes.sum())
    starts = torch.cumsum(sizes, 0) - sizes
    y = torch.repeat_interleave(torch.arange(num_blocks), sizes)
    edge_index = _block_model_edges(y, starts, sizes, avg_degree, homophily,
                                    generator)
    centres = torch.randn(num_blocks, num_features, generator=generator)
    x = centres[y] + torch.randn(num_nodes, num_features, generator=generator)
    data = Data(x=x, edge_index=edge_index, y=y, num_nodes=num_nodes)
    data.name = f"sbm-{num_nodes}"
    data.num_classes = num_blocks
    return data


def _block_model_edges(y: Tensor, starts: Tensor, sizes: Tensor,
                       avg_degree: float, homophily: float,
                       generator: torch.Generator) -> Tensor:
    """About ``avg_degree / 2`` edges per node in time and memory linear in
    the edges (PyG's ``stochastic_blockmodel_graph`` visits all N^2
    pairs): each edge starts at a uniform node and ends at a uniform node of
    the same block with probability ``homophily``, else of another block."""
    num_nodes, num_blocks = y.numel(), sizes.numel()
    count = round(num_nodes * avg_degree / 2)
    source = torch.randint(0, num_nodes, (count, ), generator=generator)
    block = y[source]
    other = (block + torch.randint(1, max(num_blocks, 2), (count, ),
                                   generator=generator)) % num_blocks
    inside = torch.rand(count, generator=generator) < homophily
    target_block = torch.where(inside | (num_blocks == 1), block, other)
    offset = torch.rand(count, generator=generator) * sizes[target_block]
    target = starts[target_block] + offset.long()
    edge_index, _ = remove_self_loops(torch.stack([source, target]))
    return to_undirected(edge_index, num_nodes=num_nodes)


def clean_edges(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Undirected, without self-loops or duplicates; logs what it changed."""
    count = edge_index.size(1)
    no_loops, _ = remove_self_loops(edge_index)
    if no_loops.size(1) < count:
        log.info("removed %d self-loops", count - no_loops.size(1))
    undirected = to_undirected(no_loops, num_nodes=num_nodes)
    unique = coalesce(no_loops, num_nodes=num_nodes)
    if unique.size(1) < no_loops.size(1):
        log.info("removed %d duplicate edges",
                 no_loops.size(1) - unique.size(1))
    if undirected.size(1) != unique.size(1):
        log.info("made the graph undirected (%d -> %d directed edges)",
                 unique.size(1), undirected.size(1))
    return undirected


def read_edge_list(path: str | Path) -> Tensor:
    """Read two integer columns (node ids) per line; ``#`` starts a comment;
    commas, tabs or spaces separate the columns."""
    path = Path(path)
    text = path.read_text()
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.replace(",", " ").split()
        if len(fields) < 2:
            raise ValueError(f"{path}:{number}: expected two node ids, got "
                             f"'{line}'")
        try:
            src, dst = int(fields[0]), int(fields[1])
        except ValueError:
            raise ValueError(f"{path}:{number}: node ids must be integers, "
                             f"got '{fields[0]}' and '{fields[1]}'") from None
        if src < 0 or dst < 0:
            raise ValueError(f"{path}:{number}: node ids must not be "
                             f"negative, got {src} and {dst}")
        rows.append((src, dst))
    if not rows:
        raise ValueError(f"{path} holds no edges")
    return torch.tensor(rows, dtype=torch.long).t().contiguous()


def read_features(path: str | Path, num_nodes: int) -> Tensor:
    """Node features from ``.npy`` or ``.csv`` (one row per node)."""
    path = Path(path)
    if path.suffix == ".npy":
        array = np.load(path, allow_pickle=False)
    elif path.suffix in (".csv", ".tsv", ".txt"):
        array = np.loadtxt(path, delimiter="," if path.suffix == ".csv"
                           else None, ndmin=2, comments="#")
    else:
        raise ValueError(f"features must be a .npy or .csv file, got "
                         f"'{path.name}'")
    if array.ndim != 2:
        raise ValueError(f"features in {path} must be a 2-D table, got "
                         f"shape {array.shape}")
    if array.shape[0] != num_nodes:
        raise ValueError(f"features in {path} have {array.shape[0]} rows but "
                         f"the graph has {num_nodes} nodes")
    x = torch.as_tensor(array, dtype=torch.float)
    if not torch.isfinite(x).all():
        raise ValueError(f"features in {path} hold NaN or infinite values; "
                         f"clean or impute them first")
    return x


def featureless(num_nodes: int, seed: int = 0) -> Tensor:
    """One-hot identities (the papers' featureless input) for small graphs,
    fixed random Gaussian features for large ones."""
    if num_nodes <= MAX_IDENTITY_NODES:
        return torch.eye(num_nodes)
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(num_nodes, 64, generator=generator)


def load_graph_file(path: str | Path, features: str | Path | None = None
                    ) -> Data:
    """A user's graph: a saved PyG ``Data`` (``.pt``) or an edge list."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"'{path}' is a folder; pass a .pt or edge-list "
                         f"file (or --root for Planetoid data)")
    if not path.is_file():
        raise FileNotFoundError(f"no such graph file: '{path}'")
    if path.suffix == ".pt":
        try:
            data = torch.load(path, weights_only=False)
        except Exception as error:  # torch raises many types for bad files
            reason = str(error).splitlines()[0] if str(error) else ""
            raise ValueError(f"{path} is not a readable torch file "
                             f"({type(error).__name__}: {reason}); save a "
                             f"graph with torch.save(data, path)") from error
        if not isinstance(data, Data):
            raise ValueError(f"{path} holds a {type(data).__name__}, not a "
                             f"torch_geometric.data.Data graph")
        if data.edge_index is None:
            raise ValueError(f"{path} holds a graph without edge_index")
        check_edge_index(data.edge_index, data.num_nodes)
    elif path.suffix in EDGE_LIST_SUFFIXES:
        edge_index = read_edge_list(path)
        data = Data(edge_index=edge_index,
                    num_nodes=int(edge_index.max()) + 1)
    else:
        raise ValueError(f"unknown graph file type '{path.suffix}'; use a "
                         f"PyG Data saved as .pt or an edge list "
                         f"({', '.join(EDGE_LIST_SUFFIXES)})")
    data.edge_index = clean_edges(data.edge_index, data.num_nodes)
    if features is not None:
        data.x = read_features(features, data.num_nodes)
    elif data.x is None:
        log.info("no node features: using %s", "one-hot identities"
                 if data.num_nodes <= MAX_IDENTITY_NODES else
                 "random Gaussian features")
        data.x = featureless(data.num_nodes)
    elif data.x.dim() != 2 or data.x.size(0) != data.num_nodes:
        raise ValueError(f"features in {path} have shape "
                         f"{tuple(data.x.shape)}, expected one row per node "
                         f"({data.num_nodes} nodes)")
    elif not torch.isfinite(data.x.float()).all():
        raise ValueError(f"features in {path} hold NaN or infinite values; "
                         f"clean or impute them first")
    data.x = data.x.float()
    data.name = path.stem
    if getattr(data, "y", None) is not None and "num_classes" not in data:
        data.num_classes = int(data.y.max()) + 1
    return data


def load_dataset(name: str | None = None, root: str | None = None,
                 features: str | None = None,
                 normalize_features: bool = True) -> Data:
    """Load a graph by Planetoid name, by path, or the synthetic default
    (``None`` or ``"sbm"``). ``normalize_features`` row-normalises
    Planetoid's bag-of-words features (the VGAE code used them raw)."""
    if name is None or name.lower() == SYNTHETIC:
        return synthetic_graph()
    if name.lower() in PLANETOID:
        return load_planetoid(name, root, normalize_features)
    if Path(name).suffix or os.path.sep in name or Path(name).exists():
        return load_graph_file(name, features)
    raise ValueError(f"unknown dataset '{name}'; use Cora, CiteSeer, PubMed, "
                     f"'{SYNTHETIC}', or a path to a .pt or edge-list file")


def split_edges(data: Data, val_ratio: float = 0.05, test_ratio: float = 0.10,
                seed: int = 0) -> tuple[Data, Data, Data]:
    """An undirected link split through PyG's ``RandomLinkSplit``.

    Validation and test negatives are drawn once, from ``seed``; the
    training graph keeps only training edges. Returns
    ``(train, val, test)`` with ``pos_edge_label_index`` and
    ``neg_edge_label_index`` (``split_labels=True``).
    """
    for name, ratio in (("val_ratio", val_ratio),
                        ("test_ratio", test_ratio)):
        if not 0 < ratio < 1:
            raise ValueError(f"{name} must lie in (0, 1), got {ratio}")
    if val_ratio + test_ratio >= 1:
        raise ValueError(f"val_ratio + test_ratio must be below 1 to leave "
                         f"training edges, got {val_ratio + test_ratio}")
    num_undirected = data.edge_index.size(1) // 2
    if min(round(val_ratio * num_undirected),
           round(test_ratio * num_undirected)) < 1 \
            or num_undirected * (1 - val_ratio - test_ratio) < 1:
        raise ValueError(f"the graph has {num_undirected} undirected edges, "
                         f"too few for a {val_ratio:.0%} / {test_ratio:.0%} "
                         f"validation / test split")
    transform = RandomLinkSplit(num_val=val_ratio, num_test=test_ratio,
                                is_undirected=True, split_labels=True,
                                add_negative_train_samples=False)
    with seeded(seed):
        return transform(data)


def link_labels(data: Data) -> tuple[Tensor, Tensor]:
    """Positive and negative pairs of a split, from either of
    ``RandomLinkSplit``'s layouts (``split_labels=True`` or
    ``edge_label`` / ``edge_label_index``)."""
    if "pos_edge_label_index" in data:
        neg = data.get("neg_edge_label_index")
        if neg is None:
            neg = data.pos_edge_label_index.new_empty(2, 0)
        return data.pos_edge_label_index, neg
    if "edge_label_index" in data and "edge_label" in data:
        is_pos = data.edge_label > 0.5
        return (data.edge_label_index[:, is_pos],
                data.edge_label_index[:, ~is_pos])
    raise ValueError("the split has no link labels: expected "
                     "pos_edge_label_index / neg_edge_label_index or "
                     "edge_label / edge_label_index, as RandomLinkSplit makes")
