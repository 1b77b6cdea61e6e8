"""Link splits: PyG's :class:`~torch_geometric.transforms.RandomLinkSplit`,
or a dataset's official split (OGB) where it has one."""
from __future__ import annotations

import copy
import logging

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import RandomLinkSplit
from torch_geometric.utils import to_undirected

from ..rng import seeded

log = logging.getLogger("pyg_vgae")

#: Attribute of a graph that carries its official split (see
#: :func:`official_split`).
OFFICIAL_SPLIT = "official_split"

#: Above this many undirected edges (and without edge attributes), the
#: split is ``RandomLinkSplit``'s permutation, graphs and positives, draw
#: for draw, with validation and test negatives from
#: :func:`pyg_vgae.sampling.sample_negatives`: at 10M edges PyG's
#: ``negative_sampling`` (``random.sample`` over :math:`N^2` ids, then
#: ``np.isin`` against every edge, even when asked for no pairs) took 6 s of
#: the 7-8 s split. Below, the split is PyG's own, negatives included, so
#: that every table here is reproduced by its seed.
OWN_NEGATIVES_EDGES = 2_000_000


def official_split(data: Data) -> tuple[Data, Data, Data]:
    """``(train, val, test)`` from the official split a dataset loader put
    in ``data.official_split`` (``train_pos``, ``valid_pos``,
    ``valid_neg``, ``test_pos``, ``test_neg``: ``[2, E]`` pairs, one
    direction each). Every split's graph holds the training edges only, as
    OGB's examples do for ``ogbl-ddi``."""
    split = data[OFFICIAL_SPLIT]
    train_graph = to_undirected(split["train_pos"], num_nodes=data.num_nodes)
    made = []
    for pos_key, neg_key in (("train_pos", None), ("valid_pos", "valid_neg"),
                             ("test_pos", "test_neg")):
        part = Data(x=data.x, edge_index=train_graph, num_nodes=data.num_nodes,
                    pos_edge_label_index=split[pos_key])
        if neg_key is not None:
            part.neg_edge_label_index = split[neg_key]
        made.append(part)
    return made[0], made[1], made[2]


def split_edges(data: Data, val_ratio: float = 0.05, test_ratio: float = 0.10,
                seed: int = 0, directed: bool = False
                ) -> tuple[Data, Data, Data]:
    """An undirected link split through PyG's ``RandomLinkSplit``.

    Validation and test negatives are drawn once, from ``seed``; the
    training graph keeps only training edges. Above
    :data:`OWN_NEGATIVES_EDGES` undirected edges the negatives come from
    :func:`pyg_vgae.sampling.sample_negatives` (uniform non-edges drawn
    with replacement: at that size a repeat is rare), the rest is
    ``RandomLinkSplit``'s. A graph that carries an
    official split (OGB) gets that split instead, whatever the ratios. Returns
    ``(train, val, test)`` with ``pos_edge_label_index`` and
    ``neg_edge_label_index`` (``split_labels=True``).
    """
    if OFFICIAL_SPLIT in data:
        log.info("using %s's official split (val_ratio and test_ratio do "
                 "not apply)", getattr(data, "name", "the dataset"))
        return official_split(data)
    for name, ratio in (("val_ratio", val_ratio),
                        ("test_ratio", test_ratio)):
        if not 0 < ratio < 1:
            raise ValueError(f"{name} must lie in (0, 1), got {ratio}")
    if val_ratio + test_ratio >= 1:
        raise ValueError(f"val_ratio + test_ratio must be below 1 to leave "
                         f"training edges, got {val_ratio + test_ratio}")
    num_undirected = data.edge_index.size(1) // (1 if directed else 2)
    if min(round(val_ratio * num_undirected),
           round(test_ratio * num_undirected)) < 1 \
            or num_undirected * (1 - val_ratio - test_ratio) < 1:
        raise ValueError(f"the graph has {num_undirected} undirected edges, "
                         f"too few for a {val_ratio:.0%} / {test_ratio:.0%} "
                         f"validation / test split")
    transform = RandomLinkSplit(num_val=val_ratio, num_test=test_ratio,
                                is_undirected=not directed,
                                split_labels=True,
                                add_negative_train_samples=False)
    own_negatives = num_undirected > OWN_NEGATIVES_EDGES and not any(
        data.is_edge_attr(key) for key in data.keys() if key != "edge_index")
    with seeded(seed):
        splits = _split_with_own_negatives(data, val_ratio, test_ratio,
                                           directed) \
            if own_negatives else transform(data)
    if torch.equal(splits[1].edge_index, splits[0].edge_index):
        # One tensor, so that caches keyed on it (the normalised adjacency,
        # the sampler's keys) are built once for training and validation.
        splits[1].edge_index = splits[0].edge_index
    if data.get("edge_weight") is not None:  # the labels' weights too
        for part in splits:
            part.pos_edge_label_weight = weights_of(
                part.pos_edge_label_index, data.edge_index,
                data.edge_weight, data.num_nodes)
    if directed:
        for part in splits:
            part.directed_edge_index = part.edge_index
            part.edge_index = to_undirected(part.edge_index,
                                            num_nodes=part.num_nodes)
    return splits


