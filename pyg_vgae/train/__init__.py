"""Training: settings (:mod:`.config`), the one step (:mod:`.step`), batch
sources (:mod:`.batches`), schedules (:mod:`.schedules`), the trainer
(:mod:`.trainer`) with its epoch loop (:mod:`.loop`), data-parallel
training (:mod:`.distributed`) and heterogeneous graphs (:mod:`.hetero`)."""
from .config import (SELECT, FitResult, TrainConfig, check_graph,
                     resolve_device)
from .loop import STOP_REQUESTED
from .trainer import Trainer

__all__ = ["TrainConfig", "FitResult", "Trainer", "STOP_REQUESTED",
           "SELECT", "check_graph", "resolve_device"]
