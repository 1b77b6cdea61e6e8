"""Graph auto-encoders for PyTorch Geometric: GAE, VGAE, ARGA and ARGVA.

``from pyg_vgae import GAE, VGAE, ARGA, ARGVA`` replaces the classes of the
same names in :mod:`torch_geometric.nn`.
"""
from . import losses
from .decoders import InnerProductDecoder, MLPDecoder
from .discriminators import MLPDiscriminator
from .encoders import (GCNEncoder, GNNEncoder, LinearEncoder,
                       VariationalGCNEncoder, VariationalLinearEncoder)
from .models import ARGA, ARGVA, GAE, VGAE
from .presets import ModelSpec, build_model
from .train import FitResult, TrainConfig, Trainer
from .checkpoint import load, save

__version__ = "0.1.0"

__all__ = [
    "GAE",
    "VGAE",
    "ARGA",
    "ARGVA",
    "GNNEncoder",
    "GCNEncoder",
    "VariationalGCNEncoder",
    "LinearEncoder",
    "VariationalLinearEncoder",
    "InnerProductDecoder",
    "MLPDecoder",
    "MLPDiscriminator",
    "Trainer",
    "TrainConfig",
    "FitResult",
    "ModelSpec",
    "build_model",
    "load",
    "save",
    "losses",
]
