r"""Inner products of chosen node pairs, :math:`s_k = z_{i_k}^\top z_{j_k}`,
a block of pairs at a time.

Written plainly, ``(z[i] * z[j]).sum(1)`` materialises two
:math:`E \times d` tensors forward and four backward. On a CPU each of
them is a fresh allocation of hundreds of MB at a million nodes, whose
pages the kernel must fault in and zero before the product even starts: a
fresh ``a * b`` of 8.5M x 16 floats took 198 ms here against 50 ms into a
reused buffer. Here the pairs go through two small reused buffers that stay
in cache, and the backward pass scatters straight into the gradient of
:math:`z`:

.. math::
    \frac{\partial L}{\partial z_i} = \sum_{k: i_k = i} g_k z_{j_k}
    + \sum_{k: j_k = i} g_k z_{i_k}.

Measured at 8.5M pairs of a 1M x 16 ``z`` (2 threads, forward + backward):
2.14 s plain, 1.27 s blocked, 0.86 s blocked with the pairs sorted by
their first node (which then streams). On a GPU the caching allocator
already reuses memory and one big kernel beats many small ones, so there
the plain expression is used.
"""
from __future__ import annotations

import torch
from torch import Tensor

#: Pairs per block: 32k x 16 floats (2 MiB) per buffer fits in cache;
#: 16k-64k measured alike.
BLOCK = 1 << 15


def pair_dot(source: Tensor, target: Tensor, edge_index: Tensor) -> Tensor:
    """``(source[edge_index[0]] * target[edge_index[1]]).sum(1)``, blocked
    on the CPU (once differentiable); ``source`` may be ``target``."""
    if source.device.type != "cpu" or edge_index.size(1) <= BLOCK:
        return (source.index_select(0, edge_index[0])
                * target.index_select(0, edge_index[1])).sum(dim=1)
    return _BlockedPairDot.apply(source, target, edge_index)


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
        grad_source = torch.zeros_like(source)
        # One tensor in both roles (the inner product decoder): one gradient.
        grad_target = grad_source if ctx.same \
            else torch.zeros_like(target)
        other = source.new_empty(BLOCK, source.size(1))
        for start, end in _blocks(grad.numel()):
            rows, weight = end - start, grad[start:end, None]
            for mine, gathered, into in ((0, target, grad_source),
                                         (1, source, grad_target)):
                torch.index_select(gathered, 0,
                                   edge_index[1 - mine, start:end],
                                   out=other[:rows])
                other[:rows].mul_(weight)
                into.index_add_(0, edge_index[mine, start:end],
                                other[:rows])
        if ctx.same:
            return grad_source, None, None
        return grad_source, grad_target, None
