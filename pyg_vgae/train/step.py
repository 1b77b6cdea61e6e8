r"""The one encoder step, for full-batch, mini-batch and data-parallel
training alike: a :class:`Batch` in, encode -> losses -> regularisers ->
optimiser, the loss out.

The loss of a batch is

.. math::
    \mathcal{L} = \mathcal{L}_{recon}(\text{pos}, \text{neg})
    + \beta \cdot \overline{\mathrm{KL}}_{\text{nodes}}
    + \gamma \cdot \mathcal{L}_{reg}(Z),

with :math:`\beta` = ``kl_weight`` or, by default, :math:`1/N` with
:math:`N` the number of nodes of the *whole* training graph, whatever the
batch (the original code's weight), and :math:`\overline{\mathrm{KL}}` the
mean KL divergence over the batch's ``kl_nodes`` (every node in full
batch; the end points of the batch's pairs in a mini-batch, never halo
nodes only sampled as neighbours).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .. import losses
from ..ensemble import clip_groups
from ..models import _Variational
from .adam import adam_step, zero_grad


@dataclass
class Batch:
    """What one encoder step trains on, in the batch's own node ids. On a
    heterogeneous graph ``x``, ``edge_index``, ``pos`` and ``neg`` are
    dictionaries by node and edge type.

    Attributes:
        x: Node features.
        edge_index: The graph the encoder sees (with masking, without the
            hidden edges).
        pos: Positive pairs to reconstruct.
        neg: Negative pairs; ``None`` samples ``neg_ratio`` per positive
            that are in neither direction in ``known``.
        known: Every true edge the sampler must avoid (``None``: ``pos``).
        kl_nodes: Nodes whose KL term counts (``None``: all).
        full_target: The adjacency of the full loss (``recon="full"``).
        node_ids: Ids of the batch's nodes in the whole graph (``None``:
            the batch is the whole graph).
        edge_weight: Weights of ``edge_index`` for the encoder (weighted
            training only).
        pos_weight: Weights of ``pos`` to reconstruct (weighted training).
        feature_mask: Feature entries the feature loss may see (``None``:
            all).
        nodes_per_hop: Nodes each hop of a sampled subgraph added, the
            seeds first (``None``: not sampled); encoders that take it
            (:class:`~pyg_vgae.GNNEncoder`) then embed the seeds only.
    """

    x: Tensor
    edge_index: Tensor
    pos: Tensor
    neg: Tensor | None = None
    known: Tensor | None = None
    kl_nodes: Tensor | None = None
    full_target: Tensor | None = None
    node_ids: Tensor | None = None
    edge_weight: Tensor | None = None
    pos_weight: Tensor | None = None
    feature_mask: Tensor | None = None
    nodes_per_hop: list[int] | None = None


def negatives(model, batch: Batch) -> Tensor:
    """The batch's negatives: given, or sampled never on a true edge."""
    if batch.neg is not None:
        return batch.neg
    known = batch.pos if batch.known is None else batch.known
    if isinstance(batch.pos, dict):  # heterogeneous: per edge type
        return model.sample_negatives(
            known, {node_type: x.size(0) for node_type, x in batch.x.items()})
    return model.sample_negatives(
        known, batch.x.size(0),
        num_neg_samples=model.num_negatives(batch.pos.size(1)))


