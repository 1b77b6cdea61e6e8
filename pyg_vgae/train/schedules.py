"""How an epoch uses its batches: small strategy objects the trainer
calls, one per training schedule."""
from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from .step import Batch, discriminator_steps, encoder_step, optimizer_step


class JointSchedule:
    """GAE / VGAE, and PyG's ARGA / ARGVA recipe: for each batch, the
    discriminator steps (adversarial models), then one encoder step on
    ``recon + kl_weight * KL + reg_weight * reg``."""

    def epoch(self, trainer, batches: Iterable[Batch]) -> float:
        """Train on every batch; the mean loss, or the first NaN / inf."""
        total, count = 0.0, 0
        for batch in batches:
            loss = encoder_step(trainer, batch, with_reg=trainer.adversarial)
            if not math.isfinite(loss):
                return loss
            total, count = total + loss, count + 1
        return total / max(count, 1)


class SeparateGeneratorSchedule(JointSchedule):
    """The ARGA code's schedule: encoder steps on ``recon + KL`` for every
    batch, then the discriminator steps and one generator step on the
    adversarial term alone, with an Adam of its own."""

    def epoch(self, trainer, batches: Iterable[Batch]) -> float:
        total, count, batch = 0.0, 0, None
        for batch in batches:
            loss = encoder_step(trainer, batch, with_reg=False)
            if not math.isfinite(loss):
                return loss
            total, count = total + loss, count + 1
        if batch is not None and trainer.disc_optimizer is not None:
            z = trainer.encode_graph(trainer.train_data)
            discriminator_steps(trainer, z)
            optimizer_step(trainer, trainer.gen_optimizer,
                           trainer.model.reg_loss(z))
        return total / max(count, 1)


def _adam(params, **kwargs) -> torch.optim.Adam:
    """Adam, fused (one kernel per parameter, not a dozen) where every
    parameter is a float32 / float64 tensor on the CPU or a GPU: on Cora
    the update took a tenth of a GAE step here in its loop form."""
    params = list(params)
    fused = bool(params) and all(
        p.device.type in ("cpu", "cuda")
        and p.dtype in (torch.float32, torch.float64) for p in params)
    return torch.optim.Adam(params, fused=fused or None, **kwargs)


def make_optimizers(model, config) -> tuple:
    """``(encoder, discriminator, generator)`` Adam optimisers; the last two
    ``None`` where the model or schedule has no use for them."""
    encoder_params = [p for name, p in model.named_parameters()
                      if not name.startswith("discriminator.")]
    encoder = _adam(encoder_params, lr=config.lr,
                    weight_decay=config.weight_decay)
    discriminator = getattr(model, "discriminator", None)
    disc_params = list(discriminator.parameters()) \
        if isinstance(discriminator, torch.nn.Module) else []
    disc = _adam(disc_params, lr=config.disc_lr) \
        if disc_params else None
    generator = _adam(encoder_params, lr=config.lr) \
        if config.separate_generator else None
    return encoder, disc, generator


def schedule_for(trainer) -> JointSchedule:
    """The schedule a trainer's model and settings call for."""
    if trainer.adversarial and trainer.config.separate_generator:
        return SeparateGeneratorSchedule()
    return JointSchedule()
