r"""MaskGAE (`Li et al., KDD 2023 <https://arxiv.org/abs/2205.10053>`_) as a
peer row of the link-prediction table, written here from its paper and the
defaults of its public ``train_linkpred.py`` with its README's command for
link prediction, ``--bn --mask Edge``:

* each epoch, every directed training edge is masked with probability
  :math:`p = 0.7`; the encoder sees the rest (made undirected again), the
  decoders must recover the masked ones;
* encoder: one GCN layer to 128 channels, input dropout 0.8, batch norm,
  ELU: :math:`Z = \mathrm{ELU}(\mathrm{BN}(\hat{A}_{vis}\,
  \mathrm{drop}(X) W))`;
* edge decoder: an MLP on :math:`z_i \odot z_j` (dropout 0.2, 128 -> 64,
  ReLU, 64 -> 1); loss :math:`-\log\sigma(s^+) - \log(1-\sigma(s^-))`,
  each a mean, one uniform negative per masked edge drawn each epoch;
* degree decoder: an MLP (128 -> 64, dropout 0.2, ReLU, 64 -> 1, ReLU)
  regressing each node's count of masked in-edges, weight
  :math:`\alpha = 0.003` on its mean squared error;
* Adam (lr 0.01, weight decay :math:`5 \cdot 10^{-5}`), gradients
  clipped to norm 1, batches of :math:`2^{16}` masked edges (the encoder
  runs again for each), 500 epochs, validation AUC every 10, the test
  scored once with the best validation weights.

Unlike its script, every seed gets its own random 85/5/10 split and a
fresh model (``pyg_vgae.data.split_edges``, the split of every row of the
table). The features are the raw ones, as its script loads them. The GCN
layer is :class:`pyg_vgae.sparse.CachedGCNConv` (PyG's ``GCNConv``, same
output) and the input dropout is drawn as our encoders draw it (the same
distribution): both only make it run faster here.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric import seed_everything
from torch_geometric.utils import (add_self_loops, degree, negative_sampling,
                                   to_undirected)

from pyg_vgae.data import split_edges
from pyg_vgae.metrics import auc_ap
from pyg_vgae.sparse import (CachedGCNConv, dropout_dense, dropout_stored,
                             keep_dense)


@dataclass(frozen=True)
class MaskGAESettings:
    """The defaults of MaskGAE's ``train_linkpred.py`` (with ``--bn``)."""
    hidden: int = 128
    decoder_hidden: int = 64
    encoder_dropout: float = 0.8
    decoder_dropout: float = 0.2
    mask_ratio: float = 0.7
    degree_weight: float = 0.003
    lr: float = 0.01
    weight_decay: float = 5e-5
    clip_norm: float = 1.0
    batch_size: int = 2 ** 16
    epochs: int = 500
    eval_every: int = 10


class MaskGAENet(torch.nn.Module):
    """The encoder and the two decoders described in the module's
    docstring."""

    def __init__(self, in_channels: int, settings: MaskGAESettings):
        super().__init__()
        self.settings = settings
        hidden, mid = settings.hidden, settings.decoder_hidden
        self.conv = CachedGCNConv(in_channels, hidden)
        self.norm = torch.nn.BatchNorm1d(hidden)
        self.edge_mlp = torch.nn.ModuleList([torch.nn.Linear(hidden, mid),
                                             torch.nn.Linear(mid, 1)])
        self.degree_mlp = torch.nn.ModuleList([torch.nn.Linear(hidden, mid),
                                               torch.nn.Linear(mid, 1)])

    def encode(self, x: Tensor, edge_index: Tensor) -> Tensor:
        if self.training:
            p = self.settings.encoder_dropout
            dropped = dropout_stored(x, p)
            x = dropped if dropped is not None else keep_dense(
                dropout_dense(x, p))
        return F.elu(self.norm(self.conv(x, edge_index)))

    def edge_logits(self, z: Tensor, pairs: Tensor) -> Tensor:
        h = z.index_select(0, pairs[0]) * z.index_select(0, pairs[1])
        p = self.settings.decoder_dropout
        if self.training and p > 0:
            # F.dropout's distribution from a uniform draw: 83 against
            # 120 ms forward and back for 65k x 128 (1 thread)
            h = h * torch.rand_like(h).ge_(p).div_(1 - p)
        return self.edge_mlp[1](F.relu(self.edge_mlp[0](h))).squeeze(-1)

    def degrees(self, z: Tensor) -> Tensor:
        h = F.dropout(self.degree_mlp[0](z), self.settings.decoder_dropout,
                      self.training)
        return F.relu(self.degree_mlp[1](F.relu(h))).squeeze(-1)


def mask_edges(edge_index: Tensor, ratio: float) -> tuple[Tensor, Tensor]:
    """``(visible, masked)``: each directed edge masked with probability
    ``ratio``; the visible ones made undirected again."""
    masked = torch.rand(edge_index.size(1)) < ratio
    return to_undirected(edge_index[:, ~masked]), edge_index[:, masked]


def train_epoch(net: MaskGAENet, optimizer: torch.optim.Optimizer,
                train) -> None:
    """One epoch: a fresh mask and negatives, then a step per batch of
    masked edges."""
    settings, num_nodes = net.settings, train.num_nodes
    net.train()
    visible, masked = mask_edges(train.edge_index, settings.mask_ratio)
    negatives = negative_sampling(add_self_loops(train.edge_index)[0],
                                  num_nodes=num_nodes,
                                  num_neg_samples=masked.size(1))
    degrees = degree(masked[1], num_nodes)
    for batch in torch.randperm(masked.size(1)).split(settings.batch_size):
        optimizer.zero_grad()
        z = net.encode(train.x, visible)
        pos = net.edge_logits(z, masked[:, batch])
        neg = net.edge_logits(z, negatives[:, batch % negatives.size(1)])
        loss = F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos)) \
            + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)) \
            + settings.degree_weight * F.mse_loss(net.degrees(z), degrees)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), settings.clip_norm)
        optimizer.step()


@torch.no_grad()
def scores(net: MaskGAENet, split) -> tuple[float, float]:
    """AUC and AP of ``split``'s labelled pairs, encoded on its graph."""
    net.eval()
    z = net.encode(split.x, split.edge_index)
    # ranked by probability, as MaskGAE does: saturated ones tie
    return auc_ap(net.edge_logits(z, split.pos_edge_label_index).sigmoid(),
                  net.edge_logits(z, split.neg_edge_label_index).sigmoid())


def run_maskgae(data, seed: int,
                settings: MaskGAESettings = MaskGAESettings()) -> dict:
    """One report seed: split, train, select on validation AUC every
    ``eval_every`` epochs, score the test edges once."""
    seed_everything(seed)
    train, val, test = split_edges(data, seed=seed)
    net = MaskGAENet(data.num_features, settings)
    optimizer = torch.optim.Adam(net.parameters(), lr=settings.lr,
                                 weight_decay=settings.weight_decay)
    best_auc, best_state = -1.0, copy.deepcopy(net.state_dict())
    start = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        train_epoch(net, optimizer, train)
        if epoch % settings.eval_every == 0:
            val_auc = scores(net, val)[0]
            if val_auc > best_auc:
                best_auc, best_state = val_auc, copy.deepcopy(
                    net.state_dict())
    net.load_state_dict(best_state)
    auc, ap = scores(net, test)
    return {"auc": auc, "ap": ap, "val_auc": best_auc,
            "seconds": time.perf_counter() - start}
