"""What a run keeps while it trains: the per-epoch history and the best
validation score so far with its weights, which decide the selected epoch
and early stopping (and travel in checkpoints, so a resumed run selects as
a straight one)."""
from __future__ import annotations

import copy
import math
import statistics

from torch.nn import Module

from .config import SELECT

HISTORY_KEYS = ("epoch", "loss", "val_auc", "val_ap", "time_ms")


class Selection:
    """Model selection on validation scores (``select``: ``"auc"``,
    ``"ap"``, ``"auc+ap"``, ``"hits@K"`` or ``"last"``) with ``patience`` evaluations
    without improvement before an early stop (``None``: never)."""

    def __init__(self, select: str, patience: int | None):
        self.select, self.patience = select, patience
        self.history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
        self.best: dict = {"score": -math.inf, "auc": None, "ap": None,
                           "epoch": 0, "state": None, "waited": 0}

    def record(self, epoch: int, loss: float, val_auc: float | None,
               val_ap: float | None, step_ms: float) -> None:
        for key, value in zip(HISTORY_KEYS,
                              (epoch, loss, val_auc, val_ap, step_ms)):
            self.history[key].append(value)

    def consider(self, model: Module, epoch: int, val_auc: float,
                 val_ap: float, ranked: float | None = None) -> None:
        """Keep ``model``'s weights if this evaluation is the best yet;
        ``ranked`` is the score of a ranking ``select`` (``"hits@K"``)."""
        best = self.best
        score = ranked if ranked is not None else \
            SELECT[self.select](val_auc, val_ap)
        if self.select != "last" and score > best["score"]:
            best.update(score=score, auc=val_auc, ap=val_ap, epoch=epoch,
                        state=copy.deepcopy(model.state_dict()), waited=0)
        else:
            best["waited"] += 1

    def should_stop(self) -> bool:
        return self.patience is not None and \
            self.best["waited"] >= self.patience

    def kept_epoch(self, epoch: int) -> int:
        """The epoch whose weights are kept if training stops at
        ``epoch`` without finishing it."""
        return epoch - 1 if self.select == "last" else self.best["epoch"]

    def median_step_ms(self) -> float:
        times = self.history["time_ms"]
        return statistics.median(times) if times else float("nan")

    def state_dict(self) -> dict:
        return {"best": copy.deepcopy(self.best),
                "history": copy.deepcopy(self.history)}

    def load_state_dict(self, state: dict) -> None:
        if state.get("best") is not None:
            self.best = copy.deepcopy(state["best"])
        if state.get("history") is not None:
            self.history = copy.deepcopy(state["history"])
