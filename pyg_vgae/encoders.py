r"""Encoders: node features and a graph in, node embeddings out.

All encoders are built on PyG's :class:`~torch_geometric.nn.models.basic_gnn.BasicGNN`
family (:class:`~torch_geometric.nn.models.GCN`,
:class:`~torch_geometric.nn.models.GraphSAGE`,
:class:`~torch_geometric.nn.models.GAT`,
:class:`~torch_geometric.nn.models.GIN`) and take
``forward(x, edge_index, edge_weight=None)``, where ``edge_index`` may also be
a sparse adjacency (``torch.sparse`` or ``torch_sparse.SparseTensor``).
Variational encoders return ``(mu, logstd)``.
"""
from __future__ import annotations

import inspect
from itertools import accumulate
from typing import Any

import torch
from torch import Tensor
from torch_geometric.nn import Linear, MessagePassing
from torch_geometric.nn.resolver import (activation_resolver,
                                         normalization_resolver)
from torch_geometric.nn.inits import glorot
from torch_geometric.nn.models import GAT, GIN, GraphSAGE
from torch_geometric.nn.models.basic_gnn import BasicGNN
from torch_geometric.typing import Adj

from .checks import check_adjacency, check_features
from .sparse import (CachedGCN, CachedGCNConv, dropout_dense,
                     dropout_stored, keep_dense, layer_adjacencies, linear)

#: Conv names accepted by :class:`GNNEncoder`. GCN propagates through a
#: cached normalised adjacency (:mod:`pyg_vgae.sparse`).
CONVS: dict[str, type[BasicGNN]] = {
    "gcn": CachedGCN,
    "sage": GraphSAGE,
    "gat": GAT,
    "gin": GIN,
}


def _gnn_class(conv: str | type) -> type[BasicGNN]:
    """Resolve a conv name, a ``BasicGNN`` class or a ``MessagePassing``
    class to a ``BasicGNN`` class."""
    if isinstance(conv, str):
        try:
            return CONVS[conv.lower()]
        except KeyError:
            raise ValueError(f"unknown conv '{conv}'; choose one of "
                             f"{sorted(CONVS)} or pass a MessagePassing "
                             f"class") from None
    if isinstance(conv, type) and issubclass(conv, BasicGNN):
        return conv
    if isinstance(conv, type) and issubclass(conv, MessagePassing):
        params = inspect.signature(conv.forward).parameters

        def init_conv(self, in_channels, out_channels, **kwargs):
            return conv(in_channels, out_channels, **kwargs)

        return type(f"{conv.__name__}Stack", (BasicGNN, ), {
            "supports_edge_weight": "edge_weight" in params,
            "supports_edge_attr": "edge_attr" in params,
            "init_conv": init_conv,
        })
    raise TypeError(f"conv must be a name, a BasicGNN class or a "
                    f"MessagePassing class, got {conv!r}")


