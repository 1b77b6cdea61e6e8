"""Link splits: PyG's :class:`~torch_geometric.transforms.RandomLinkSplit`,
or a dataset's official split (OGB) where it has one."""
from __future__ import annotations

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
    training graph keeps only training edges. A graph that carries an
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
    with seeded(seed):
        splits = transform(data)
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
