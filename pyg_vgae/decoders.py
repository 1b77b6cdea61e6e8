r"""Edge decoders: embeddings of two nodes in, the logit of an edge out;
and the degree decoder of masked auto-encoders (one node in).

Each decoder has ``forward(z, edge_index, sigmoid=True)`` for chosen pairs and
``forward_all(z, sigmoid=True)`` for the dense :math:`N \times N` matrix, as
PyG's :class:`~torch_geometric.nn.models.InnerProductDecoder` does.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import MLP
from torch_geometric.nn.models import \
    InnerProductDecoder as PyGInnerProduct

from .pairs import pair_dot

__all__ = ["InnerProductDecoder", "MLPDecoder", "SourceTargetDecoder",
           "GravityDecoder", "DegreeDecoder"]


def _pair_rows(z: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
    # index_select, not z[index]: its backward is a plain index_add, several
    # times faster on CPU than advanced indexing's accumulate-put.
    return z.index_select(0, edge_index[0]), z.index_select(0, edge_index[1])


class InnerProductDecoder(PyGInnerProduct):
    r"""PyG's :class:`~torch_geometric.nn.models.InnerProductDecoder`
    (`Kipf and Welling, 2016 <https://arxiv.org/abs/1611.07308>`_),

    .. math::
        p(A_{ij} = 1 \mid z_i, z_j) = \sigma(z_i^\top z_j),

    with a faster backward pass; same outputs and signatures.
    """

    def forward(self, z: Tensor, edge_index: Tensor,
                sigmoid: bool = True) -> Tensor:
        """Decode the pairs in ``edge_index``."""
        value = pair_dot(z, z, edge_index)
        return torch.sigmoid(value) if sigmoid else value


class MLPDecoder(torch.nn.Module):
    r"""An MLP over the Hadamard product of the two embeddings.

    .. math::
        p(A_{ij} = 1 \mid z_i, z_j) = \sigma\big(\mathrm{MLP}(z_i \odot z_j)\big)

    Symmetric in :math:`i, j` like the inner product (which is the special
    case of a linear MLP with all-ones weights), but it can weigh and mix
    latent dimensions.

    Args:
        in_channels: Width of the embeddings.
        hidden_channels: Width of the hidden layers.
        num_layers: Number of linear layers (at least 1).
        dropout: Dropout between layers.
        input_dropout: Dropout on :math:`z_i \odot z_j` before the first
            layer (MaskGAE's edge decoder does this).
        chunk_size: Rows decoded at a time by :meth:`forward_all`, which
            bounds its memory to ``chunk_size * N * hidden_channels``.
    """

    def __init__(self, in_channels: int, hidden_channels: int = 64,
                 num_layers: int = 2, dropout: float = 0.0,
                 chunk_size: int = 256, input_dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= input_dropout < 1.0:
            raise ValueError(f"input_dropout must lie in [0, 1), got "
                             f"{input_dropout}")
        self.input_dropout = input_dropout
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got "
                             f"{num_layers}")
        channels = [in_channels] + [hidden_channels] * (num_layers - 1) + [1]
        self.mlp = MLP(channels, dropout=dropout, norm=None, act="relu")
        self.chunk_size = chunk_size

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, z: Tensor, edge_index: Tensor,
                sigmoid: bool = True) -> Tensor:
        """Decode the pairs in ``edge_index``."""
        source, target = _pair_rows(z, edge_index)
        pairs = F.dropout(source * target, self.input_dropout,
                          training=self.training)
        value = self.mlp(pairs).squeeze(-1)
        return torch.sigmoid(value) if sigmoid else value

    def forward_all(self, z: Tensor, sigmoid: bool = True) -> Tensor:
        """Decode every pair into a dense ``N x N`` matrix."""
        rows = [
            self.mlp(block.unsqueeze(1) * z.unsqueeze(0)).squeeze(-1)
            for block in z.split(self.chunk_size)
        ]
        adj = torch.cat(rows, dim=0)
        return torch.sigmoid(adj) if sigmoid else adj


class DegreeDecoder(torch.nn.Module):
    r"""Predicts how many of the pairs to reconstruct touch each node, from
    its embedding alone: the auxiliary task of MaskGAE (`Li et al., KDD 2023
    <https://arxiv.org/abs/2205.10053>`_), whose encoder sees the graph
    without the masked edges and so must guess each node's hidden degree.

    .. math::
        \mathcal{L}_{deg} = \frac{1}{N} \sum_i
        \big(\mathrm{MLP}(z_i) - \log(1 + d_i)\big)^2,

    with :math:`d_i` the number of target pairs at node :math:`i`. MaskGAE
    fits the raw count; its logarithm keeps the term's scale the same on
    graphs whose hubs have thousands of edges.

    Args:
        in_channels: Width of the embeddings.
        hidden_channels: Width of the hidden layer.
    """

    def __init__(self, in_channels: int, hidden_channels: int = 64):
        super().__init__()
        self.mlp = MLP([in_channels, hidden_channels, 1], norm=None,
                       act="relu")

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, z: Tensor) -> Tensor:
        r"""The predicted :math:`\log(1 + d_i)` of every node."""
        return self.mlp(z).squeeze(-1)

    def loss(self, z: Tensor, pairs: Tensor) -> Tensor:
        r""":math:`\mathcal{L}_{deg}` of ``z`` against the degrees of the
        pairs ``pairs`` (``2 x P`` node ids)."""
        degree = torch.bincount(pairs.reshape(-1), minlength=z.size(0))
        return F.mse_loss(self(z), degree.to(z.dtype).log1p())


class SourceTargetDecoder(torch.nn.Module):
    r"""A directed decoder: each node's embedding is split in a *source*
    half :math:`s` and a *target* half :math:`t`,

    .. math::
        p(i \to j) = \sigma(s_i^\top t_j),

    so :math:`p(i \to j) \ne p(j \to i)` (the source/target graph
    auto-encoder of Salha et al., 2019, `arXiv:1905.09570
    <https://arxiv.org/abs/1905.09570>`_). The encoder's output width must
    be even: :math:`2d` for :math:`d`-dimensional roles.
    """

    def forward(self, z: Tensor, edge_index: Tensor,
                sigmoid: bool = True) -> Tensor:
        """Decode the directed pairs ``edge_index[0] -> edge_index[1]``."""
        source, target = z.chunk(2, dim=-1)
        value = pair_dot(source, target, edge_index)
        return torch.sigmoid(value) if sigmoid else value

    def forward_all(self, z: Tensor, sigmoid: bool = True) -> Tensor:
        """Every directed pair as a dense ``N x N`` matrix (row: source)."""
        source, target = z.chunk(2, dim=-1)
        adj = source @ target.t()
        return torch.sigmoid(adj) if sigmoid else adj


class GravityDecoder(torch.nn.Module):
    r"""The gravity-inspired directed decoder of `Salha et al., 2019
    <https://arxiv.org/abs/1905.09570>`_: the last embedding column is a
    learned mass :math:`m`, the others a position :math:`z`,

    .. math::
        p(i \to j) = \sigma\big(m_j - \lambda
        \log \lVert z_i - z_j \rVert_2^2\big),

    so nodes are drawn towards heavy (often cited) targets.

    Args:
        lambda_: Weight :math:`\lambda` of the distance term.
        eps: Added to the squared distance so that its log stays finite.
    """

    def __init__(self, lambda_: float = 1.0, eps: float = 1e-6):
        super().__init__()
        if not (lambda_ > 0 and eps > 0):
            raise ValueError(f"lambda_ and eps must be positive, got "
                             f"{lambda_} and {eps}")
        self.lambda_, self.eps = lambda_, eps

    def forward(self, z: Tensor, edge_index: Tensor,
                sigmoid: bool = True) -> Tensor:
        """Decode the directed pairs ``edge_index[0] -> edge_index[1]``."""
        position, mass = z[:, :-1], z[:, -1]
        source, target = _pair_rows(position, edge_index)
        distance = (source - target).pow(2).sum(dim=1) + self.eps
        value = mass.index_select(0, edge_index[1]) \
            - self.lambda_ * distance.log()
        return torch.sigmoid(value) if sigmoid else value

    def forward_all(self, z: Tensor, sigmoid: bool = True) -> Tensor:
        """Every directed pair as a dense ``N x N`` matrix (row: source)."""
        position, mass = z[:, :-1], z[:, -1]
        distance = torch.cdist(position, position).pow(2) + self.eps
        adj = mass.unsqueeze(0) - self.lambda_ * distance.log()
        return torch.sigmoid(adj) if sigmoid else adj


def is_inner_product(decoder: torch.nn.Module) -> bool:
    """Exactly the inner-product decoder (a subclass may change
    ``forward``, so it takes the generic path)."""
    return type(decoder) in (PyGInnerProduct, InnerProductDecoder)
