"""Graphs in: datasets by name (Planetoid, Amazon, Coauthor, CitationFull,
OGB) offline, users' own files, a synthetic default, and link splits."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from torch_geometric.data import Data

from ..rng import seeded
from .datasets import NAMED, cache_dir, canonical, default_root, load_named
from .files import (EDGE_LIST_SUFFIXES, MAX_IDENTITY_NODES, clean_edges,
                    featureless, load_graph_file, prepare_graph,
                    read_edge_list, read_features)
from .split import link_labels, official_split, split_edges
from .synthetic import SYNTHETIC, synthetic_graph


def load_planetoid(name: str, root: str | None = None,
                   normalize_features: bool = True) -> Data:
    """Cora, CiteSeer or PubMed (see :func:`load_named`)."""
    found = canonical(name)
    if found is None or found[0] != "Planetoid":
        raise ValueError(f"unknown Planetoid dataset '{name}'; choose one of "
                         f"['CiteSeer', 'Cora', 'PubMed']")
    return load_named(name, root, normalize_features)


def load_dataset(name: str | None = None, root: str | None = None,
                 features: str | None = None,
                 normalize_features: bool = True,
                 directed: bool = False, weighted: bool = False) -> Data:
    """A graph by dataset name (:data:`NAMED`), by path (a ``.pt`` Data or
    an edge list), or the synthetic default (``None`` or ``"sbm"``).
    ``features`` (a file) replaces the graph's own features, with a log
    line. ``normalize_features`` row-normalises a named dataset's
    bag-of-words features. ``directed`` keeps the direction of a file's
    edges (named datasets: CitationFull's raw, directed adjacency);
    ``weighted`` reads a file's edge weights."""
    if weighted and (name is None or canonical(name) is not None
                     or name.lower() == SYNTHETIC):
        raise ValueError("--weighted reads an edge list's third column or a "
                         "saved graph's edge_weight; named datasets have no "
                         "edge weights")
    if name is None or name.lower() == SYNTHETIC:
        data = synthetic_graph()
    elif canonical(name) is not None:
        data = load_named(name, root, normalize_features, directed)
    elif Path(name).suffix or os.path.sep in name or Path(name).exists():
        return load_graph_file(name, features, directed, weighted)
    else:
        raise ValueError(f"unknown dataset '{name}'; use a name "
                         f"({', '.join(sorted(v[1] for v in NAMED.values()))}"
                         f"), '{SYNTHETIC}', or a path to a .pt or edge-list "
                         f"file")
    if features is not None:
        logging.getLogger("pyg_vgae").info(
            "--features %s replaces %s's own features", features, data.name)
        data.x = read_features(features, data.num_nodes)
    return data


__all__ = ["load_dataset", "load_named", "load_planetoid", "load_graph_file",
           "read_edge_list", "read_features", "prepare_graph", "clean_edges",
           "featureless", "synthetic_graph", "split_edges", "official_split",
           "link_labels", "seeded", "default_root", "cache_dir", "canonical",
           "NAMED", "SYNTHETIC", "EDGE_LIST_SUFFIXES", "MAX_IDENTITY_NODES"]
