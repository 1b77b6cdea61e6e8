r"""Discriminators for the adversarial models ARGA and ARGVA."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch_geometric.nn import MLP


class MLPDiscriminator(torch.nn.Module):
    r"""An MLP that tells prior samples from embeddings, returning logits.

    .. math::
        D(z) = \mathrm{MLP}(z) \in \mathbb{R}, \qquad
        P(z \text{ is a prior sample}) = \sigma(D(z))

    As in the ARGA paper (`Pan et al., 2018
    <https://arxiv.org/abs/1802.04407>`_), whose discriminator is
    :math:`d \to 64 \to 32 \to 1` with ReLU.

    Args:
        in_channels: Width of the embeddings.
        hidden_channels: Width of each hidden layer, or a list of widths.
        num_layers: Number of linear layers when ``hidden_channels`` is an
            int (at least 2).
        dropout: Dropout between layers.
    """

    def __init__(self, in_channels: int,
                 hidden_channels: int | Sequence[int] = 64,
                 num_layers: int = 3, dropout: float = 0.0):
        super().__init__()
        widths = [in_channels] + ([hidden_channels]
                                  if isinstance(hidden_channels, int)
                                  else list(hidden_channels))
        if not all(isinstance(w, int) and w >= 1 for w in widths):
            raise ValueError(f"in_channels and hidden_channels must be "
                             f"positive integers, got {in_channels!r} and "
                             f"{hidden_channels!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        if isinstance(hidden_channels, int):
            if num_layers < 2:
                raise ValueError(f"num_layers must be at least 2, got "
                                 f"{num_layers}")
            hidden = [hidden_channels] * (num_layers - 1)
        else:
            hidden = list(hidden_channels)
        self.mlp = MLP([in_channels, *hidden, 1], dropout=dropout, norm=None,
                       act="relu")

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, z: Tensor) -> Tensor:
        """The logit, one per row of ``z``, shape ``[N, 1]``."""
        return self.mlp(z)
