r"""The original code's reconstruction loss over all :math:`N^2` pairs
(Kipf and Welling, 2016): the target adjacency with self-loops, weighted by
``pos_weight`` and ``norm`` as in the original, computed without an
:math:`N \times N` matrix for the inner-product decoder."""
from __future__ import annotations

from torch import Tensor
from torch.nn import Module
from torch_geometric.utils import (add_remaining_self_loops, coalesce,
                                   to_dense_adj)

from . import losses
from .cache import TensorCache
from .checks import check_edge_index
from .decoders import is_inner_product


def full_recon_loss(decoder: Module, z: Tensor, edge_index: Tensor,
                    add_self_loops: bool = True,
                    max_dense_bytes: int | None = None) -> Tensor:
    """The loss of :meth:`pyg_vgae.GAE.full_recon_loss`: from the edge list a
    block of rows at a time for the inner-product decoder, else from the
    dense matrix within ``max_dense_bytes``."""
    num_nodes = z.size(0)
    check_edge_index(edge_index, num_nodes)
    edge_index, pos_weight, norm = _full_loss_target(
        edge_index, num_nodes, add_self_loops)
    if is_inner_product(decoder):
        return losses.inner_product_recon_loss(z, edge_index, pos_weight,
                                               norm)
    losses.check_dense_budget(num_nodes, max_dense_bytes,
                              element_size=3 * z.element_size(),
                              what="the full reconstruction loss")
    target = to_dense_adj(edge_index, max_num_nodes=num_nodes)[0]
    target = target.clamp_(max=1.0).to(z.dtype)
    logits = decoder.forward_all(z, sigmoid=False)
    return losses.dense_recon_loss(logits, target, pos_weight, norm)


_target_cache = TensorCache()


def _full_loss_target(edge_index: Tensor, num_nodes: int,
                      add_self_loops: bool) -> tuple[Tensor, float, float]:
    """The full loss's target entries (each once) and its ``pos_weight``
    and ``norm``; computed once per ``edge_index`` tensor, as the training
    graph does not change between steps."""

    def build() -> tuple[Tensor, float, float]:
        unique = coalesce(edge_index, num_nodes=num_nodes)
        # The original weighs by the adjacency without its diagonal, then
        # adds the identity to the target.
        without_loops = int((unique[0] != unique[1]).sum())
        pos_weight, norm = losses.dense_recon_weights(num_nodes,
                                                      without_loops)
        if add_self_loops:
            unique, _ = add_remaining_self_loops(unique, num_nodes=num_nodes)
            unique = coalesce(unique, num_nodes=num_nodes)
        return unique, pos_weight, norm

    return _target_cache.get((edge_index, ),
                             (num_nodes, add_self_loops), build)
