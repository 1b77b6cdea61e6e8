"""A synthetic default graph that needs no download: a stochastic block
model whose features carry the blocks."""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import remove_self_loops, to_undirected

SYNTHETIC = "sbm"


def synthetic_graph(num_nodes: int = 1000, num_blocks: int = 5,
                    avg_degree: float = 10.0, homophily: float = 0.9,
                    num_features: int = 32, seed: int = 0) -> Data:
    """A stochastic block model with features that carry the blocks.

    Each node has about ``avg_degree`` neighbours, a share ``homophily`` of
    them in its own block; its features are its block's random centre plus
    unit noise. Generated from ``seed``, so it needs no download.
    """
    generator = torch.Generator().manual_seed(seed)
    y, starts, sizes = _blocks(num_nodes, num_blocks)
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
    num_nodes = y.numel()
    source, target = _block_pairs(y, starts, sizes,
                                  round(num_nodes * avg_degree / 2),
                                  homophily, generator)
    edge_index, _ = remove_self_loops(torch.stack([source, target]))
    return to_undirected(edge_index, num_nodes=num_nodes)




def synthetic_hetero_graph(num_users: int = 600, num_items: int = 400,
                           num_blocks: int = 4, avg_degree: float = 8.0,
                           homophily: float = 0.9, num_features: int = 16,
                           seed: int = 0):
    """A two-type block model: ``user`` and ``item`` nodes in
    ``num_blocks`` groups, ``(user, rates, item)`` edges and
    ``(user, follows, user)`` edges (both directions), each mostly inside a
    group (share ``homophily``); features carry the groups, with a width of
    their own per type. Generated from ``seed``; reverse ``rev_rates``
    edges are added, as ``T.ToUndirected`` would."""
    from torch_geometric.data import HeteroData
    if min(num_users, num_items) < num_blocks:
        raise ValueError(f"{num_users} users and {num_items} items cannot "
                         f"fill {num_blocks} blocks")
    generator = torch.Generator().manual_seed(seed)
    user_y, user_starts, user_sizes = _blocks(num_users, num_blocks)
    item_y, item_starts, item_sizes = _blocks(num_items, num_blocks)
    follows = _block_model_edges(user_y, user_starts, user_sizes, avg_degree,
                                 homophily, generator)
    rates = torch.unique(torch.stack(_block_pairs(
        user_y, item_starts, item_sizes, round(num_users * avg_degree / 2),
        homophily, generator)), dim=1)
    data = HeteroData()
    for node_type, y, width in (("user", user_y, num_features),
                                ("item", item_y, num_features + 8)):
        centres = torch.randn(num_blocks, width, generator=generator)
        data[node_type].x = centres[y] + 1.5 * torch.randn(
            y.numel(), width, generator=generator)
        data[node_type].y = y
    data["user", "rates", "item"].edge_index = rates
    data["item", "rev_rates", "user"].edge_index = rates.flip(0)
    data["user", "follows", "user"].edge_index = follows
    return data


def _block_pairs(source_y: Tensor, target_starts: Tensor,
                 target_sizes: Tensor, count: int, homophily: float,
                 generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """``count`` pairs: a uniform source node, and a uniform target node of
    the source's block with probability ``homophily``, else of another
    block (targets in contiguous blocks ``target_starts``,
    ``target_sizes``)."""
    num_blocks = target_sizes.numel()
    source = torch.randint(0, source_y.numel(), (count, ),
                           generator=generator)
    block = source_y[source]
    other = (block + torch.randint(1, max(num_blocks, 2), (count, ),
                                   generator=generator)) % num_blocks
    inside = torch.rand(count, generator=generator) < homophily
    target_block = torch.where(inside | (num_blocks == 1), block, other)
    offset = torch.rand(count, generator=generator) * \
        target_sizes[target_block]
    return source, target_starts[target_block] + offset.long()


def _blocks(num_nodes: int, num_blocks: int) -> tuple[Tensor, Tensor, Tensor]:
    """Block ids (contiguous), block starts and sizes of ``num_nodes``."""
    sizes = torch.full((num_blocks, ), num_nodes // num_blocks)
    sizes[-1] += num_nodes - int(sizes.sum())
    starts = torch.cumsum(sizes, 0) - sizes
    return torch.repeat_interleave(torch.arange(num_blocks), sizes), starts, \
        sizes
