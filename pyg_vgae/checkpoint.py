"""Saving and loading trained models with everything needed to rebuild
them."""
from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from .models import GAE
from .presets import ModelSpec, build_model


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``, so ``path`` is
    either absent or whole even if the process dies midway."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it owner-only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(path: str | Path, model: GAE, spec: ModelSpec,
         extra: dict[str, Any] | None = None,
         trainer_state: dict[str, Any] | None = None) -> None:
    """Write the weights, the model spec, ``extra`` (the training config,
    the dataset) and the trainer's state
    (:meth:`pyg_vgae.Trainer.state_dict`: optimisers, epoch, to resume
    from) to ``path``, atomically."""
    payload = {
        "format": "pyg_vgae-checkpoint-1",
        "spec": asdict(spec),
        "state_dict": model.state_dict(),
        "trainer": trainer_state,
        "extra": extra or {},
    }
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw contents of a checkpoint written by :func:`save`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such checkpoint: '{path}'")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:
        raise ValueError(f"'{path}' is not a readable checkpoint "
                         f"({error})") from error
    if not isinstance(payload, dict) or payload.get("format") != \
            "pyg_vgae-checkpoint-1":
        raise ValueError(f"'{path}' is not a pyg_vgae checkpoint; write one "
                         f"with `pyg-vgae train --save` or pyg_vgae.save")
    return payload


def load(path: str | Path) -> GAE:
    """Rebuild the model saved at ``path``, in evaluation mode."""
    payload = load_checkpoint(path)
    model = build_model(ModelSpec(**payload["spec"]))
    model.load_state_dict(payload["state_dict"])
    return model.eval()
