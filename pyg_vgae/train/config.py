"""Settings and results of training: :class:`TrainConfig`,
:class:`FitResult`, and the checks of devices and graphs done before any
work."""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field

import torch
from torch_geometric.data import Data

from ..checks import check_edge_index, check_features
from ..names import SELECT, ranking_metric


@dataclass
class TrainConfig:
    """Settings of :class:`Trainer`.

    Attributes:
        epochs: Encoder steps (one per epoch, full batch).
        lr: Adam learning rate of the encoder and decoder.
        weight_decay: Adam weight decay of the encoder and decoder.
        kl_weight: Weight :math:`\\beta` of the KL term of VGAE / ARGVA;
            ``None`` means :math:`1/N`, the original code's choice.
        recon: ``"sampled"`` (positives and sampled negatives) or ``"full"``
            (the original weighted loss over all :math:`N^2` pairs).
        reg_weight: Weight of ARGA's adversarial term in the encoder loss.
        disc_steps: Discriminator steps before each encoder step (ARGA).
        disc_lr: Adam learning rate of the discriminator.
        recon_steps: Encoder steps per epoch.
        batch_size: Train on mini-batches of this many training edges,
            their negatives and sampled neighbourhoods
            (:mod:`pyg_vgae.neighbors`); ``None`` trains full batch. One
            epoch is one pass over the edges; evaluation scores its pairs
            on their sampled neighbourhoods too, a batch at a time.
        num_neighbors: Neighbours sampled per hop in mini-batch training
            (``-1``: all).
        mask_ratio: Edge masking (as in masked graph auto-encoders): each
            step hides this share of the training edges from the encoder
            and reconstructs only those, so the model learns to predict
            edges it does not see. ``0`` disables it (sampled loss only).
        mask_each_direction: Mask each direction of an undirected edge on
            its own, as MaskGAE's code does (an edge stays visible while
            one direction is left, and each masked direction is a target),
            instead of hiding whole edges.
        mask_walk_length: Path masking (MaskGAE's default,
            :class:`~pyg_vgae.train.batches.PathMask`): ``mask_ratio`` of
            the nodes start a random walk of this many steps and the edges
            the walks cross are hidden; ``0``: edges are hidden one by one.
        weight_likelihood: Weighted edges: the encoder uses
            ``edge_weight`` and the loss reconstructs the weights under
            ``"bce"`` (weights in [0, 1]), ``"poisson"`` (counts) or
            ``"gaussian"`` (reals); ``None`` ignores weights.
        feature_weight: Weight of the node-feature reconstruction loss
            (needs a model with an attribute decoder); ``0`` leaves it
            out.
        feature_samples: Score the feature loss on this many entries per
            node and step, half of them non-zero entries and half drawn
            uniformly (:func:`pyg_vgae.attributes.sample_entries`), instead
            of on every entry: nodes x ``feature_samples`` x hidden
            operations a step instead of nodes x features x hidden, and
            the sparse non-zero entries weigh as much as the zeros.
        degree_weight: Weight of MaskGAE's degree task (needs a model
            with a degree decoder, :class:`~pyg_vgae.DegreeDecoder`): each
            node's count of pairs to reconstruct, predicted from its
            embedding; ``0`` leaves it out.
        grad_clip: Clip the encoder's gradient norm to this (``None``:
            no clipping), as MaskGAE does.
        average_decay: :meth:`Trainer.fit` evaluates, selects and returns
            an exponential moving average of the weights with this decay
            per epoch (:mod:`~pyg_vgae.train.averaging`; ``None``: the
            weights as trained).
        separate_generator: ARGA's schedule: the adversarial term gets a
            step and an Adam of its own after the reconstruction steps,
            instead of being added to the encoder loss.
        patience: Stop after this many evaluations without a better
            validation AUC (``None``: train all epochs). The best weights
            are restored either way.
        eval_every: Evaluate on the validation split every this many epochs.
        select: Which weights :meth:`Trainer.fit` keeps: those of the best
            validation ``"auc"``, ``"ap"``, ``"auc+ap"`` or ``"hits@K"``
            (:func:`ranking_metric`), or the ``"last"`` epoch's (the
            original code's protocol: test after the final epoch).
        seed: Seed of every random number generator used in training.
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``...
        progress: Show a tqdm progress bar.
        serial_below: On the CPU, train on one thread while the training
            graph has fewer edges plus positives than this
            (:func:`pyg_vgae.threads.serial_below`); ``0``: always use
            torch's thread count.
    """

    epochs: int = 200
    lr: float = 0.01
    weight_decay: float = 0.0
    weight_likelihood: str | None = None
    feature_weight: float = 0.0
    feature_samples: float | None = None
    degree_weight: float = 0.0
    kl_weight: float | None = None
    recon: str = "sampled"
    reg_weight: float = 1.0
    disc_steps: int = 1
    disc_lr: float = 0.001
    recon_steps: int = 1
    batch_size: int | None = None
    num_neighbors: tuple[int, ...] = (10, 10)
    mask_ratio: float = 0.0
    mask_each_direction: bool = False
    mask_walk_length: int = 0
    separate_generator: bool = False
    grad_clip: float | None = None
    average_decay: float | None = None
    patience: int | None = None
    eval_every: int = 1
    select: str = "auc"
    seed: int = 0
    device: str = "auto"
    progress: bool = True
    serial_below: int = 200_000

    def __post_init__(self) -> None:
        self.num_neighbors = tuple(self.num_neighbors)
        self._check_numbers()
        self._check_choices()
        self._check_combinations()

    def _check_numbers(self) -> None:
        """Every number finite and in its range."""
        for name, value in asdict(self).items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
        for name in ("epochs", "lr", "disc_lr", "patience", "grad_clip",
                     "batch_size", "feature_samples"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        for name in ("kl_weight", "feature_weight", "degree_weight",
                     "disc_steps", "serial_below"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
        if self.average_decay is not None and \
                not 0.0 < self.average_decay < 1.0:
            raise ValueError(f"average_decay must lie in (0, 1), got "
                             f"{self.average_decay}")
        if not 0.0 <= self.mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must lie in [0, 1), got "
                             f"{self.mask_ratio}")
        if isinstance(self.mask_walk_length, bool) or \
                not isinstance(self.mask_walk_length, int) or \
                self.mask_walk_length < 0:
            raise ValueError(f"mask_walk_length must be a whole number of "
                             f"steps >= 0, got {self.mask_walk_length!r}")
        if self.eval_every < 1 or self.recon_steps < 1:
            raise ValueError("eval_every and recon_steps must be >= 1")

    def _check_choices(self) -> None:
        if self.recon not in ("sampled", "full"):
            raise ValueError(f"recon must be 'sampled' or 'full', got "
                             f"'{self.recon}'")
        if self.weight_likelihood not in (None, "bce", "poisson",
                                          "gaussian"):
            raise ValueError(f"weight_likelihood must be 'bce', 'poisson' "
                             f"or 'gaussian', got "
                             f"'{self.weight_likelihood}'")
        if self.select not in SELECT and not ranking_metric(self.select):
            raise ValueError(f"select must be one of {sorted(SELECT)} or "
                             f"'hits@K' with K a positive integer, got "
                             f"'{self.select}'")

    def _check_combinations(self) -> None:
        """Settings that exclude each other, named with the fix."""
        if self.feature_samples is not None and self.feature_weight == 0:
            raise ValueError("feature_samples sets how the feature loss is "
                             "scored: give feature_weight > 0 too, or drop "
                             "feature_samples")
        if self.weight_likelihood is not None and (
                self.mask_ratio > 0 or self.batch_size is not None
                or self.recon == "full"):
            raise ValueError("weighted edges train full batch with the "
                             "sampled loss: drop mask_ratio, batch_size and "
                             "recon='full'")
        for name in ("mask_each_direction", "mask_walk_length"):
            if getattr(self, name) and self.mask_ratio == 0:
                raise ValueError(f"{name} needs edge masking: set "
                                 f"mask_ratio above 0")
        if self.mask_each_direction and self.mask_walk_length:
            raise ValueError("mask_each_direction and mask_walk_length are "
                             "two ways to mask: choose one")
        if self.mask_ratio > 0 and self.recon == "full":
            raise ValueError("edge masking reconstructs the hidden edges "
                             "only, which the full loss cannot: use "
                             "recon='sampled' with mask_ratio")
        if self.batch_size is not None and (
                self.recon == "full" or self.mask_ratio > 0
                or self.separate_generator):
            raise ValueError("mini-batch training (batch_size) works with "
                             "the sampled loss and the joint schedule only: "
                             "drop recon='full', mask_ratio and "
                             "separate_generator")
        if self.batch_size is not None and self.degree_weight > 0:
            raise ValueError("the degree task needs every pair of the "
                             "graph at once: drop degree_weight or "
                             "batch_size")
        if self.select == "last" and self.patience is not None:
            raise ValueError("select='last' keeps the final epoch, so "
                             "patience (early stopping) cannot apply; drop "
                             "one of them")


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` found. AUC and AP are fractions."""

    best_epoch: int
    val_auc: float | None
    val_ap: float | None
    test_auc: float | None
    test_ap: float | None
    epoch_time_ms: float
    history: dict[str, list] = field(default_factory=dict)
    stopped: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


#: Environment variable naming the device ``"auto"`` stands for (e.g.
#: ``cpu`` on a GPU machine); unset, ``"auto"`` is CUDA when present.
DEVICE_ENV = "PYG_VGAE_DEVICE"


def resolve_device(device: str) -> torch.device:
    """``"auto"`` is ``$PYG_VGAE_DEVICE`` where set, else CUDA when
    present, else the CPU; a device that is not there is refused with the
    fix."""
    if device == "auto":
        chosen = os.environ.get(DEVICE_ENV, "").strip()
        if chosen and chosen != "auto":
            try:
                return resolve_device(chosen)
            except ValueError as error:
                raise ValueError(f"${DEVICE_ENV}={chosen}: {error}") \
                    from None
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device '{device}'; use auto, cpu, cuda or "
                         f"cuda:N") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device '{device}' asked for but CUDA is not "
                             f"available here; use --device cpu (or auto)")
        if resolved.index is not None and \
                resolved.index >= torch.cuda.device_count():
            raise ValueError(f"device '{device}' does not exist: this "
                             f"machine has {torch.cuda.device_count()} GPUs")
    return resolved


def check_graph(data: Data, what: str) -> None:
    """The trainer's input: features and edges that match and are finite."""
    if not isinstance(data, Data):
        raise TypeError(f"{what} must be a torch_geometric.data.Data, got "
                        f"{type(data).__name__}")
    if data.x is None or data.edge_index is None:
        raise ValueError(f"{what} needs node features x and edge_index; "
                         f"give featureless graphs identity features "
                         f"(torch.eye(num_nodes))")
    check_features(data.x)
    if data.x.size(0) != data.num_nodes:
        raise ValueError(f"{what} has {data.x.size(0)} feature rows but "
                         f"{data.num_nodes} nodes")
    if not torch.isfinite(data.x).all():
        raise ValueError(f"{what}.x holds NaN or infinite values; clean or "
                         f"impute the features first")
    check_edge_index(data.edge_index, data.num_nodes, f"{what}.edge_index")
