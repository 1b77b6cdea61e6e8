"""Training: settings (:mod:`.config`), the one step (:mod:`.step`), batch
sources (:mod:`.batches`), schedules (:mod:`.schedules`), the trainer
(:mod:`.trainer`) and data-parallel training (:mod:`.distributed`)."""
from .config import (SELECT, FitResult, TrainConfig, check_graph,
                     resolve_device)
from .trainer import STOP_REQUESTED, Trainer

__all__ = ["TrainConfig", "FitResult", "Trainer", "STOP_REQUESTED",
           "SELECT", "check_graph", "resolve_device"]
