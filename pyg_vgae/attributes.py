r"""Node-feature reconstruction and anomaly scores.

An attribute decoder maps each embedding back to its node's features,
:math:`\hat X = \mathrm{MLP}(Z)`, trained with a loss that fits the
features (:func:`pyg_vgae.losses.feature_recon_loss`) weighted against the
structure loss. From the two reconstruction errors comes a per-node
anomaly score, as in DOMINANT (`Ding et al., SDM 2019
<https://doi.org/10.1137/1.9781611975673.67>`_):

.. math::
    \mathrm{score}_i = \alpha \lVert x_i - \hat x_i \rVert_2
    + (1 - \alpha) \lVert a_i - \hat a_i \rVert_2,

with :math:`a_i` the node's adjacency row and :math:`\hat a_i =
\sigma(\mathrm{dec}(z_i, z_j))_j`.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn import MLP

from .cache import TensorCache


class AttributeDecoder(torch.nn.Module):
    """An MLP from embeddings to feature logits (``bce``) or values
    (``mse``): ``latent -> hidden -> num_features``."""

    def __init__(self, latent_channels: int, hidden_channels: int,
                 num_features: int):
        super().__init__()
        for name, value in (("latent_channels", latent_channels),
                            ("hidden_channels", hidden_channels),
                            ("num_features", num_features)):
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a positive integer, got "
                                 f"{value!r} (the attribute decoder needs "
                                 f"the feature width: no lazy -1)")
        self.mlp = MLP([latent_channels, hidden_channels, num_features],
                       norm=None, act="relu")

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, z: Tensor) -> Tensor:
        return self.mlp(z)

    def entry_logits(self, z: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
        """``self(z)[rows, cols]`` without the rest of the matrix: the hidden
        layer for every node, then one dot product per entry (a dense
        output costs nodes x features x hidden per step)."""
        hidden, out = self.mlp.lins
        h = self.mlp.act(hidden(z))
        return (h.index_select(0, rows) * out.weight.index_select(0, cols)
                ).sum(dim=1) + out.bias.index_select(0, cols)


_kinds = TensorCache()
_nonzeros = TensorCache()


def sample_entries(x: Tensor, per_node: float,
                   mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """``(rows, cols)`` of ``per_node`` x nodes entries of ``x``: half drawn
    from its non-zero entries, half uniformly from all (mostly zeros in
    sparse bag-of-words features), with replacement; only entries where
    ``mask`` is true when it is given. Targets are ``x[rows, cols]``, so a
    uniform draw that lands on a non-zero entry is scored as such."""
    nonzero = _nonzeros.get((x, mask), (), lambda: (
        x if mask is None else x * mask).nonzero().t())
    half = max(1, round(per_node * x.size(0) / 2))
    drawn = torch.stack([torch.randint(0, size, (half, ), device=x.device)
                         for size in x.shape])
    if nonzero.size(1) > 0:
        picked = torch.randint(0, nonzero.size(1), (half, ), device=x.device)
        drawn = torch.cat([nonzero[:, picked], drawn], dim=1)
    rows, cols = drawn
    if mask is not None:
        keep = mask[rows, cols]
        rows, cols = rows[keep], cols[keep]
    return rows, cols


def feature_kind(x: Tensor) -> str:
    """``"bce"`` for binary (bag-of-words) features, else ``"mse"``; found
    once per feature tensor (the training step asks every step)."""
    return _kinds.get((x, ), (), lambda: "bce" if bool(
        ((x == 0) | (x == 1)).all()) else "mse")


@torch.no_grad()
def anomaly_scores(model, z: Tensor, x: Tensor, edge_index: Tensor,
                   alpha: float = 0.5, kind: str | None = None,
                   chunk_size: int = 1024) -> Tensor:
    """The score of every node (higher: more anomalous); memory bounded by
    ``chunk_size`` rows of the adjacency at a time."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if getattr(model, "attr_decoder", None) is None:
        raise ValueError("anomaly scores need a model with an attribute "
                         "decoder (ModelSpec(attr_decoder=True))")
    kind = kind or feature_kind(x)
    out = model.attr_decoder(z)
    x_hat = torch.sigmoid(out) if kind == "bce" else out
    attribute = (x - x_hat).norm(dim=1)
    structure = torch.empty_like(attribute)
    num_nodes = z.size(0)
    adjacency = torch.sparse_coo_tensor(
        edge_index, torch.ones(edge_index.size(1), device=z.device),
        (num_nodes, num_nodes), check_invariants=False).coalesce()
    everyone = torch.arange(num_nodes, device=z.device)
    for rows in everyone.split(chunk_size):
        pairs = torch.stack([rows.repeat_interleave(num_nodes),
                             everyone.repeat(rows.numel())])
        a_hat = model.decoder(z, pairs, sigmoid=True).view(rows.numel(), -1)
        a = adjacency.index_select(0, rows).to_dense().clamp_(max=1.0)
        structure[rows] = (a - a_hat).norm(dim=1)
    return alpha * attribute + (1 - alpha) * structure


def inject_anomalies(data, num_cliques: int = 5, clique_size: int = 15,
                     num_attribute: int = 75, candidates: int = 50,
                     seed: int = 0):
    """A copy of ``data`` with the usual injected anomalies (Ding et al.,
    2019): ``num_cliques`` cliques of ``clique_size`` random nodes
    (structural), and ``num_attribute`` nodes whose features are replaced
    by those of the farthest of ``candidates`` random nodes (attribute).
    Returns ``(data, is_anomaly)``."""
    from torch_geometric.utils import coalesce, to_undirected
    generator = torch.Generator().manual_seed(seed)
    num_nodes = data.num_nodes
    needed = num_cliques * clique_size + num_attribute
    if needed > num_nodes:
        raise ValueError(f"{needed} anomalous nodes asked of {num_nodes}")
    chosen = torch.randperm(num_nodes, generator=generator)[:needed]
    cliques = chosen[:num_cliques * clique_size].view(num_cliques, -1)
    pairs = [torch.cartesian_prod(c, c) for c in cliques]
    extra = torch.cat(pairs).t()
    extra = extra[:, extra[0] != extra[1]]
    out = data.clone()
    out.edge_index = coalesce(to_undirected(
        torch.cat([data.edge_index, extra], dim=1), num_nodes=num_nodes))
    x = data.x.clone()
    for node in chosen[num_cliques * clique_size:].tolist():
        pool = torch.randint(0, num_nodes, (candidates, ),
                             generator=generator)
        far = pool[(data.x[pool] - data.x[node]).norm(dim=1).argmax()]
        x[node] = data.x[far]
    out.x = x
    is_anomaly = torch.zeros(num_nodes, dtype=torch.bool)
    is_anomaly[chosen] = True
    return out, is_anomaly
