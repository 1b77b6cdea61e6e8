r"""Inner products of chosen node pairs, :math:`s_k = z_{i_k}^\top z_{j_k}`,
a block of pairs at a time.

Written plainly, ``(z[i] * z[j]).sum(1)`` materialises two
:math:`E \times d` tensors forward and four backward. On a CPU each of
them is a fresh allocation of hundreds of MB at a million nodes, whose
pages the kernel must fault in and zero before the product even starts: a
fresh ``a * b`` of 8.5M x 16 floats took 198 ms here against 50 ms into a
reused buffer. Here the pairs go through two small reused buffers that stay
in cache, and the backward pass writes straight into the gradient of
:math:`z`:

.. math::
    \frac{\partial L}{\partial z_i} = \sum_{k: i_k = i} g_k z_{j_k}
    + \sum_{k: j_k = i} g_k z_{i_k} = (G z + G^\top z)_i,

with :math:`G` the sparse matrix of the pairs weighted by their gradients
:math:`g_k`. For pairs that come back every step (the training positives)
the CSR structure of :math:`G` and :math:`G^\top` is built once and the
two terms are sparse products (epochs of 2.8-3.5 s against 3.8-4.5 s at
1M nodes); fresh pairs (each step's negatives) are scattered a block at a
time.

Below a block, both terms are sums over groups of pairs (a weighted
:func:`~torch.nn.functional.embedding_bag`), the groups found by a stable
radix sort of the node ids (:func:`~pyg_vgae.sparse.radix_order`): torch's
CPU sort compares (9k ids: 689 us against 53 us), and ``index_add_`` pays
about 20 ns per row of 16 floats, as much as for 32.

Measured at 8.5M pairs of a 1M x 16 ``z`` (2 threads, forward + backward
with the scatter): 2.14 s plain, 1.27 s blocked, 0.86 s blocked with the
pairs sorted by their first node (which then streams). On a GPU the
caching allocator already reuses memory and one big kernel beats many
small ones, so there the plain expression is used.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .cache import MISSING, TensorCache
from .sparse import (_compressed, index_dtype, plain_table, radix_order,
                     row_pointers, spmm)

#: Pairs per block: 32k x 16 floats (2 MiB) per buffer fits in cache;
#: 16k-64k measured alike.
BLOCK = 1 << 15


def pair_dot(source: Tensor, target: Tensor, edge_index: Tensor) -> Tensor:
    """``(source[edge_index[0]] * target[edge_index[1]]).sum(1)``, blocked
    on the CPU (once differentiable); ``source`` may be ``target``."""
    if source.device.type != "cpu":
        return _plain_pair_dot(source, target, edge_index)
    if edge_index.size(1) > BLOCK:
        return _BlockedPairDot.apply(source, target, edge_index)
    if torch.is_grad_enabled() and (source.requires_grad
                                    or target.requires_grad):
        return _PairDot.apply(source, target, edge_index)
    with torch.no_grad():
        return _cpu_pair_dot(source, target, edge_index)


def _plain_pair_dot(source: Tensor, target: Tensor, edge_index: Tensor
                    ) -> Tensor:
    return (source.index_select(0, edge_index[0])
            * target.index_select(0, edge_index[1])).sum(dim=1)


def _cpu_pair_dot(source: Tensor, target: Tensor, edge_index: Tensor
                  ) -> Tensor:
    """The plain product outside autograd: multiplied in place and summed
    by a matrix-vector product, which on a CPU sums rows of 16 floats in
    half the time of ``sum(dim=1)`` (9k pairs: 27 against 54 us)."""
    products = source.index_select(0, edge_index[0])
    products.mul_(target.index_select(0, edge_index[1]))
    if products.dtype not in (torch.float32, torch.float64):
        return products.sum(dim=1)
    return torch.mv(products, products.new_ones(products.size(1)))


class _PairDot(torch.autograd.Function):
    """The plain product in one autograd node, whose backward groups the
    pairs by node (:func:`_pair_grad`) instead of scattering them row by
    row: a Cora training step (9k pairs, 1 thread, CPU time of 20-step
    blocks alternated in one process, median of 40) 3.29 -> 3.10 ms for
    GAE and 4.42 -> 4.18 ms for VGAE. Equal to autograd's gradient up to
    rounding (the sums are taken in another order)."""

    @staticmethod
    def forward(ctx, source: Tensor, target: Tensor,
                edge_index: Tensor) -> Tensor:
        ctx.save_for_backward(source, target, edge_index)
        ctx.same = source is target
        return _cpu_pair_dot(source, target, edge_index)

    @staticmethod
    def backward(ctx, grad: Tensor):
        source, target, edge_index = ctx.saved_tensors
        if ctx.same:  # one tensor in both roles: each pair counts both ways
            return _pair_grad(torch.cat([grad, grad]), edge_index.reshape(-1),
                              edge_index.flip(0).reshape(-1), source), \
                None, None
        grads = [_pair_grad(grad, edge_index[side], edge_index[1 - side],
                            other, like.size(0))
                 if ctx.needs_input_grad[side] else None
                 for side, (like, other) in enumerate(((source, target),
                                                        (target, source)))]
        return grads[0], grads[1], None


def _pair_grad(grad: Tensor, rows: Tensor, partners: Tensor, table: Tensor,
               size: int | None = None) -> Tensor:
    r""":math:`\sum_{k: r_k = i} g_k\, t_{p_k}` for each row :math:`i` of
    the gradient (``size`` rows, by default as many as ``table``): the pairs
    sorted by ``rows`` (:func:`radix_order`), then one weighted sum per
    node; a scatter row by row where the ids need more than 32 bits."""
    size = table.size(0) if size is None else size
    order = radix_order(rows, size)
    if order is None:  # ids beyond 32 bits
        return table.new_zeros(size, table.size(1)).index_add_(
            0, rows, table.index_select(0, partners) * grad.unsqueeze(1))
    offsets = row_pointers(rows, size).to(rows.dtype)
    return F.embedding_bag(
        partners.index_select(0, order), plain_table(table), offsets,
        mode="sum", per_sample_weights=grad.index_select(0, order),
        include_last_offset=True)


def _blocks(count: int):
    for start in range(0, count, BLOCK):
        yield start, min(start + BLOCK, count)


class _BlockedPairDot(torch.autograd.Function):
    @staticmethod
    def forward(ctx, source: Tensor, target: Tensor,
                edge_index: Tensor) -> Tensor:
        ctx.save_for_backward(source, target, edge_index)
        ctx.same = source is target
        out = source.new_empty(edge_index.size(1))
        left = source.new_empty(BLOCK, source.size(1))
        right = source.new_empty(BLOCK, source.size(1))
        for start, end in _blocks(out.numel()):
            rows = end - start
            torch.index_select(source, 0, edge_index[0, start:end],
                               out=left[:rows])
            torch.index_select(target, 0, edge_index[1, start:end],
                               out=right[:rows])
            left[:rows].mul_(right[:rows])
            torch.sum(left[:rows], dim=1, out=out[start:end])
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        source, target, edge_index = ctx.saved_tensors
        grad_source = _side_grad(grad, edge_index, 0, target, source)
        grad_target = _side_grad(grad, edge_index, 1, source, target)
        if ctx.same:  # one tensor in both roles: one gradient
            return grad_source.add_(grad_target), None, None
        return grad_source, grad_target, None


def _side_grad(grad: Tensor, edge_index: Tensor, side: int, other: Tensor,
               like: Tensor) -> Tensor:
    r""":math:`\sum_{k: e_{side,k} = i} g_k\, o_{e_{1-side,k}}` for every
    row :math:`i` of ``like``: a CSR product where the pairs' grouping by
    ``edge_index[side]`` is known, else a blocked scatter."""
    shape = (like.size(0), other.size(0))
    grouping = _grouping(edge_index, side, shape)
    if grouping is not None:
        crow, col, order = grouping
        values = grad if order is None else grad.index_select(0, order)
        weights = _compressed(crow, col, values.to(other.dtype).contiguous(),
                              shape)
        return spmm(weights, other)
    out = torch.zeros_like(like)
    gathered = other.new_empty(BLOCK, other.size(1))
    for start, end in _blocks(grad.numel()):
        rows = end - start
        torch.index_select(other, 0, edge_index[1 - side, start:end],
                           out=gathered[:rows])
        gathered[:rows].mul_(grad[start:end, None])
        out.index_add_(0, edge_index[side, start:end], gathered[:rows])
    return out


_groupings = TensorCache()
_SEEN = "seen"


def _grouping(edge_index: Tensor, side: int, shape: tuple[int, int]):
    """``(crow, col, order)``: the pairs grouped by ``edge_index[side]`` as
    a CSR matrix of ``shape`` (``order`` sorts them, ``None`` when they
    already are), cached per tensor. Free when already sorted; otherwise
    sorted only for a tensor met before, as the training positives are
    every step (a fresh tensor of negatives is not worth a sort), and
    ``None`` meanwhile."""
    key = (side, *shape)
    found = _groupings.peek((edge_index, ), key)
    if found is not MISSING and found is not _SEEN:
        return found
    rows, order = edge_index[side], None
    if not bool((rows[1:] >= rows[:-1]).all()):
        if found is MISSING:
            _groupings.put((edge_index, ), key, _SEEN)
            return None
        order = rows.argsort(stable=True)
        rows = rows.index_select(0, order)
    col = edge_index[1 - side] if order is None \
        else edge_index[1 - side].index_select(0, order)
    crow = row_pointers(rows, shape[0])
    dtype = index_dtype(shape, col.numel())
    return _groupings.put((edge_index, ), key,
                          (crow.to(dtype), col.to(dtype), order))
