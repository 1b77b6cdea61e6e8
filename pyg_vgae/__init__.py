"""Graph auto-encoders for PyTorch Geometric: GAE, VGAE, ARGA and ARGVA.

``from pyg_vgae import GAE, VGAE, ARGA, ARGVA`` replaces the classes of the
same names in :mod:`torch_geometric.nn`.

Names are imported on first use (PEP 562), so that ``import pyg_vgae`` (and
the ``pyg-vgae`` command's start, where Ctrl-C must stay clean) does not pay
for torch before it is needed.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "GAE": "models", "VGAE": "models", "ARGA": "models", "ARGVA": "models",
    "GNNEncoder": "encoders", "GCNEncoder": "encoders",
    "VariationalGCNEncoder": "encoders", "LinearEncoder": "encoders",
    "VariationalLinearEncoder": "encoders",
    "InnerProductDecoder": "decoders", "MLPDecoder": "decoders",
    "SourceTargetDecoder": "decoders", "GravityDecoder": "decoders",
    "DegreeDecoder": "decoders",
    "EnsembleEncoder": "ensemble", "EnsembleDecoder": "ensemble",
    "MLPDiscriminator": "discriminators",
    "HeteroGAE": "hetero", "HeteroInnerProductDecoder": "hetero",
    "DistMultDecoder": "hetero",
    "Trainer": "train", "TrainConfig": "train", "FitResult": "train",
    "ModelSpec": "presets", "build_model": "presets",
    "load": "checkpoint", "save": "checkpoint",
}
_SUBMODULES = ("losses", "data", "metrics", "cli", "run")

__all__ = [*_EXPORTS, "losses"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pyg_vgae' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_SUBMODULES])
