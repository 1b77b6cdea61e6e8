"""The epoch loop of :meth:`~pyg_vgae.Trainer.fit`: train, evaluate and
select each epoch, stop early or on a NaN loss, report to callbacks, and at
the end restore the selected weights and score them."""
from __future__ import annotations

import copy
import logging
import math
import threading
import time

import torch
from torch_geometric.data import Data

from ..progress import progress_bar
from .config import FitResult, ranking_metric

log = logging.getLogger("pyg_vgae")

#: Set (by the command line's signal handler) to stop :meth:`Trainer.fit`
#: at the next epoch with a ``KeyboardInterrupt``.
STOP_REQUESTED = threading.Event()


def train_epochs(trainer, val_data: Data | None) -> str | None:
    """Epochs from ``trainer.epochs_done + 1`` to ``config.epochs``, recorded
    in ``trainer.selection``; returns why it stopped early."""
    config, selection = trainer.config, trainer.selection
    bar = progress_bar(range(trainer.epochs_done + 1, config.epochs + 1),
                       enabled=config.progress,
                       desc=type(trainer.model).__name__)
    stopped = None
    for epoch in bar:
        if STOP_REQUESTED.is_set():
            raise KeyboardInterrupt("stop requested")
        loss, step_ms = timed_epoch(trainer)
        if not math.isfinite(loss):
            stopped = diverged(trainer, loss, epoch)
            break
        trainer.epochs_done = epoch
        if trainer.average is not None:
            trainer.average.update(trainer.model)
        val_auc = val_ap = None
        if val_data is not None and epoch % config.eval_every == 0:
            metric = config.select if ranking_metric(config.select) \
                else None
            with trainer.scoring():
                val_auc, val_ap, ranked = trainer.validation_scores(
                    val_data, metric)
                selection.consider(trainer.model, epoch, val_auc, val_ap,
                                   ranked)
        selection.record(epoch, loss, val_auc, val_ap, step_ms)
        bar.set_postfix(loss=f"{loss:.4f}", val_auc=f"{val_auc:.4f}"
                        if val_auc is not None else "-")
        report(trainer, epoch, loss, val_auc, val_ap)
        if selection.should_stop():
            stopped = f"early stop at epoch {epoch}"
            break
    bar.close()
    return stopped


def timed_epoch(trainer) -> tuple[float, float]:
    if trainer.device.type == "cuda":
        torch.cuda.synchronize(trainer.device)
    start = time.perf_counter()
    trainer.model.train()
    loss = trainer.run_epoch()
    if trainer.device.type == "cuda":
        torch.cuda.synchronize(trainer.device)
    return loss, 1000 * (time.perf_counter() - start)


def report(trainer, epoch: int, loss: float, val_auc: float | None,
       val_ap: float | None) -> None:
    if not trainer.callbacks:
        return
    record = {"loss": loss, "val_auc": val_auc, "val_ap": val_ap,
              "lr": trainer.optimizer.param_groups[0]["lr"],
              **{f"loss_{name}": float(value)
                 for name, value in trainer.last_terms.items()}}
    for callback in trainer.callbacks:
        callback(trainer, epoch, record)


def diverged(trainer, loss: float, epoch: int) -> str:
    if not trainer.selection.history["epoch"]:
        raise ValueError(f"the loss is {loss} from the first epoch: no "
                         f"weights were ever trained; check the settings "
                         f"(lr, kl_weight, reg_weight) and the features")
    stopped = (f"loss became {loss} at epoch {epoch}; stopped and kept "
               f"the weights of epoch {trainer.selection.kept_epoch(epoch)}")
    log.warning(stopped)
    return stopped


def finish(trainer, val_data: Data | None, test_data: Data | None,
       stopped: str | None) -> FitResult:
    """Restore the selected weights and score them on ``test_data``."""
    best, history = trainer.selection.best, trainer.selection.history
    trainer.last_weights = copy.deepcopy(trainer.model.state_dict())
    val_auc, val_ap, best_epoch = best["auc"], best["ap"], best["epoch"]
    if best["state"] is not None:
        trainer.model.load_state_dict(best["state"])
    else:  # the last epoch's weights (or their average) are kept
        best_epoch = history["epoch"][-1] if history["epoch"] else 0
        if trainer.average is not None:
            with trainer.scoring():
                averaged = trainer.model.state_dict()
            trainer.model.load_state_dict(averaged)
        if val_data is not None and trainer.config.select == "last":
            val_auc, val_ap = trainer.evaluate(val_data)
    test_auc = test_ap = None
    if test_data is not None:
        test_auc, test_ap = trainer.evaluate(test_data.to(trainer.device))
    return FitResult(
        best_epoch=best_epoch, val_auc=val_auc, val_ap=val_ap,
        test_auc=test_auc, test_ap=test_ap,
        epoch_time_ms=trainer.selection.median_step_ms(),
        history={key: list(values) for key, values in history.items()},
        stopped=stopped)
