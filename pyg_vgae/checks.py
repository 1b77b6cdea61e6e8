"""Cheap checks of tensors at the package's entry points.

Each check raises ``ValueError`` or ``TypeError`` naming the problem and the
fix, so that bad input fails early rather than deep inside torch.
"""
from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import Tensor

try:  # optional extra
    from torch_sparse import SparseTensor
except ImportError:  # pragma: no cover - depends on the environment
    SparseTensor = None


def is_sparse_adjacency(adj: Any) -> bool:
    """Whether ``adj`` is a ``torch.sparse`` or ``torch_sparse`` matrix."""
    if isinstance(adj, Tensor):
        return adj.is_sparse or adj.layout in (torch.sparse_csr,
                                               torch.sparse_csc)
    return SparseTensor is not None and isinstance(adj, SparseTensor)


def check_features(x: Any, in_channels: int | None = None) -> None:
    """``x`` must be a floating ``[N, F]`` tensor with finite entries."""
    if not isinstance(x, Tensor):
        raise TypeError(f"node features x must be a torch.Tensor, got "
                        f"{type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"node features x must be 2-D [num_nodes, "
                         f"num_features], got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"node features x must be floating point, got "
                        f"{x.dtype}; convert with x.float()")
    if in_channels is not None and in_channels > 0 \
            and x.size(1) != in_channels:
        raise ValueError(f"node features have {x.size(1)} columns but the "
                         f"encoder expects in_channels={in_channels}")


def check_edge_index(edge_index: Any, num_nodes: int | tuple[int, int],
                     name: str = "edge_index") -> None:
    """``edge_index`` must be an integer ``[2, E]`` tensor of node ids in
    ``[0, num_nodes)`` (a pair ``(num_src, num_dst)``: source ids below the
    first, target ids below the second, as between two node types)."""
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got "
                        f"{type(edge_index).__name__}")
    if edge_index.dtype not in (torch.long, torch.int32):
        raise TypeError(f"{name} must hold integer node ids (torch.long), "
                        f"got {edge_index.dtype}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"{name} must have shape [2, num_edges], got "
                         f"{tuple(edge_index.shape)}; transpose an "
                         f"[num_edges, 2] list with .t()")
    if edge_index.numel() == 0 or _already_checked(edge_index, num_nodes):
        return
    low, high = int(edge_index.min()), int(edge_index.max())
    if low < 0:
        raise ValueError(f"{name} holds a negative node id ({low})")
    if isinstance(num_nodes, tuple):
        for end, high, size in zip(("source", "target"),
                                   edge_index.max(dim=1).values.tolist(),
                                   num_nodes):
            if high >= size:
                raise ValueError(f"{name} holds {end} node id {high}, out "
                                 f"of range for {size} {end} nodes")
    elif high >= num_nodes:
        raise ValueError(f"{name} holds node id {high}, out of range for "
                         f"{num_nodes} nodes")
    _remember(edge_index, num_nodes)


#: Edge tensors whose ids passed the range check, by identity and in-place
#: version: the check reads the ids back to the host, which on a GPU is a
#: synchronisation, so each graph pays it once, not every step.
_CHECKED: dict[tuple[int, int, int], weakref.ref] = {}
MAX_CHECKED = 64


def _already_checked(edge_index: Tensor,
                     num_nodes: int | tuple[int, int]) -> bool:
    ref = _CHECKED.get((id(edge_index), edge_index._version, num_nodes))
    return ref is not None and ref() is edge_index


def mark_checked(edge_index: Tensor, num_nodes: int | tuple[int, int]
                 ) -> Tensor:
    """Record that ``edge_index`` holds valid ids for ``num_nodes`` (the
    sampler's own output), so that checking it costs nothing; returns it."""
    _remember(edge_index, num_nodes)
    return edge_index


def _remember(edge_index: Tensor,
              num_nodes: int | tuple[int, int]) -> None:
    if len(_CHECKED) >= MAX_CHECKED:
        for key in [k for k, ref in _CHECKED.items() if ref() is None]:
            del _CHECKED[key]
        if len(_CHECKED) >= MAX_CHECKED:
            _CHECKED.clear()
    _CHECKED[(id(edge_index), edge_index._version, num_nodes)] = \
        weakref.ref(edge_index)


def check_adjacency(adj: Any, num_nodes: int,
                    edge_weight: Tensor | None = None) -> None:
    """Check an ``edge_index`` or a sparse adjacency against ``num_nodes``."""
    if is_sparse_adjacency(adj):
        shape = tuple(adj.sizes()) if not isinstance(adj, Tensor) \
            else tuple(adj.shape)
        if shape[:2] != (num_nodes, num_nodes):
            raise ValueError(f"sparse adjacency has shape {shape}, expected "
                             f"({num_nodes}, {num_nodes}) for {num_nodes} "
                             f"nodes")
        if edge_weight is not None:
            raise ValueError("edge_weight is given beside a sparse adjacency;"
                             " put the weights in the adjacency's values")
        return
    check_edge_index(adj, num_nodes)
    if edge_weight is not None:
        if not isinstance(edge_weight, Tensor) or edge_weight.dim() != 1 \
                or edge_weight.numel() != adj.size(1):
            raise ValueError(f"edge_weight must be a 1-D tensor with one "
                             f"value per edge ({adj.size(1)})")
