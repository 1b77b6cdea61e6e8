r"""Deep ensembles of auto-encoders in one model (`Lakshminarayanan et al.,
NeurIPS 2017 <https://arxiv.org/abs/1612.01474>`_): :math:`K` members, each
with its own encoder and decoder, trained side by side on the same batches,
each on its own loss, and scored by the mean of their logits:

.. math::
    Z = [Z^{(1)} \,|\, \dots \,|\, Z^{(K)}], \qquad
    s(i, j) = \frac{1}{K} \sum_{k=1}^{K}
    \mathrm{dec}_k\big(z^{(k)}_i, z^{(k)}_j\big), \qquad
    \mathcal{L} = \sum_{k=1}^{K} \mathcal{L}_{recon}\big(\mathrm{dec}_k,
    Z^{(k)}\big).

Members start from their own random weights and draw their own dropout;
they share the step's masked edges and negatives. A member's loss reaches
only its own weights, and gradient clipping (``TrainConfig.grad_clip``)
bounds each member's gradient on its own, so each trains as it would alone.
:class:`~pyg_vgae.GAE` and :class:`~pyg_vgae.VGAE` take an
:class:`EnsembleEncoder` and an :class:`EnsembleDecoder` as they take any
encoder and decoder (``ModelSpec(members=K)`` builds them); ARGA's
discriminator would couple the members and is refused.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch.nn import Module, ModuleList


def _members(modules: Sequence[Module], what: str) -> ModuleList:
    if len(modules) < 1 or not all(isinstance(m, Module) for m in modules):
        raise TypeError(f"an ensemble's {what} must be a non-empty sequence "
                        f"of torch modules, got {modules!r}")
    return ModuleList(modules)


class EnsembleEncoder(Module):
    r"""The members' embeddings side by side, :math:`Z = [Z^{(1)} | \dots |
    Z^{(K)}]`; for variational members (each returning
    :math:`(\mu, \log\sigma)`), :math:`([\mu^{(1)} | \dots], [\log\sigma^{(1)}
    | \dots])` as the two halves of one tensor, so that the sample and the
    KL term (their sum over the members) take the fused path.

    Args:
        encoders: The members' encoders, all called with the same
            arguments.
    """

    def __init__(self, encoders: Sequence[Module]):
        super().__init__()
        self.members = _members(encoders, "encoders")

    def forward(self, *args: Any, **kwargs: Any
                ) -> Tensor | tuple[Tensor, Tensor]:
        """Run every member on the same input and join their outputs."""
        outputs = [encoder(*args, **kwargs) for encoder in self.members]
        if isinstance(outputs[0], (tuple, list)):
            stacked = torch.cat([out[0] for out in outputs]
                                + [out[1] for out in outputs], dim=-1)
            mu, logstd = stacked.chunk(2, dim=-1)
            return mu, logstd
        return torch.cat(outputs, dim=-1)


class EnsembleDecoder(Module):
    r"""The mean of the members' logits, each member decoding its own block
    of :math:`Z` (the blocks have equal widths).

    Args:
        decoders: The members' decoders, in the order of their encoders.
    """

    def __init__(self, decoders: Sequence[Module]):
        super().__init__()
        self.members = _members(decoders, "decoders")

    def split(self, z: Tensor) -> tuple[Tensor, ...]:
        """Each member's block of ``z``."""
        if z.size(-1) % len(self.members):
            raise ValueError(
                f"z has {z.size(-1)} columns, not a multiple of the "
                f"ensemble's {len(self.members)} members: each member's "
                f"encoder must output as many")
        return z.chunk(len(self.members), dim=-1)

    def forward(self, z: Tensor, edge_index: Tensor,
                sigmoid: bool = True) -> Tensor:
        """Decode the pairs in ``edge_index``: the mean logit."""
        logits = torch.stack([
            decoder(block, edge_index, sigmoid=False)
            for decoder, block in zip(self.members, self.split(z))]).mean(0)
        return torch.sigmoid(logits) if sigmoid else logits

    def forward_all(self, z: Tensor, sigmoid: bool = True) -> Tensor:
        """Every pair as a dense ``N x N`` matrix of mean logits."""
        logits = torch.stack([
            decoder.forward_all(block, sigmoid=False)
            for decoder, block in zip(self.members, self.split(z))]).mean(0)
        return torch.sigmoid(logits) if sigmoid else logits


def member_decoders(decoder: Module, z: Tensor
                    ) -> list[tuple[Module, Tensor]]:
    """``(decoder, z)`` of each member of an ensemble, else of the one
    model: what each loss term is computed from."""
    if isinstance(decoder, EnsembleDecoder):
        return list(zip(decoder.members, decoder.split(z)))
    return [(decoder, z)]


def clip_groups(model: Module, params: list[Tensor]) -> list[list[Tensor]]:
    """``params`` grouped so that each group's gradient is clipped on its
    own norm: one group per ensemble member (its encoder and decoder), the
    rest together; one group for any other model."""
    encoder, decoder = getattr(model, "encoder", None), \
        getattr(model, "decoder", None)
    if not (isinstance(encoder, EnsembleEncoder)
            and isinstance(decoder, EnsembleDecoder)):
        return [params]
    given = {id(param) for param in params}
    groups = [[param for module in pair for param in module.parameters()
               if id(param) in given]
              for pair in zip(encoder.members, decoder.members)]
    grouped = {id(param) for group in groups for param in group}
    groups.append([param for param in params if id(param) not in grouped])
    return [group for group in groups if group]
