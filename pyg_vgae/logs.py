"""Training logs for TensorBoard (``--log-dir``; needs the ``tensorboard``
extra): loss terms, learning rate and validation AUC / AP per epoch, and the
final embeddings with their labels for the embedding projector."""
from __future__ import annotations

from pathlib import Path

import torch


def _writer_class():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:  # torch needs the tensorboard package
        raise ValueError("--log-dir needs the tensorboard package: pip "
                         "install 'pyg-vgae[tensorboard]'") from error
    return SummaryWriter


def check_available() -> None:
    """Refuse ``--log-dir`` before any work when TensorBoard is missing."""
    _writer_class()


class TensorBoardLogger:
    """A :class:`~pyg_vgae.Trainer` callback writing one run's scalars to
    ``log_dir/run_name``."""

    def __init__(self, log_dir: str | Path, run_name: str):
        self.writer = _writer_class()(log_dir=str(Path(log_dir) / run_name))

    def __call__(self, trainer, epoch: int, record: dict) -> None:
        for name, value in record.items():
            if value is not None:
                group = "val" if name.startswith("val_") else "train"
                self.writer.add_scalar(f"{group}/{name}", value, epoch)

    def add_embedding(self, z: torch.Tensor,
                      labels: torch.Tensor | None) -> None:
        metadata = labels.tolist() if labels is not None else None
        self.writer.add_embedding(z.detach().cpu(), metadata=metadata,
                                  tag="embeddings")

    def close(self) -> None:
        self.writer.close()
