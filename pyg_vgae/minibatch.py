r"""Mini-batch training with PyG's
:class:`~torch_geometric.loader.LinkNeighborLoader`, for graphs whose
full-batch step does not fit.

Each batch holds ``batch_size`` training edges, as many sampled negative
pairs per edge as the model's ``neg_ratio`` (``neg_sampling="binary"``), and
the ``num_neighbors``-hop neighbourhoods of their end points; the encoder
runs on that subgraph only, so memory is bounded by the batch, not the
graph. Neighbour sampling needs ``pyg-lib`` or ``torch-sparse`` (the
``sparse`` extra).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch_geometric.data import Data

from . import losses


def check_available() -> None:
    """Refuse mini-batch training before any work when neither pyg-lib nor
    torch-sparse (neighbour sampling) is installed."""
    import torch_geometric.typing as pyg_typing
    if not (pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE):
        raise ValueError("--batch-size samples neighbours with pyg-lib or "
                         "torch-sparse, and neither is installed: pip "
                         "install 'pyg-vgae[sparse]' (see the README for "
                         "prebuilt wheels)")


def make_loader(data: Data, pos_edge_index: torch.Tensor,
                num_neighbors: Iterable[int], batch_size: int,
                neg_ratio: float) -> Iterable[Data]:
    """A shuffled :class:`~torch_geometric.loader.LinkNeighborLoader` over
    the training edges, with binary negative sampling."""
    from torch_geometric.loader import LinkNeighborLoader
    from torch_geometric.sampler import NegativeSampling

    try:
        return LinkNeighborLoader(
            data.cpu(), num_neighbors=list(num_neighbors),
            edge_label_index=pos_edge_index.cpu(), batch_size=batch_size,
            shuffle=True,
            neg_sampling=NegativeSampling("binary", amount=neg_ratio))
    except ImportError as error:
        raise ValueError(
            "mini-batch training samples neighbours with pyg-lib or "
            "torch-sparse; install the sparse extra: "
            "pip install 'pyg-vgae[sparse]'") from error


def minibatch_epoch(trainer, loader: Iterable[Data]) -> float:
    """One pass over ``loader`` with ``trainer``'s model, optimisers and
    settings; returns the mean loss (NaN or infinite as soon as one is)."""
    model = trainer.model
    model.train()
    adversarial = trainer.disc_optimizer is not None
    total, count = 0.0, 0
    for batch in loader:
        batch = batch.to(trainer.device)
        z = model.encode(batch.x, batch.edge_index)
        if adversarial:
            trainer._discriminator_steps(z)
        logits = model.decoder(z, batch.edge_label_index, sigmoid=False)
        is_pos = batch.edge_label > 0.5
        loss = trainer.add_regularisers(
            losses.sampled_recon_loss(logits[is_pos], logits[~is_pos]), z,
            batch.num_nodes, with_reg=adversarial)
        value = trainer._step(trainer.optimizer, loss)
        if not math.isfinite(value):
            return value
        total, count = total + value, count + 1
    return total / max(count, 1)
