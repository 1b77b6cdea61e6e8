r"""An exponential moving average of the weights, for evaluation.

After each epoch :math:`t` with weights :math:`\theta_t`,

.. math::
    \bar\theta_t = d \, \bar\theta_{t-1} + (1 - d) \, \theta_t,
    \qquad \bar\theta_1 = \theta_1,

over parameters and buffers alike (batch norm's running statistics), with
``d`` = ``TrainConfig.average_decay``. Validation, selection and the final
scores use :math:`\bar\theta` (Polyak and Juditsky, 1992; the weight
averaging of Izmailov et al., 2018, on PyTorch's
:class:`~torch.optim.swa_utils.AveragedModel`); training steps go on from
:math:`\theta_t`. Heavy dropout (``best``'s 0.8 on the inputs) makes
:math:`\theta_t` noisy from epoch to epoch; the average smooths it.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from torch.nn import Module
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class WeightAverage:
    """The moving average :math:`\\bar\\theta` of a model's weights."""

    def __init__(self, model: Module, decay: float):
        self.averaged = AveragedModel(
            model, multi_avg_fn=get_ema_multi_avg_fn(decay),
            use_buffers=True)

    def update(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average."""
        self.averaged.update_parameters(model)

    @contextmanager
    def in_place_of(self, trainer) -> Iterator[None]:
        """Within the block ``trainer.model`` is the averaged model."""
        model, trainer.model = trainer.model, self.averaged.module
        try:
            yield
        finally:
            trainer.model = model

    def state_dict(self) -> dict:
        return self.averaged.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.averaged.load_state_dict(state)