def encoder_loss(trainer, batch: Batch, z: Tensor, with_reg: bool) -> Tensor:
    """Reconstruction, then the KL and adversarial terms; records each
    term in ``trainer.last_terms``."""
    model, config = trainer.model, trainer.config
    if config.recon == "full":
        recon = model.full_recon_loss(z, batch.full_target)
    elif config.weight_likelihood is not None:
        recon = model.weighted_recon_loss(z, batch.pos, batch.pos_weight,
                                          negatives(model, batch),
                                          config.weight_likelihood)
    else:
        recon = model.recon_loss(z, batch.pos, negatives(model, batch))
    terms, loss = {"recon": recon.detach()}, recon
    if isinstance(model, _Variational):
        if batch.kl_nodes is None:  # the clamped logstd of encode()
            kl = model.kl_loss()
        else:
            kl = model.kl_loss(model.__mu__[batch.kl_nodes],
                               model.__logstd__[batch.kl_nodes])
        terms["kl"] = kl.detach()
        loss = loss + trainer.kl_weight() * kl
    if config.feature_weight > 0:
        features = feature_loss(model, batch, z, config.feature_samples)
        terms["features"] = features.detach()
        loss = loss + config.feature_weight * features
    if config.degree_weight > 0:
        degree = degree_loss(model, batch, z)
        terms["degree"] = degree.detach()
        loss = loss + config.degree_weight * degree
    if with_reg:
        reg = model.reg_loss(z)
        terms["reg"] = reg.detach()
        loss = loss + config.reg_weight * reg
    trainer.last_terms = terms
    return loss


def feature_loss(model, batch: Batch, z: Tensor,
                 samples: float | None = None) -> Tensor:
    """Reconstruction of the batch's node features from ``z`` over the
    observed entries (``batch.feature_mask``): all of them, or ``samples``
    per node (:func:`~pyg_vgae.attributes.sample_entries`)."""
    from ..attributes import feature_kind, sample_entries
    rows = z.size(0)  # a trimmed encoder embeds the seeds only
    x, mask = _first_rows(batch.x, rows), _first_rows(batch.feature_mask,
                                                      rows)
    if samples is None:
        return losses.feature_recon_loss(model.attr_decoder(z), x,
                                         feature_kind(batch.x), mask)
    entry_rows, entry_cols = sample_entries(x, samples, mask)
    return losses.feature_recon_loss(
        model.attr_decoder.entry_logits(z, entry_rows, entry_cols),
        x[entry_rows, entry_cols], feature_kind(batch.x))


def _first_rows(tensor: Tensor | None, rows: int) -> Tensor | None:
    """``tensor[:rows]``, or the tensor itself where that is all of it: the
    sampler's cache of non-zero entries is keyed on the tensor, and a slice
    is a new one every step."""
    if tensor is None or tensor.size(0) == rows:
        return tensor
    return tensor[:rows]


def degree_loss(model, batch: Batch, z: Tensor) -> Tensor:
    """MaskGAE's degree task: each node's count of the batch's positives
    (with masking, its hidden edges) predicted from ``z``."""
    return model.degree_decoder.loss(z, batch.pos)


def optimizer_step(trainer, optimizer: torch.optim.Optimizer,
                   loss: Tensor) -> float:
    """Take a step unless the loss is NaN or infinite (the caller then
    stops training); clips the gradient norm when configured (each
    ensemble member's on its own, :func:`~pyg_vgae.ensemble.clip_groups`)."""
    value = loss.item()
    if math.isfinite(value):
        zero_grad(optimizer)
        loss.backward()
        if trainer.config.grad_clip is not None:
            params = [p for group in optimizer.param_groups
                      for p in group["params"]]
            for group in clip_groups(trainer.model, params):
                torch.nn.utils.clip_grad_norm_(group,
                                               trainer.config.grad_clip)
        adam_step(optimizer)
    return value


def encoder_step(trainer, batch: Batch, with_reg: bool) -> float:
    """Encode the batch, take discriminator steps first when adversarial
    and ``with_reg``, then one encoder step; returns the loss."""
    z = trainer.encode_fn(batch.x, batch.edge_index, batch.edge_weight,
                          batch.nodes_per_hop)
    if with_reg and trainer.disc_optimizer is not None:
        discriminator_steps(trainer, z)
    loss = encoder_loss(trainer, batch, z, with_reg)
    return optimizer_step(trainer, trainer.optimizer, loss)


def discriminator_steps(trainer, z: Tensor) -> None:
    """``disc_steps`` discriminator steps; the encoder does not change
    during them, so one (detached) ``z`` serves them all."""
    for _ in range(trainer.config.disc_steps):
        optimizer_step(trainer, trainer.disc_optimizer,
                       trainer.model.discriminator_loss(z))
