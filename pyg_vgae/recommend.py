r"""Top-k link recommendation from a trained model: the most likely new
neighbours of chosen nodes, scored a chunk of query nodes at a time, so
memory is :math:`O(\mathrm{chunk\_size} \cdot N)`, never
:math:`N \times N`."""
from __future__ import annotations

import torch
from torch import Tensor

from .checks import check_edge_index


@torch.no_grad()
def recommend(model, z: Tensor, nodes: Tensor, k: int = 10,
              exclude_edge_index: Tensor | None = None,
              chunk_size: int = 1024) -> tuple[Tensor, Tensor]:
    """The ``k`` most likely new neighbours of each node in ``nodes`` under
    ``model``'s decoder. A node is never recommended to itself, nor along
    an edge of ``exclude_edge_index`` (e.g. the known graph).

    Returns:
        ``(logits, neighbours)``, both ``[len(nodes), k]``, best first.
    """
    num_nodes = z.size(0)
    if not 1 <= k < num_nodes:
        raise ValueError(f"k must lie in [1, {num_nodes - 1}] for "
                         f"{num_nodes} nodes, got {k}")
    nodes = torch.as_tensor(nodes, dtype=torch.long, device=z.device)
    check_edge_index(nodes.view(1, -1).expand(2, -1), num_nodes, "nodes")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    known = None
    if exclude_edge_index is not None:
        check_edge_index(exclude_edge_index, num_nodes, "exclude_edge_index")
        known = exclude_edge_index.to(z.device)
    best_logits, best_nodes = [], []
    for chunk in nodes.split(chunk_size):
        logits = _chunk_logits(model, z, chunk)
        logits[torch.arange(chunk.numel()), chunk] = -torch.inf
        if known is not None:
            _mask_known(logits, chunk, known, num_nodes)
        top = logits.topk(k, dim=1)
        short = torch.isneginf(top.values).any(dim=1)
        if bool(short.any()):
            raise ValueError(f"node {int(chunk[short][0])} has fewer than "
                             f"k={k} candidates once itself and "
                             f"exclude_edge_index are left out; lower k")
        best_logits.append(top.values)
        best_nodes.append(top.indices)
    return torch.cat(best_logits), torch.cat(best_nodes)


def _chunk_logits(model, z: Tensor, chunk: Tensor) -> Tensor:
    from .decoders import is_inner_product
    if is_inner_product(model.decoder):
        return z[chunk] @ z.t()
    all_nodes = torch.arange(z.size(0), device=z.device)
    pairs = torch.stack([chunk.repeat_interleave(all_nodes.numel()),
                         all_nodes.repeat(chunk.numel())])
    return model.decoder(z, pairs, sigmoid=False).view(chunk.numel(), -1)


def _mask_known(logits: Tensor, chunk: Tensor, known: Tensor,
                num_nodes: int) -> None:
    # Row of each query node in this chunk, -1 for the others.
    row_of = torch.full((num_nodes, ), -1, dtype=torch.long,
                        device=logits.device)
    row_of[chunk] = torch.arange(chunk.numel(), device=logits.device)
    for source, target in ((known[0], known[1]), (known[1], known[0])):
        rows = row_of[source]
        hit = rows >= 0
        logits[rows[hit], target[hit]] = -torch.inf
