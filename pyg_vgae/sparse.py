r"""Fast GCN propagation for graphs that do not change between steps.

Training an auto-encoder calls the encoder hundreds of times on the same
``x`` and ``edge_index``. PyG's :class:`~torch_geometric.nn.conv.GCNConv`
recomputes :math:`\hat{A} = D^{-1/2}(A + I)D^{-1/2}` on every call (unless
``cached=True``, which then silently ignores any other graph) and multiplies
the dense feature matrix even when, as for Planetoid's bag-of-words, 99% of
it is zeros. :class:`CachedGCNConv` keeps the same parameters and outputs,
but

* builds :math:`\hat{A}` once per ``edge_index`` *tensor* as a CSR matrix
  (keyed on the tensor's identity and version, so a new or modified graph is
  never served a stale matrix), and propagates with sparse-dense products;
* multiplies sparse features as a CSR matrix, with a hand-written backward
  pass (:math:`\partial L / \partial W = (X^\top G)^\top`) that never makes
  :math:`X` dense;
* propagates fixed dense input features once, :math:`\hat{A} X W =
  (\hat{A} X) W`: the first layer then needs no sparse product at all,
  forward or backward;
* on the CPU, multiplies a CSR matrix as a weighted
  :func:`~torch.nn.functional.embedding_bag` (:func:`spmm`), two to three
  times faster than torch's CSR product.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GCNConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.nn.models import GCN

from .cache import MISSING, TensorCache

#: Features with at most this share of non-zeros are multiplied as sparse.
SPARSE_FEATURE_DENSITY = 0.1


_adjacency_cache = TensorCache()
_feature_cache = TensorCache()
_propagated_cache = TensorCache(size=4)


def clear_caches() -> None:
    """Forget every cached adjacency, sparse feature matrix and propagated
    feature matrix."""
    _adjacency_cache.clear()
    _feature_cache.clear()
    _propagated_cache.clear()


class _SparseProduct(torch.autograd.Function):
    """``matrix @ dense`` with the gradient ``matrix.T @ grad``; both
    matrices are CSR and given (the transpose by its
    :class:`SparseMatrix`), so nothing is densified."""

    @staticmethod
    def forward(ctx, matrix: Tensor, sparse: "SparseMatrix",
                dense: Tensor) -> Tensor:
        ctx.sparse = sparse
        return spmm(matrix, dense)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return None, None, spmm(ctx.sparse.matrix_t, grad)


class SparseMatrix:
    """A fixed CSR matrix and its transpose, multiplied with autograd
    through the dense side only. ``matrix_t``: the transpose, ``None``
    for a symmetric matrix, or a function that builds it when a backward
    pass first needs it (a mini-batch's first GCN layer over fixed
    features never does: :func:`propagated_features`)."""

    def __init__(self, matrix: Tensor,
                 matrix_t: Tensor | Callable[[], Tensor] | None = None):
        self.matrix = matrix
        self._matrix_t = matrix if matrix_t is None else matrix_t

    @property
    def matrix_t(self) -> Tensor:
        if not isinstance(self._matrix_t, Tensor):
            self._matrix_t = self._matrix_t()
        return self._matrix_t

    def __matmul__(self, dense: Tensor) -> Tensor:
        return _SparseProduct.apply(self.matrix, self, dense)


def spmm(matrix: Tensor, dense: Tensor) -> Tensor:
    r"""``matrix @ dense`` for a CSR ``matrix``: on the CPU, each output row
    :math:`\sum_k a_{ik} x_k` as a weighted
    :func:`~torch.nn.functional.embedding_bag` over the row's entries,
    which torch runs through FBGEMM's kernels. Measured here against
    torch's (MKL) CSR product: Cora's :math:`\hat{A} H` (11.7k non-zeros,
    32 columns, 1 thread) 25 us against 62 us, its features times a
    weight (49k non-zeros) 65 us against 139 us; at 1M nodes (21M
    non-zeros, 2 threads) 84 ms against 246 ms at 32 columns and 91 ms
    against 124 ms at 16. Equal up to rounding (the sums are taken in
    another order). Other devices, layouts and dtypes use ``@``."""
    if matrix.layout != torch.sparse_csr or matrix.device.type != "cpu" \
            or dense.dim() != 2 or dense.device.type != "cpu" \
            or dense.dtype not in (torch.float32, torch.float64) \
            or matrix.dtype != dense.dtype \
            or dense.size(0) != matrix.size(1):  # ``@`` says what is wrong
        return matrix @ dense
    return F.embedding_bag(matrix.col_indices(), plain_table(dense),
                           matrix.crow_indices(), mode="sum",
                           per_sample_weights=matrix.values(),
                           include_last_offset=True)


def plain_table(dense: Tensor) -> Tensor:
    r"""``dense`` as a contiguous table for
    :func:`~torch.nn.functional.embedding_bag`, detached where no graph is
    recorded (inside an autograd function's forward or backward): the
    kernel picks its training variant, which also builds per-entry
    bookkeeping, by the table's ``requires_grad`` and not by the grad
    mode. Cora's :math:`\hat{A} H` (32 columns, 1 thread): 40 against
    49 us, bitwise equal."""
    if not torch.is_grad_enabled():
        dense = dense.detach()
    return dense.contiguous()


def index_dtype(shape: tuple[int, ...], nnz: int) -> torch.dtype:
    """The index type of a CSR matrix: int32 where the ids fit, as MKL's
    product takes int32 and torch converts int64 indices on every call (at
    1M nodes a copy of 18M column ids per product; on Cora two of the seven
    copies of a training step)."""
    return torch.int32 if max(shape) < 2 ** 31 and nnz < 2 ** 31 \
        else torch.int64


def _compressed(crow: Tensor, col: Tensor, value: Tensor,
                shape: tuple[int, ...]) -> Tensor:
    """A CSR tensor with indices of :func:`index_dtype`."""
    dtype = index_dtype(shape, col.numel())
    crow, col = crow.to(dtype), col.to(dtype)
    with warnings.catch_warnings():  # "CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, value, shape,
                                       check_invariants=False)


def _to_csr(matrix: Tensor) -> Tensor:
    with warnings.catch_warnings():  # "CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        csr = matrix.to_sparse_csr()
    return _compressed(csr.crow_indices(), csr.col_indices(), csr.values(),
                       tuple(csr.shape))


def _dense_to_csr(dense: Tensor) -> Tensor:
    """The CSR matrix of a dense one's non-zero entries, which ``nonzero``
    lists in row-major order, sorted already. Cora's features (1 thread):
    7.6 ms against 11.7 ms for ``to_sparse_csr()``, and their transpose
    0.55 ms by :func:`_transpose` against 17 ms converted from a
    transposed copy."""
    row, col = dense.nonzero().unbind(1)
    return _compressed(row_pointers(row, dense.size(0)), col,
                       dense[row, col], tuple(dense.shape))


def _csr(row: Tensor, col: Tensor, value: Tensor, shape: tuple[int, int]
         ) -> Tensor:
    """The CSR matrix of COO entries, duplicates summed. One sort of the
    keys ``row * n + col`` (none when already sorted, as a coalesced
    ``edge_index`` is; by radix below :math:`2^{32}` keys,
    :func:`radix_order`), the ids then read back from the sorted keys
    rather than gathered in their order: COO ``coalesce()`` took 4.5 s for
    21M entries here, this about 1 s."""
    keys = row * shape[1] + col
    if keys.numel() > 1 and not bool((keys[1:] >= keys[:-1]).all()):
        order = radix_order(keys, shape[0] * shape[1])
        if order is None:
            keys, order = keys.sort()
        else:
            keys = keys.index_select(0, order)
        value = value.index_select(0, order)
    if keys.numel() > 1 and not bool((keys[1:] > keys[:-1]).all()):
        keys, slot = torch.unique_consecutive(keys, return_inverse=True)
        value = value.new_zeros(keys.numel()).index_add_(0, slot, value)
    return _compressed(row_pointers(keys // shape[1], shape[0]),
                       keys % shape[1], value, shape)


def _transpose(matrix: Tensor) -> Tensor:
    """The CSR matrix of ``matrix.T``: one stable sort of the column ids
    (int32: a radix sort, 0.4 s for 21M entries against 1 s for the int64
    keys a fresh :func:`_csr` sorts; NumPy's for 16-bit ids), which keeps
    each new row's entries in column order."""
    crow, col = matrix.crow_indices(), matrix.col_indices()
    rows = torch.repeat_interleave(
        torch.arange(matrix.size(0), dtype=col.dtype, device=col.device),
        crow.diff(), output_size=col.numel())
    shape = (matrix.size(1), matrix.size(0))
    # One NumPy pass for 16-bit ids; beyond, torch's int32 radix sort,
    # measured at 1M nodes (NumPy's two passes were not).
    order = radix_order(col, shape[0]) if shape[0] <= RADIX_KEYS else None
    if order is None:
        order = col.argsort(stable=True)
    return _compressed(row_pointers(col.index_select(0, order), shape[0]),
                       rows.index_select(0, order),
                       matrix.values().index_select(0, order), shape)


#: Keys below this fit 16 bits, which NumPy sorts by radix (its stable
#: sort of int16); torch's CPU sort compares: 9k ids took 53 us against
#: 689 us here. For the masked graph's adjacency, rebuilt every step of
#: ``best``, a step went from 10.3 to 9.6 ms on Cora and 12.6 to 12.1 ms
#: on CiteSeer (CPU time, 1 thread, median of 15, two rounds).
RADIX_KEYS = 1 << 16


def radix_order(keys: Tensor, bound: int) -> Tensor | None:
    """The stable permutation that sorts the CPU tensor ``keys`` (values in
    ``[0, bound)``): one radix pass of 16 bits below :data:`RADIX_KEYS`,
    two (low bits, then high) below :math:`2^{32}`; ``None`` for larger
    keys or another device."""
    if keys.device.type != "cpu" or bound > RADIX_KEYS ** 2:
        return None
    if bound <= RADIX_KEYS:
        return torch.from_numpy(np.argsort(_int16(keys, bound),
                                           kind="stable"))
    low = np.argsort(_int16(keys & (RADIX_KEYS - 1)), kind="stable")
    high = _int16(keys >> 16, (bound >> 16) + 1)[low]
    return torch.from_numpy(low[np.argsort(high, kind="stable")])


def _int16(keys: Tensor, bound: int = RADIX_KEYS) -> np.ndarray:
    """Keys in ``[0, bound)``, ``bound`` at most :math:`2^{16}`, as int16
    in the same order: shifted by :math:`2^{15}` unless they fit as they
    are (one subtraction fewer)."""
    if bound <= RADIX_KEYS >> 1:
        return keys.to(torch.int16).numpy()
    return (keys - (RADIX_KEYS >> 1)).to(torch.int16).numpy()


def row_pointers(rows: Tensor, num_rows: int) -> Tensor:
    """CSR's ``crow_indices`` of entries whose sorted row ids are
    ``rows``."""
    crow = torch.zeros(num_rows + 1, dtype=torch.long, device=rows.device)
    torch.cumsum(torch.bincount(rows, minlength=num_rows), 0, out=crow[1:])
    return crow


def _gcn_norm(edge_index: Tensor, edge_weight: Tensor | None,
              num_nodes: int, improved: bool, add_self_loops: bool,
              dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """PyG's ``gcn_norm`` (flow source to target), with ``improved``'s
    self-loops of weight 2 also for unweighted edges: PyG 2.8's fills them
    only into a given ``edge_weight`` and, given none, weights every edge
    and loop 1, so that ``GCNConv(improved=True)`` equals ``GCNConv()``
    there."""
    if improved and add_self_loops and edge_weight is None:
        edge_weight = torch.ones(edge_index.size(1), dtype=dtype,
                                 device=edge_index.device)
    return gcn_norm(edge_index, edge_weight, num_nodes, improved,
                    add_self_loops, flow="source_to_target", dtype=dtype)


def normalized_adjacency(edge_index: Tensor, edge_weight: Tensor | None,
                         num_nodes: int, improved: bool = False,
                         add_self_loops: bool = True,
                         dtype: torch.dtype = torch.float32) -> SparseMatrix:
    r""":math:`\hat{A}` of :func:`~torch_geometric.nn.conv.gcn_conv.gcn_norm`
    as a CSR matrix (rows are targets, as in PyG's message passing), cached
    per ``edge_index`` tensor."""

    def build() -> SparseMatrix:
        with torch.no_grad():
            index, weight = _gcn_norm(edge_index, edge_weight, num_nodes,
                                      improved, add_self_loops, dtype)
            weight = weight.to(dtype)
            shape = (num_nodes, num_nodes)
            matrix_t = _csr(index[0], index[1], weight, shape)
            matrix = _transpose(matrix_t)
            symmetric = all(torch.equal(a, b) for a, b in (
                (matrix.crow_indices(), matrix_t.crow_indices()),
                (matrix.col_indices(), matrix_t.col_indices()),
                (matrix.values(), matrix_t.values())))
        return SparseMatrix(matrix, None if symmetric else matrix_t)

    return _adjacency_cache.get(
        (edge_index, edge_weight),
        (num_nodes, improved, add_self_loops, edge_index.device, dtype),
        build)


def layer_adjacencies(edge_index: Tensor, edge_weight: Tensor | None,
                      num_nodes: int, sizes: list[int],
                      improved: bool = False,
                      add_self_loops: bool = True,
                      dtype: torch.dtype = torch.float32
                      ) -> list[SparseMatrix]:
    r"""Per layer, the part of :math:`\hat{A}` a trimmed GCN needs, for a
    subgraph sampled hop by hop (:mod:`pyg_vgae.neighbors`): its nodes
    come in hop order and ``sizes[k]`` of them lie within :math:`k` hops
    of the seeds (``num_nodes``: all of them; the sampled hops may be more
    than the layers). Layer :math:`i` of :math:`L` = ``len(sizes) - 1``
    computes only the ``sizes[L-1-i]`` nodes that later layers read, from
    the ``sizes[L-i]`` the previous layer computed: rows ``[0,
    sizes[L-1-i])`` and columns ``[0, sizes[L-i])`` of :math:`\hat{A}`, a
    row prefix of its CSR (every sampled edge points one hop inwards).
    :math:`\hat{A}` is normalised once over the whole subgraph, so every
    computed row equals the untrimmed layer's (normalising each trimmed
    graph, as PyG's ``trim_to_layer`` does, would change the degrees of
    the nodes whose own neighbours were trimmed)."""
    with torch.no_grad():
        matrix = _sorted_targets_norm(edge_index, edge_weight, num_nodes,
                                      improved, dtype) \
            if add_self_loops else None
        if matrix is None:
            index, weight = _gcn_norm(edge_index, edge_weight, num_nodes,
                                      improved, add_self_loops, dtype)
            # Rows are targets: messages flow from the sources.
            matrix = _csr(index[1], index[0], weight.to(dtype),
                          (num_nodes, num_nodes))
        crow, col, value = (matrix.crow_indices(), matrix.col_indices(),
                            matrix.values())
        layers = []
        for rows, cols in zip(sizes[-2::-1], sizes[::-1]):
            end = int(crow[rows])
            part = _compressed(crow[:rows + 1], col[:end], value[:end],
                               (rows, cols))
            layers.append(SparseMatrix(
                part, lambda part=part: _transpose(part)))
    return layers


def _sorted_targets_norm(edge_index: Tensor, edge_weight: Tensor | None,
                         num_nodes: int, improved: bool,
                         dtype: torch.dtype) -> Tensor | None:
    r""":math:`\hat{A}` (rows are targets) of edges already in target order
    and without self-loops, as the neighbour sampler gives them: the
    values of ``gcn_norm`` and each row's self-loop placed after its edges,
    so no sort is needed (at 1M nodes, batches of 8,192 edges with 5 + 5
    neighbours, the sorts were a third of a step). ``None`` for other
    edges, which take the general path."""
    source, target = edge_index
    if target.numel() > 1 and not bool((target[1:] >= target[:-1]).all()) \
            or bool((source == target).any()):
        return None
    weight = torch.ones(target.numel(), dtype=dtype,
                        device=target.device) if edge_weight is None \
        else edge_weight.to(dtype)
    loop = 2.0 if improved else 1.0
    degree = torch.full((num_nodes, ), loop, dtype=dtype,
                        device=target.device).index_add_(0, target, weight)
    scale = degree.pow_(-0.5)
    values = scale[source] * weight * scale[target]
    # Row t holds its edges, then its self-loop: the t self-loops of the
    # rows before it shift its edges by t.
    crow = row_pointers(target, num_nodes)
    crow += torch.arange(num_nodes + 1, device=crow.device)
    slot = torch.arange(target.numel(), device=target.device) + target
    loops = crow[1:] - 1
    nodes = torch.arange(num_nodes, device=target.device)
    col = source.new_empty(target.numel() + num_nodes)
    col[slot], col[loops] = source, nodes
    value = values.new_empty(col.numel())
    value[slot], value[loops] = values, scale.square().mul_(loop)
    return _compressed(crow, col, value, (num_nodes, num_nodes))


def sparse_features(x: Tensor) -> SparseMatrix | None:
    """``x`` as a CSR matrix when it is mostly zeros and needs no gradient,
    else ``None``; cached per ``x`` tensor."""
    if x.requires_grad or x.dim() != 2 or not x.is_floating_point():
        return None

    def build() -> SparseMatrix | None:
        with torch.no_grad():
            if x.layout != torch.strided:  # given sparse: keep it sparse
                matrix = _to_csr(x.to_sparse_coo().coalesce())
            elif torch.count_nonzero(x) > SPARSE_FEATURE_DENSITY * x.numel():
                return None
            else:
                matrix = _dense_to_csr(x)
        return SparseMatrix(matrix, lambda: _transpose(matrix))

    return _feature_cache.get((x, ), (x.device, ), build)


def dropout_stored(x: Tensor, p: float) -> Tensor | None:
    r"""``F.dropout(x, p)`` for mostly-zero features, drawn on the stored
    values only (the zeros stay zeros either way: the same distribution,
    another random stream), as a CSR tensor whose product matrices are
    cached with it, so that :func:`linear` multiplies it without building
    them. ``None`` for other features. A dense mask costs a draw per entry
    and a CSR matrix rebuilt from it every step: on Coauthor CS (18k x
    6.8k, 0.9% non-zeros) most of a 3 s epoch; a ``best`` GAE step on
    CiteSeer (3327 x 3703, 0.85%) 383 ms against 15 ms here, on Cora
    126 ms against 13 ms (CPU time, 1 thread)."""
    features = sparse_features(x)
    if features is None:
        return None
    matrix, matrix_t = features.matrix, features.matrix_t
    # Transposed CSR order of the values: rows of x.T are x's columns.
    order = _feature_cache.get((x, ), (x.device, "order of x.T"),
                               lambda: matrix.col_indices().argsort(
                                   stable=True))
    values = matrix.values()
    kept = torch.empty_like(values).bernoulli_(1 - p).div_(1 - p) \
        .mul_(values)
    dropped = _compressed(matrix.crow_indices(), matrix.col_indices(), kept,
                          tuple(matrix.shape))
    dropped_t = _compressed(matrix_t.crow_indices(), matrix_t.col_indices(),
                            kept.index_select(0, order),
                            tuple(matrix_t.shape))
    _feature_cache.put((dropped, ), (dropped.device, ),
                       SparseMatrix(dropped, dropped_t))
    return dropped


def keep_dense(x: Tensor) -> Tensor:
    """Have :func:`linear` multiply ``x`` dense, never converting it to CSR
    (returns ``x``): for dense features after a dropout mask, a new tensor
    every step that may be mostly zeros, whose conversion cost more than
    the dense product. Photo (7650 x 745, 35% non-zeros; 7% after dropout
    0.8), the dropout and the product with a 128-wide weight, forward and
    backward, 1 thread: 218 ms converted, 100 ms dense."""
    _feature_cache.put((x, ), (x.device, ), None)
    return x


#: Dense features with at most this share of non-zeros draw their dropout
#: on the non-zero entries only (:func:`dropout_dense`).
STORED_DROPOUT_DENSITY = 0.5


def dropout_dense(x: Tensor, p: float) -> Tensor:
    """``F.dropout(x, p)`` (training) for features that need no gradient,
    on the CPU, by a uniform draw instead of ``bernoulli_``, and on the
    non-zero entries only where they are at most half of ``x`` (their flat
    positions cached per ``x``; zeros stay zeros either way): the same
    distribution, another random stream. Photo (7650 x 745, 35% non-zeros)
    at p = 0.8, 1 thread: 82 ms with ``F.dropout``, 49 ms masked by a
    uniform draw, 23 ms on the non-zeros; a ``best`` GAE of four members
    draws it four times a step. Other inputs go to ``F.dropout``."""
    if x.requires_grad or x.device.type != "cpu" or not 0 < p < 1 \
            or not x.is_floating_point():
        return F.dropout(x, p)
    entries = _feature_cache.get((x, ), (x.device, "non-zero entries"),
                                 lambda: _sparse_entries(x))
    scale = 1 / (1 - p)
    if entries is None:  # mostly non-zeros: mask every entry
        return torch.rand_like(x).ge_(p).mul_(x).mul_(scale)
    index, values = entries
    kept = torch.rand(values.numel(), dtype=values.dtype).ge_(p) \
        .mul_(values).mul_(scale)
    dropped = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    dropped.view(-1).index_put_((index, ), kept)  # row-major, as indexed
    return dropped


def _sparse_entries(x: Tensor) -> tuple[Tensor, Tensor] | None:
    """Flat positions and values of ``x``'s non-zeros, ``None`` where they
    are more than :data:`STORED_DROPOUT_DENSITY` of it (the positions
    would then take more memory than ``x``)."""
    with torch.no_grad():
        flat = x.contiguous().view(-1)
        index = flat.nonzero().squeeze(1)
        if index.numel() > STORED_DROPOUT_DENSITY * flat.numel():
            return None
        if flat.numel() <= torch.iinfo(torch.int32).max:
            index = index.to(torch.int32)
        return index, flat.index_select(0, index)


def propagated_features(adjacency: SparseMatrix, x: Tensor,
                        out_channels: int) -> Tensor | None:
    r""":math:`\hat{A} X` (cached per ``x`` and graph) for dense features
    that need no gradient and have at most twice the layer's
    ``out_channels``, else ``None``. Propagating costs one product of
    width :math:`F` and spares two of width :math:`C` every step
    (:math:`\hat{A}(XW)` forward, :math:`\hat{A}^\top G` backward), so with
    :math:`F \le 2C` it never costs more, even when ``x`` changes every
    step (input dropout). Without gradients (evaluation), where hidden
    layers' inputs need none either, only a propagation made in training
    is used. Sparse features are never propagated: :math:`\hat{A} X` is
    denser than :math:`X` (on Cora about five times the non-zeros). At 1M
    nodes with 32 features this spares two of a VGAE step's four widest
    sparse products."""
    if x.requires_grad or x.layout != torch.strided or x.dim() != 2 \
            or x.size(1) > 2 * out_channels \
            or sparse_features(x) is not None:
        return None
    key = (x, adjacency.matrix)
    if not torch.is_grad_enabled():
        found = _propagated_cache.peek(key, ())
        return None if found is MISSING else found
    with torch.no_grad():
        return _propagated_cache.get(key, (),
                                     lambda: spmm(adjacency.matrix, x))


def _initialize(lin: torch.nn.Module, x: Tensor) -> None:
    """Size a lazy ``in_channels=-1`` layer from ``x``."""
    if hasattr(lin, "_hook"):
        lin.initialize_parameters(lin, (x, ))


def linear(lin: torch.nn.Module, x: Tensor) -> Tensor:
    r"""``lin(x)`` without its bias, :math:`X W^\top`, with mostly-zero
    features multiplied as a cached CSR matrix (a lazy ``in_channels=-1``
    layer is sized first)."""
    _initialize(lin, x)
    features = sparse_features(x)
    if features is not None:
        return features @ lin.weight.t()
    return F.linear(x, lin.weight)


class CachedGCNConv(GCNConv):
    r"""PyG's :class:`~torch_geometric.nn.conv.GCNConv` (same parameters,
    same output, same ``state_dict``),

    .. math::
        X' = \hat{A} X W + b, \qquad
        \hat{A} = D^{-1/2}(A + I)D^{-1/2},

    that caches :math:`\hat{A}` per ``edge_index`` tensor and multiplies
    sparse features as sparse (see :mod:`pyg_vgae.sparse`). Falls back to
    GCNConv for sparse adjacencies, ``cached=True``, ``normalize=False`` and
    edge weights that need a gradient.
    """

    def forward(self, x: Tensor, edge_index: Any,
                edge_weight: Tensor | None = None) -> Tensor:
        if not self._can_cache(x, edge_index, edge_weight):
            if self.improved and self.normalize and edge_weight is None \
                    and isinstance(edge_index, Tensor) \
                    and edge_index.layout == torch.strided:
                edge_weight = x.new_ones(edge_index.size(1))  # _gcn_norm
            return super().forward(x, edge_index, edge_weight)
        adjacency = normalized_adjacency(edge_index, edge_weight, x.size(0),
                                         self.improved, self.add_self_loops,
                                         x.dtype)
        return self.forward_normalized(x, adjacency)

    def forward_normalized(self, x: Tensor, adjacency: SparseMatrix
                           ) -> Tensor:
        r""":math:`\hat{A} X W + b` for a given normalised ``adjacency``,
        whose columns are the rows of ``x`` and whose rows are the output's
        (:func:`layer_adjacencies`)."""
        propagated = propagated_features(adjacency, x, self.out_channels)
        if propagated is not None:
            _initialize(self.lin, x)
            out = F.linear(propagated, self.lin.weight)
        else:
            out = adjacency @ linear(self.lin, x)
        if self.bias is not None:
            # in place: the product's output is not saved for backward,
            # and at 1M nodes this spares a fresh 128 MB tensor
            out.add_(self.bias)
        return out

    def _can_cache(self, x: Tensor, edge_index: Any,
                   edge_weight: Tensor | None) -> bool:
        return (isinstance(x, Tensor) and isinstance(edge_index, Tensor)
                and not edge_index.is_sparse
                and edge_index.layout == torch.strided
                and self.normalize and not self.cached
                and (edge_weight is None or not edge_weight.requires_grad)
                and x.dtype in (torch.float32, torch.float64)
                and x.dim() == 2)


class CachedGCN(GCN):
    """PyG's :class:`~torch_geometric.nn.models.GCN` over
    :class:`CachedGCNConv`."""

    def init_conv(self, in_channels: int, out_channels: int,
                  **kwargs: Any) -> CachedGCNConv:
        return CachedGCNConv(in_channels, out_channels, **kwargs)