class GNNEncoder(torch.nn.Module):
    r"""A graph encoder over any PyG conv layer, plain or variational.

    A stack of ``num_layers`` conv layers,
    :math:`H^{(l+1)} = \mathrm{drop}(\mathrm{act}(\mathrm{norm}(
    \mathrm{conv}(H^{(l)}, A))))`, the last without activation. With
    ``variational=True`` the last layer has :math:`2d` outputs split into
    :math:`\mu` and :math:`\log\sigma`; for GCN this is exactly the two
    heads :math:`\mathrm{GCN}_\mu`, :math:`\mathrm{GCN}_\sigma` of the VGAE
    paper (`Kipf and Welling, 2016 <https://arxiv.org/abs/1611.07308>`_),
    computed with one propagation instead of two.

    Args:
        in_channels: Width of the node features (``-1`` for lazy).
        hidden_channels: Width of the hidden layers.
        out_channels: Width :math:`d` of the embeddings.
        conv: ``"gcn"``, ``"sage"``, ``"gat"``, ``"gin"``, a ``BasicGNN``
            class, or any ``MessagePassing`` class taking
            ``(in_channels, out_channels, **kwargs)``.
        num_layers: Number of conv layers (1 gives a linear encoder).
        dropout: Dropout between layers, in ``[0, 1)``.
        act: Activation between layers (any name PyG's resolver knows).
        norm: Normalisation between layers (``"batch_norm"``,
            ``"layer_norm"``, ...), or ``None``.
        variational: Return ``(mu, logstd)`` instead of embeddings.
        input_dropout: Dropout on the input features, as masked graph
            auto-encoders use (MaskGAE, Li et al., 2023), in ``[0, 1)``.
        out_act: Apply ``norm`` and ``act`` to the output layer too (as
            MaskGAE does); only for non-variational encoders.
        out_norm: Apply ``norm`` to the output layer (``None``: as
            ``out_act`` says); for a variational encoder, to
            :math:`\mu` and :math:`\log\sigma` before they are split, its
            affine shift free to move :math:`\log\sigma` anywhere.
        skip: Add a linear map of the (input-dropped) features to the
            output, :math:`Z = \mathrm{GNN}(X, A) + X W_{skip}`: the linear
            skip connection of the tuned GAEs of Ma et al. (CIKM 2025),
            which lets nodes with few edges keep their own features.
        check_input: Check shapes, dtypes and index ranges on each call.
        **conv_kwargs: Passed on to each conv layer (e.g. ``cached=True``,
            ``bias=False``, ``heads=4``).
    """

    def __init__(self, in_channels: int, hidden_channels: int,
                 out_channels: int, conv: str | type = "gcn",
                 num_layers: int = 2, dropout: float = 0.0,
                 act: str | None = "relu", norm: str | None = None,
                 variational: bool = False, check_input: bool = True,
                 input_dropout: float = 0.0, out_act: bool = False,
                 skip: bool = False, out_norm: bool | None = None,
                 **conv_kwargs: Any):
        super().__init__()
        for name, value in (("hidden_channels", hidden_channels),
                            ("out_channels", out_channels),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got "
                                 f"{value!r}")
        if not isinstance(in_channels, int) or in_channels == 0 \
                or in_channels < -1:
            raise ValueError(f"in_channels must be a positive integer (or -1 "
                             f"to infer it lazily), got {in_channels!r}")
        for name, value in (("dropout", dropout),
                            ("input_dropout", input_dropout)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must lie in [0, 1), got {value}")
        if out_act and variational:
            raise ValueError("out_act applies to plain encoders: mu and "
                             "logstd need no activation")
        out_norm = out_act if out_norm is None else out_norm
        if out_norm and norm is None:
            raise ValueError("out_norm applies the encoder's norm to its "
                             "output: set norm (e.g. 'batch_norm')")
        gnn_class = _gnn_class(conv)
        self.input_dropout = input_dropout
        width = 2 * out_channels if variational else out_channels
        self.out_norm = normalization_resolver(norm, width) \
            if out_norm else None
        self.out_act = activation_resolver(act) if out_act and act else None
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.variational = variational
        self.check_input = check_input
        self.gnn = gnn_class(in_channels, hidden_channels, num_layers,
                             out_channels=width, dropout=dropout, act=act,
                             norm=norm, **conv_kwargs)
        self.skip = Linear(in_channels, width, bias=False) if skip else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise every layer; each variational head gets a Glorot
        initialisation of its own, as two separate layers would."""
        self.gnn.reset_parameters()
        if self.skip is not None:
            self.skip.reset_parameters()
        if self.out_norm is not None:
            self.out_norm.reset_parameters()
        lin = getattr(self.gnn.convs[-1], "lin", None)
        weight = getattr(lin, "weight", None)
        if self.variational and isinstance(weight, torch.nn.Parameter) \
                and weight.dim() == 2 and weight.size(0) == \
                2 * self.out_channels:
            with torch.no_grad():
                for head in weight.chunk(2, dim=0):
                    glorot(head)

    def forward(self, x: Tensor, edge_index: Adj,
                edge_weight: Tensor | None = None,
                num_sampled_nodes_per_hop: list[int] | None = None,
                num_sampled_edges_per_hop: list[int] | None = None
                ) -> Tensor | tuple[Tensor, Tensor]:
        """Embed the nodes; ``(mu, logstd)`` when variational. Given the
        hop sizes of a sampled subgraph (named as PyG's ``BasicGNN`` names
        them; :meth:`pyg_vgae.neighbors.NeighborSampler.sample` gives
        them), with its nodes and edges in hop order, embed the seeds only
        (the first ``num_sampled_nodes_per_hop[0]`` rows), computing each
        layer only where a later one reads it (:meth:`trimmed`).
        ``num_sampled_edges_per_hop`` is taken for that convention and not
        needed: the rows of the normalised adjacency give each layer's
        edges."""
        if self.check_input:
            check_features(x, self.in_channels)
            check_adjacency(edge_index, x.size(0), edge_weight)
            if num_sampled_nodes_per_hop is not None and \
                    sum(num_sampled_nodes_per_hop) != x.size(0):
                raise ValueError(
                    f"num_sampled_nodes_per_hop sums to "
                    f"{sum(num_sampled_nodes_per_hop)} but x has "
                    f"{x.size(0)} rows: pass the hop sizes of this subgraph")
        if edge_weight is not None and not self.gnn.supports_edge_weight:
            raise ValueError(f"{type(self.gnn.convs[0]).__name__} does not "
                             f"use edge weights; drop edge_weight or use "
                             f"conv='gcn'")
        if self.input_dropout > 0 and x.layout == torch.strided \
                and self.training:
            x = self._input_dropout(x, edge_index, edge_weight)
        if num_sampled_nodes_per_hop is None:
            out = self.gnn(x, edge_index, edge_weight=edge_weight)
        else:
            out = self.trimmed(x, edge_index, edge_weight,
                               num_sampled_nodes_per_hop)
            x = x[:out.size(0)]
        if self.skip is not None:
            out = out + linear(self.skip, x)
        if self.out_norm is not None:
            out = self.out_norm(out)
        if self.out_act is not None:
            out = self.out_act(out)
        if self.variational:
            mu, logstd = out.chunk(2, dim=-1)
            return mu, logstd
        return out

    def trimmed(self, x: Tensor, edge_index: Tensor,
                edge_weight: Tensor | None, nodes_per_hop: list[int]
                ) -> Tensor:
        r"""The last layer's output for the seeds of a subgraph sampled hop
        by hop. A GCN computes layer :math:`i` of :math:`L` only for the
        nodes within :math:`L - 1 - i` hops, through the rows of
        :math:`\hat{A}` normalised over the whole subgraph
        (:func:`pyg_vgae.sparse.layer_adjacencies`), so the seeds get
        exactly the untrimmed output; other convs, and GCNs the trimming
        does not cover (jumping knowledge, more layers than hops), run on
        the whole subgraph and keep the seeds' rows."""
        gnn, seeds = self.gnn, nodes_per_hop[0]
        layers = gnn.num_layers
        first = gnn.convs[0]
        if not (isinstance(first, CachedGCNConv) and gnn.jk_mode is None
                and not hasattr(gnn, "lin") and not gnn.supports_norm_batch
                and layers < len(nodes_per_hop)
                and first._can_cache(x, edge_index, edge_weight)):
            return gnn(x, edge_index, edge_weight=edge_weight)[:seeds]
        sizes = list(accumulate(nodes_per_hop[:layers + 1]))
        adjacencies = layer_adjacencies(edge_index, edge_weight, x.size(0),
                                        sizes, first.improved,
                                        first.add_self_loops, x.dtype)
        out = x[:sizes[-1]]
        for i, (conv, norm) in enumerate(zip(gnn.convs, gnn.norms)):
            out = conv.forward_normalized(out, adjacencies[i])
            if i < layers - 1:  # as BasicGNN.forward between layers
                if gnn.act is not None and gnn.act_first:
                    out = gnn.act(out)
                out = norm(out)
                if gnn.act is not None and not gnn.act_first:
                    out = gnn.act(out)
                out = gnn.dropout(out)
        return out

    def _input_dropout(self, x: Tensor, edge_index: Adj,
                       edge_weight: Tensor | None) -> Tensor:
        """Dropout on the input features; where the first GCN layer takes
        them through :func:`pyg_vgae.sparse.linear`, on the stored values
        of mostly-zero ones (:func:`~pyg_vgae.sparse.dropout_stored`), and
        multiplied dense for the others
        (:func:`~pyg_vgae.sparse.keep_dense`); dense features are dropped
        by :func:`~pyg_vgae.sparse.dropout_dense`."""
        first = self.gnn.convs[0]
        if not (isinstance(first, CachedGCNConv)
                and first._can_cache(x, edge_index, edge_weight)):
            return dropout_dense(x, self.input_dropout)
        dropped = dropout_stored(x, self.input_dropout)
        return dropped if dropped is not None else keep_dense(
            dropout_dense(x, self.input_dropout))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, "
                f"{self.out_channels}, gnn={self.gnn}, "
                f"variational={self.variational})")