def _split_with_own_negatives(data: Data, val_ratio: float,
                              test_ratio: float, directed: bool
                              ) -> tuple[Data, Data, Data]:
    """What ``RandomLinkSplit(split_labels=True)`` returns for a graph
    without edge attributes, the same permutation of the same edges, but
    with the negatives of :func:`_add_negatives`."""
    edge_index = data.edge_index
    if directed:
        perm = torch.randperm(edge_index.size(1), device=edge_index.device)
    else:  # each undirected edge once, as stored with i <= j
        perm = (edge_index[0] <= edge_index[1]).nonzero().view(-1)
        perm = perm[torch.randperm(perm.numel(), device=perm.device)]
    num_val = int(val_ratio * perm.numel())
    num_test = int(test_ratio * perm.numel())
    num_train = perm.numel() - num_val - num_test

    def graph(index: Tensor) -> Tensor:
        edges = edge_index[:, index]
        return edges if directed else torch.cat([edges, edges.flip(0)], 1)

    train_graph = graph(perm[:num_train])
    parts = []
    for part_graph, labelled in (
            (train_graph, perm[:num_train]),
            (train_graph, perm[num_train:num_train + num_val]),
            (graph(perm[:num_train + num_val]), perm[num_train + num_val:])):
        part = copy.copy(data)
        part.edge_index = part_graph
        part.pos_edge_label_index = edge_index[:, labelled]
        part.pos_edge_label = torch.ones(labelled.numel(),
                                         device=labelled.device)
        parts.append(part)
    _add_negatives(parts[1:], data, directed)
    return parts[0], parts[1], parts[2]


def _add_negatives(parts: tuple[Data, ...], data: Data,
                   directed: bool) -> None:
    """As many negatives as positives for each of ``parts``: pairs that are
    no edge of ``data`` (in either direction unless ``directed``)."""
    from ..sampling import sample_negatives
    # A fresh view: the sampler's cache of this graph's keys is then
    # dropped with the view, not kept beside the training graph's.
    graph = (data.edge_index.detach(), )
    for part in parts:  # one draw each: a draw comes sorted by source
        neg = sample_negatives(graph, data.num_nodes,
                               part.pos_edge_label_index.size(1),
                               directed=directed)
        part.neg_edge_label_index = neg
        part.neg_edge_label = torch.zeros(neg.size(1), device=neg.device)


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


def weights_of(pairs: Tensor, edge_index: Tensor, edge_weight: Tensor,
               num_nodes: int) -> Tensor:
    """The weight of each pair in ``pairs`` on the graph ``edge_index``
    (0 where a pair is no edge)."""
    keys = edge_index[0] * num_nodes + edge_index[1]
    order = keys.argsort()
    sorted_keys = keys[order]
    wanted = pairs[0] * num_nodes + pairs[1]
    slot = torch.searchsorted(sorted_keys, wanted).clamp_(
        max=max(sorted_keys.numel() - 1, 0))
    found = sorted_keys[slot] == wanted
    return torch.where(found, edge_weight[order][slot],
                       torch.zeros_like(wanted, dtype=edge_weight.dtype))
