r"""Graph auto-encoders for heterogeneous graphs
(:class:`~torch_geometric.data.HeteroData`).

PyG's :class:`~torch_geometric.nn.GAE` expects one embedding matrix, so a
GAE whose encoder is built with :func:`~torch_geometric.nn.to_hetero` (a
dictionary of embeddings, one per node type) fails (PyG issue 5334).
:class:`HeteroGAE` takes that dictionary and reconstructs the edges of
chosen edge types, each with a decoder of its own and negatives sampled per
edge type between the right node types.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import Tensor
from torch.nn import Module, ModuleDict, Parameter

from . import losses, sampling
from .pairs import pair_dot
from .checks import check_edge_index, mark_checked
from .models import GAE

EdgeType = tuple[str, str, str]


def edge_type_key(edge_type: EdgeType) -> str:
    """The module key of an edge type, ``"src__rel__dst"`` as PyG's
    :func:`~torch_geometric.nn.to_hetero` names them."""
    return "__".join(edge_type)


class HeteroInnerProductDecoder(Module):
    r"""The inner product between a source-type and a target-type
    embedding, the GAE decoder of one edge type:

    .. math::
        p\big((i, r, j)\big) = \sigma\big(z^{(s)\top}_i z^{(t)}_j\big)
    """

    def forward(self, z_src: Tensor, z_dst: Tensor, edge_index: Tensor,
                sigmoid: bool = True) -> Tensor:
        logits = pair_dot(z_src, z_dst, edge_index)
        return torch.sigmoid(logits) if sigmoid else logits


class DistMultDecoder(HeteroInnerProductDecoder):
    r"""A bilinear decoder with a learnable diagonal per edge type
    (DistMult, `Yang et al., 2015 <https://arxiv.org/abs/1412.6575>`_), so
    that two relations between the same node types score pairs
    differently:

    .. math::
        p\big((i, r, j)\big) = \sigma\big(z^{(s)\top}_i
        \mathrm{diag}(w_r)\, z^{(t)}_j\big)

    Args:
        channels: Width of the embeddings; :math:`w_r` starts at ones (the
            inner product).
    """

    def __init__(self, channels: int):
        super().__init__()
        if not (isinstance(channels, int) and channels > 0):
            raise ValueError(f"channels must be a positive int, got "
                             f"{channels!r}")
        self.relation = Parameter(torch.ones(channels))

    def reset_parameters(self) -> None:
        torch.nn.init.ones_(self.relation)

    def forward(self, z_src: Tensor, z_dst: Tensor, edge_index: Tensor,
                sigmoid: bool = True) -> Tensor:
        return super().forward(z_src * self.relation, z_dst, edge_index,
                               sigmoid)


class HeteroGAE(GAE):
    r"""A graph auto-encoder on :class:`~torch_geometric.data.HeteroData`:
    the GAE of `Kipf and Welling, 2016 <https://arxiv.org/abs/1611.07308>`_
    with one embedding matrix per node type and one decoder per edge type
    to reconstruct.

    .. math::
        \{Z^{(v)}\}_v = \mathrm{enc}(\{X^{(v)}\}_v, \{A^{(r)}\}_r), \qquad
        \mathcal{L} = \frac{1}{|R|} \sum_{r = (s, \cdot, t) \in R}
        \mathrm{BCE}\big(\mathrm{dec}_r(Z^{(s)}, Z^{(t)});
        E^+_r, E^-_r\big)

    with :math:`E^-_r` sampled per edge type among (source-type,
    target-type) pairs that are no edge of :math:`r`. Train it with
    :class:`~pyg_vgae.train.hetero.HeteroTrainer` or by hand, as a GAE.

    Args:
        encoder: Maps ``(x_dict, edge_index_dict)`` to a dictionary of
            embeddings per node type, e.g. a GNN passed through
            :func:`~torch_geometric.nn.to_hetero`.
        edge_types: The edge types ``(src, rel, dst)`` to reconstruct.
        decoders: A decoder per edge type, called as
            ``dec(z_src, z_dst, edge_index, sigmoid)``; by default
            :class:`HeteroInnerProductDecoder` for each.
        neg_ratio: Negatives sampled per positive edge of each type.
        directed: Within one node type, whether the reverse of an edge is
            a valid negative (between two node types it always is).
    """

    def __init__(self, encoder: Module, edge_types: Iterable[EdgeType],
                 decoders: Mapping[EdgeType, Module] | None = None, *,
                 neg_ratio: float = 1.0, directed: bool = False):
        edge_types = _check_edge_types(edge_types)
        decoders = dict(decoders or {})
        unknown = set(map(tuple, decoders)) - set(edge_types)
        if unknown:
            raise ValueError(f"decoders are given for {sorted(unknown)}, "
                             f"which are not in edge_types")
        modules = ModuleDict({
            edge_type_key(t): decoders.get(t, HeteroInnerProductDecoder())
            for t in edge_types})
        super().__init__(encoder, modules, neg_ratio=neg_ratio,
                         directed=directed)
        self.edge_types = edge_types

    def encode(self, x_dict: dict, edge_index_dict: dict, *args: Any,
               **kwargs: Any) -> dict[str, Tensor]:
        """Run the encoder; it must return one embedding per node type."""
        z_dict = self.encoder(x_dict, edge_index_dict, *args, **kwargs)
        if not isinstance(z_dict, Mapping):
            raise TypeError(f"HeteroGAE's encoder must return a dict of "
                            f"embeddings per node type (build it with "
                            f"to_hetero), got {type(z_dict).__name__}")
        return z_dict

    def decode(self, z_dict: Mapping[str, Tensor], edge_index: Tensor,
               edge_type: EdgeType, sigmoid: bool = True) -> Tensor:
        """Scores of the pairs ``edge_index`` as edges of ``edge_type``."""
        src, _, dst = _known_type(self.edge_types, edge_type)
        z_src, z_dst = _embeddings(z_dict, src), _embeddings(z_dict, dst)
        check_edge_index(edge_index, (z_src.size(0), z_dst.size(0)),
                         f"the pairs of {edge_type}")
        decoder = self.decoder[edge_type_key(edge_type)]
        return decoder(z_src, z_dst, edge_index, sigmoid=sigmoid)

    def sample_negatives(self, pos_edge_index: Mapping[EdgeType, Tensor],
                         num_nodes: Mapping[str, int],
                         exclude_edge_index: Mapping | None = None,
                         num_neg_samples: Mapping | None = None
                         ) -> dict[EdgeType, Tensor]:
        """Per edge type, pairs that are no edge of it in ``pos_edge_index``
        nor in ``exclude_edge_index``: ``neg_ratio`` per positive unless
        ``num_neg_samples`` gives a count per type."""
        negatives = {}
        for edge_type, pos in pos_edge_index.items():
            src, _, dst = _known_type(self.edge_types, edge_type)
            extra = (exclude_edge_index or {}).get(edge_type)
            known = pos if extra is None else torch.cat(
                [pos, extra.to(pos.device)], dim=1)
            count = (num_neg_samples or {}).get(edge_type) or \
                self.num_negatives(pos.size(1))
            size = (num_nodes[src], num_nodes[dst])
            if src == dst:
                pairs = sampling.sample_negatives(
                    (known, ), size[0], count, directed=self.directed)
            else:
                pairs = sampling.bipartite_negatives(known, size, count)
            # Valid by construction: no check (a GPU synchronisation) later.
            negatives[edge_type] = mark_checked(pairs, size)
        return negatives

    def recon_loss(self, z_dict: Mapping[str, Tensor],
                   pos_edge_index: Mapping[EdgeType, Tensor],
                   neg_edge_index: Mapping[EdgeType, Tensor] | None = None
                   ) -> Tensor:
        r"""The mean over edge types of PyG's sampled binary cross-entropy
        (:func:`pyg_vgae.losses.sampled_recon_loss`); negatives are
        sampled per edge type when ``None``."""
        pos_edge_index = _check_pairs(self.edge_types, pos_edge_index,
                                      "pos_edge_index")
        if neg_edge_index is None:
            neg_edge_index = self.sample_negatives(
                pos_edge_index, {k: v.size(0) for k, v in z_dict.items()})
        per_type = []
        for edge_type, pos in pos_edge_index.items():
            if edge_type not in neg_edge_index:
                raise ValueError(f"neg_edge_index has no pairs of "
                                 f"{edge_type}")
            per_type.append(losses.sampled_recon_loss(
                self.decode(z_dict, pos, edge_type, sigmoid=False),
                self.decode(z_dict, neg_edge_index[edge_type], edge_type,
                            sigmoid=False)))
        return torch.stack(per_type).mean()

    @torch.no_grad()
    def test_per_type(self, z_dict: Mapping[str, Tensor],
                      pos_edge_index: Mapping[EdgeType, Tensor],
                      neg_edge_index: Mapping[EdgeType, Tensor]
                      ) -> dict[EdgeType, tuple[float, float]]:
        """AUC and AP of each edge type's positive against its negative
        pairs."""
        from .metrics import auc_ap
        pos_edge_index = _check_pairs(self.edge_types, pos_edge_index,
                                      "pos_edge_index")
        scores = {}
        for edge_type, pos in pos_edge_index.items():
            neg = neg_edge_index.get(edge_type)
            if neg is None or pos.size(1) == 0 or neg.size(1) == 0:
                raise ValueError(f"test() needs positive and negative pairs "
                                 f"of {edge_type}")
            scores[edge_type] = auc_ap(
                self.decode(z_dict, pos, edge_type, sigmoid=False),
                self.decode(z_dict, neg, edge_type, sigmoid=False))
        return scores

    @torch.no_grad()
    def test(self, z_dict: Mapping[str, Tensor],
             pos_edge_index: Mapping[EdgeType, Tensor],
             neg_edge_index: Mapping[EdgeType, Tensor]
             ) -> tuple[float, float]:
        """AUC and AP averaged over edge types (:meth:`test_per_type`)."""
        scores = list(self.test_per_type(z_dict, pos_edge_index,
                                         neg_edge_index).values())
        return (sum(auc for auc, _ in scores) / len(scores),
                sum(ap for _, ap in scores) / len(scores))

    # What the homogeneous GAE offers and a heterogeneous one cannot (yet).
    def forward_all(self, *args: Any, **kwargs: Any) -> Tensor:
        raise _unsupported("forward_all()", "use decode(z_dict, pairs, "
                           "edge_type)")

    def full_recon_loss(self, *args: Any, **kwargs: Any) -> Tensor:
        raise _unsupported("the full-adjacency loss", "use recon_loss()")

    def weighted_recon_loss(self, *args: Any, **kwargs: Any) -> Tensor:
        raise _unsupported("weighted edges", "drop the weights")

    def recommend(self, *args: Any, **kwargs: Any):
        raise _unsupported("recommend()", "score candidates with decode()")

def _known_type(edge_types: list[EdgeType], edge_type: Any) -> EdgeType:
    edge_type = tuple(edge_type)
    if edge_type not in edge_types:
        raise ValueError(f"{edge_type} is not one of the model's edge_types "
                         f"{edge_types}")
    return edge_type


def _check_pairs(edge_types: list[EdgeType], pairs: Any,
                 name: str) -> dict[EdgeType, Tensor]:
    """``pairs`` as a non-empty dict of the model's edge types, each with
    pairs."""
    if not isinstance(pairs, Mapping) or not pairs:
        raise TypeError(f"{name} must be a non-empty dict edge type -> "
                        f"[2, E] tensor, got {type(pairs).__name__}")
    pairs = {_known_type(edge_types, t): p for t, p in pairs.items()}
    empty = [t for t, p in pairs.items() if p.size(-1) == 0]
    if empty:
        raise ValueError(f"{name} has no pairs of {empty}")
    return pairs


def _unsupported(what: str, instead: str) -> NotImplementedError:
    return NotImplementedError(f"{what} is not available on heterogeneous "
                               f"graphs yet: {instead}")


def _embeddings(z_dict: Mapping[str, Tensor], node_type: str) -> Tensor:
    if node_type not in z_dict:
        raise ValueError(f"the encoder returned no embeddings of node type "
                         f"{node_type!r} (it returned {sorted(z_dict)}); "
                         f"does every node type have features x?")
    return z_dict[node_type]


def _check_edge_types(edge_types: Iterable[Any]) -> list[EdgeType]:
    checked = []
    for edge_type in edge_types:
        if not (isinstance(edge_type, (tuple, list)) and len(edge_type) == 3
                and all(isinstance(part, str) for part in edge_type)):
            raise TypeError(f"an edge type is a (src, rel, dst) tuple of "
                            f"strings, got {edge_type!r}")
        checked.append(tuple(edge_type))
    if not checked or len(set(checked)) != len(checked):
        raise ValueError(f"edge_types must name at least one edge type, "
                         f"each once; got {checked}")
    return checked


def hetero_link_labels(data: Any, edge_types: Iterable[EdgeType]
                       ) -> tuple[dict, dict]:
    """Positive and negative pairs per edge type of a
    :class:`~torch_geometric.transforms.RandomLinkSplit` split of a
    :class:`~torch_geometric.data.HeteroData`."""
    from .data import link_labels
    pos, neg = {}, {}
    for edge_type in edge_types:
        if edge_type not in data.edge_types:
            raise ValueError(f"the graph has no edges of type {edge_type}; "
                             f"it has {data.edge_types}")
        pos[edge_type], neg[edge_type] = link_labels(data[edge_type])
    return pos, neg