class GCNEncoder(GNNEncoder):
    r"""The two-layer GCN encoder of the GAE paper
    (`Kipf and Welling, 2016 <https://arxiv.org/abs/1611.07308>`_).

    .. math::
        Z = \hat{A}\, \mathrm{ReLU}(\hat{A} X W_0)\, W_1, \qquad
        \hat{A} = D^{-1/2}(A + I)D^{-1/2}
    """

    def __init__(self, in_channels: int, hidden_channels: int,
                 out_channels: int, **options: Any):
        super().__init__(in_channels, hidden_channels, out_channels,
                         conv="gcn", num_layers=2, variational=False,
                         **options)


class VariationalGCNEncoder(GNNEncoder):
    r"""The variational GCN encoder of the VGAE paper
    (`Kipf and Welling, 2016 <https://arxiv.org/abs/1611.07308>`_): a shared
    first layer, then the heads

    .. math::
        \mu = \hat{A}\, \mathrm{ReLU}(\hat{A} X W_0)\, W_\mu, \qquad
        \log\sigma = \hat{A}\, \mathrm{ReLU}(\hat{A} X W_0)\, W_\sigma
    """

    def __init__(self, in_channels: int, hidden_channels: int,
                 out_channels: int, **options: Any):
        super().__init__(in_channels, hidden_channels, out_channels,
                         conv="gcn", num_layers=2, variational=True,
                         **options)


class LinearEncoder(GNNEncoder):
    r"""The one-hop linear encoder of `Salha et al., 2020
    <https://arxiv.org/abs/2007.01594>`_, :math:`Z = \hat{A} X W`.

    It has no hidden layer, so it takes ``(in_channels, out_channels)``.
    """

    def __init__(self, in_channels: int, out_channels: int, **options: Any):
        super().__init__(in_channels, out_channels, out_channels,
                         conv="gcn", num_layers=1, variational=False,
                         **options)


class VariationalLinearEncoder(GNNEncoder):
    r"""The variational one-hop linear encoder of `Salha et al., 2020
    <https://arxiv.org/abs/2007.01594>`_:
    :math:`\mu = \hat{A} X W_\mu`, :math:`\log\sigma = \hat{A} X W_\sigma`.
    """

    def __init__(self, in_channels: int, out_channels: int, **options: Any):
        super().__init__(in_channels, out_channels, out_channels,
                         conv="gcn", num_layers=1, variational=True,
                         **options)
