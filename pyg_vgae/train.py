"""One trainer for GAE, VGAE, ARGA and ARGVA."""
from __future__ import annotations

import copy
import logging
import math
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field

import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, to_undirected

from .checks import check_edge_index, check_features
from .data import link_labels
from .minibatch import make_loader, minibatch_epoch
from .models import ARGA, GAE, _Variational
from .progress import progress_bar
from .rng import rng_state, set_rng_state

log = logging.getLogger("pyg_vgae")

#: Set (by the command line's signal handler) to stop :meth:`Trainer.fit`
#: at the next epoch with a ``KeyboardInterrupt``.
STOP_REQUESTED = threading.Event()


#: Validation score that :meth:`Trainer.fit` maximises, per ``select``.
SELECT = {"auc": lambda auc, ap: auc, "ap": lambda auc, ap: ap,
          "auc+ap": lambda auc, ap: auc + ap, "last": lambda auc, ap: 0.0}


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
        batch_size: Train on mini-batches of this many training edges with
            PyG's ``LinkNeighborLoader`` (:mod:`pyg_vgae.minibatch`);
            ``None`` trains full batch. One epoch is one pass over the
            edges; evaluation stays full batch.
        num_neighbors: Neighbours sampled per hop in mini-batch training.
        mask_ratio: Edge masking (as in masked graph auto-encoders): each
            step hides this share of the training edges from the encoder
            and reconstructs only those, so the model learns to predict
            edges it does not see. ``0`` disables it (sampled loss only).
        grad_clip: Clip the encoder's gradient norm to this (``None``:
            no clipping), as MaskGAE does.
        separate_generator: ARGA's schedule: the adversarial term gets a
            step and an Adam of its own after the reconstruction steps,
            instead of being added to the encoder loss.
        patience: Stop after this many evaluations without a better
            validation AUC (``None``: train all epochs). The best weights
            are restored either way.
        eval_every: Evaluate on the validation split every this many epochs.
        select: Which weights :meth:`Trainer.fit` keeps: those of the best
            validation ``"auc"``, ``"ap"`` or ``"auc+ap"``, or the
            ``"last"`` epoch's (the original code's protocol: test after
            the final epoch).
        seed: Seed of every random number generator used in training.
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``...
        progress: Show a tqdm progress bar.
    """

    epochs: int = 200
    lr: float = 0.01
    weight_decay: float = 0.0
    kl_weight: float | None = None
    recon: str = "sampled"
    reg_weight: float = 1.0
    disc_steps: int = 1
    disc_lr: float = 0.001
    recon_steps: int = 1
    batch_size: int | None = None
    num_neighbors: tuple[int, ...] = (10, 10)
    mask_ratio: float = 0.0
    separate_generator: bool = False
    grad_clip: float | None = None
    patience: int | None = None
    eval_every: int = 1
    select: str = "auc"
    seed: int = 0
    device: str = "auto"
    progress: bool = True

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be positive, got {self.epochs}")
        for name in ("lr", "disc_lr"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be positive, got {value}")
        if self.recon not in ("sampled", "full"):
            raise ValueError(f"recon must be 'sampled' or 'full', got "
                             f"'{self.recon}'")
        if self.kl_weight is not None and self.kl_weight < 0:
            raise ValueError(f"kl_weight must not be negative, got "
                             f"{self.kl_weight}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be positive, got "
                             f"{self.grad_clip}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be positive, got "
                             f"{self.patience}")
        if not 0.0 <= self.mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must lie in [0, 1), got "
                             f"{self.mask_ratio}")
        if self.mask_ratio > 0 and self.recon == "full":
            raise ValueError("edge masking reconstructs the hidden edges "
                             "only, which the full loss cannot: use "
                             "recon='sampled' with mask_ratio")
        if self.batch_size is not None:
            if self.batch_size < 1:
                raise ValueError(f"batch_size must be positive, got "
                                 f"{self.batch_size}")
            if self.recon == "full" or self.mask_ratio > 0 \
                    or self.separate_generator:
                raise ValueError("mini-batch training (batch_size) works "
                                 "with the sampled loss and the joint "
                                 "schedule only: drop recon='full', "
                                 "mask_ratio and separate_generator")
        self.num_neighbors = tuple(self.num_neighbors)
        if self.select not in SELECT:
            raise ValueError(f"select must be one of {sorted(SELECT)}, got "
                             f"'{self.select}'")
        if self.select == "last" and self.patience is not None:
            raise ValueError("select='last' keeps the final epoch, so "
                             "patience (early stopping) cannot apply; "
                             "drop one of them")
        if self.disc_steps < 0 or self.eval_every < 1 \
                or self.recon_steps < 1:
            raise ValueError("disc_steps must be >= 0, eval_every and "
                             "recon_steps >= 1")


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


def resolve_device(device: str) -> torch.device:
    """``"auto"`` is CUDA when present, else the CPU; a device that is not
    there is refused with the fix."""
    if device == "auto":
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


class Trainer:
    """Full-batch training of any of the four models.

    Each epoch: ``disc_steps`` discriminator steps (ARGA / ARGVA), then one
    encoder step on
    ``recon + kl_weight * KL (variational) + reg_weight * reg (adversarial)``,
    each model part with its own Adam optimiser. Evaluates validation AUC /
    AP, keeps the best weights, and restores them at the end.
    """

    def __init__(self, model: GAE, config: TrainConfig | None = None):
        if not isinstance(model, GAE):
            raise TypeError(f"model must be a pyg_vgae model, got "
                            f"{type(model).__name__}")
        self.config = config or TrainConfig()
        self.device = resolve_device(self.config.device)
        self.model = model.to(self.device)
        self.adversarial = isinstance(model, ARGA)
        self.variational = isinstance(model, _Variational)
        encoder_params = [p for name, p in model.named_parameters()
                          if not name.startswith("discriminator.")]
        self.optimizer = torch.optim.Adam(encoder_params, lr=self.config.lr,
                                          weight_decay=self.config.weight_decay)
        self.disc_optimizer = torch.optim.Adam(
            model.discriminator.parameters(),
            lr=self.config.disc_lr) if self.adversarial and any(
                True for _ in model.discriminator.parameters()) else None
        self.gen_optimizer = torch.optim.Adam(
            encoder_params, lr=self.config.lr) \
            if self.config.separate_generator else None
        #: Epochs trained so far; :meth:`fit` goes on from here up to
        #: ``config.epochs``.
        self.epochs_done = 0
        self.last_weights: dict | None = None
        #: Per-epoch loss, validation scores and step times of the run.
        self.history: dict[str, list] = {
            key: [] for key in ("epoch", "loss", "val_auc", "val_ap",
                                "time_ms")}
        #: The best validation score so far, its epoch and weights, and
        #: evaluations since it (for patience).
        self.best: dict = {"score": -math.inf, "auc": None, "ap": None,
                           "epoch": 0, "state": None, "waited": 0}
        #: Called after every epoch as ``callback(trainer, epoch, record)``
        #: with the epoch's loss, loss terms, learning rate and validation
        #: scores (the command line's TensorBoard writer is one).
        self.callbacks: list = []
        #: The loss terms of the last encoder step (detached tensors).
        self.last_terms: dict[str, torch.Tensor] = {}
        self._loader = None  # the mini-batch loader, built by fit()

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {name: optimizer for name, optimizer in (
            ("optimizer", self.optimizer),
            ("disc_optimizer", self.disc_optimizer),
            ("gen_optimizer", self.gen_optimizer)) if optimizer is not None}

    def state_dict(self) -> dict:
        """Everything needed to resume training exactly: the epoch count,
        the optimisers' states, the model's weights at the last epoch
        (:meth:`fit` leaves the best ones in the model) and the random
        number generator's state."""
        return {"epochs_done": self.epochs_done,
                "last_weights": self.last_weights,
                "best": copy.deepcopy(self.best),
                "history": copy.deepcopy(self.history),
                "rng_state": rng_state(),
                **{name: optimizer.state_dict()
                   for name, optimizer in self._optimizers().items()}}

    def load_state_dict(self, state: dict) -> None:
        """Resume from :meth:`state_dict` (load the model's weights into the
        model first)."""
        optimizers = self._optimizers()
        missing = sorted(set(optimizers) - set(state))
        if missing:
            raise ValueError(f"the trainer state lacks {missing}: it was "
                             f"saved for a different model or schedule")
        if state.get("last_weights") is not None:
            self.model.load_state_dict(state["last_weights"])
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(state[name])
        if state.get("rng_state") is not None:
            set_rng_state(state["rng_state"])
        self.epochs_done = int(state.get("epochs_done", 0))
        self.last_weights = state.get("last_weights")
        if state.get("best") is not None:
            self.best = copy.deepcopy(state["best"])
        if state.get("history") is not None:
            self.history = copy.deepcopy(state["history"])

    def _encode(self, data: Data, pos_edge_index: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Embeddings, and the positives to reconstruct: every training
        edge, or with edge masking the hidden share the encoder did not
        see."""
        model, ratio = self.model, self.config.mask_ratio
        if ratio == 0:
            return model.encode(data.x, data.edge_index), pos_edge_index
        # Positives are each undirected edge once (_training_positives):
        # an edge hidden here is hidden in both directions.
        hidden = torch.rand(pos_edge_index.size(1),
                            device=pos_edge_index.device) < ratio
        visible = to_undirected(pos_edge_index[:, ~hidden],
                                num_nodes=data.num_nodes)
        return model.encode(data.x, visible), pos_edge_index[:, hidden]

    def _encoder_loss(self, data: Data, pos_edge_index: torch.Tensor,
                      z: torch.Tensor, with_reg: bool,
                      target: torch.Tensor | None = None) -> torch.Tensor:
        model, config = self.model, self.config
        if config.recon == "full":
            loss = model.full_recon_loss(z, data.edge_index)
        elif target is None or target is pos_edge_index:
            loss = model.recon_loss(z, pos_edge_index)
        else:  # negatives avoid every training edge, hidden or not
            negatives = model.sample_negatives(
                pos_edge_index, data.num_nodes,
                num_neg_samples=model.num_negatives(target.size(1)))
            loss = model.recon_loss(z, target, negatives)
        return self.add_regularisers(loss, z, data.num_nodes, with_reg)

    def add_regularisers(self, loss: torch.Tensor, z: torch.Tensor,
                         num_nodes: int, with_reg: bool) -> torch.Tensor:
        """``loss`` plus the KL term of variational models (weighted by
        ``kl_weight``, :math:`1/N` by default) and, with ``with_reg``, the
        adversarial term (weighted by ``reg_weight``)."""
        model, config = self.model, self.config
        terms = {"recon": loss.detach()}
        if self.variational:
            kl_weight = (1.0 / num_nodes if config.kl_weight is None
                         else config.kl_weight)
            kl = model.kl_loss()
            terms["kl"] = kl.detach()
            loss = loss + kl_weight * kl
        if with_reg:
            reg = model.reg_loss(z)
            terms["reg"] = reg.detach()
            loss = loss + config.reg_weight * reg
        self.last_terms = terms
        return loss

    def _step(self, optimizer: torch.optim.Optimizer,
              loss: torch.Tensor) -> float:
        """Take a step unless the loss is NaN or infinite (the caller then
        stops training)."""
        value = loss.item()
        if math.isfinite(value):
            optimizer.zero_grad()
            loss.backward()
            if self.config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(
                    [p for group in optimizer.param_groups
                     for p in group["params"]], self.config.grad_clip)
            optimizer.step()
        return value

    def _discriminator_steps(self, z: torch.Tensor) -> None:
        # The encoder does not change during these steps, so one z serves
        # them all (discriminator_loss detaches it).
        for _ in range(self.config.disc_steps):
            self._step(self.disc_optimizer, self.model.discriminator_loss(z))

    def train_step(self, data: Data, pos_edge_index: torch.Tensor) -> float:
        """One epoch's updates; returns the last reconstruction-side loss.

        Joint schedule: discriminator steps, then one encoder step on
        recon + KL + reg. Separate schedule (``separate_generator``, the
        ARGA code's): ``recon_steps`` encoder steps on recon + KL, the
        discriminator steps, then one step on reg alone with an Adam of its
        own.
        """
        model, config = self.model, self.config
        model.train()
        adversarial = self.disc_optimizer is not None
        if adversarial and config.separate_generator:
            for _ in range(config.recon_steps):
                z, target = self._encode(data, pos_edge_index)
                loss = self._step(self.optimizer, self._encoder_loss(
                    data, pos_edge_index, z, with_reg=False, target=target))
                if not math.isfinite(loss):
                    return loss
            z = model.encode(data.x, data.edge_index)
            self._discriminator_steps(z)
            self._step(self.gen_optimizer, model.reg_loss(z))
            return loss
        for _ in range(config.recon_steps):
            z, target = self._encode(data, pos_edge_index)
            if adversarial:
                self._discriminator_steps(z)
            loss = self._step(self.optimizer, self._encoder_loss(
                data, pos_edge_index, z, with_reg=self.adversarial,
                target=target))
            if not math.isfinite(loss):
                return loss
        return loss

    @torch.no_grad()
    def evaluate(self, data: Data) -> tuple[float, float]:
        """AUC and AP on a split's labelled pairs."""
        self.model.eval()
        z = self.model.encode(data.x, data.edge_index)
        pos, neg = link_labels(data)
        return self.model.test(z, pos, neg)

    def _time_step(self, data: Data, pos: torch.Tensor) -> tuple[float, float]:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        start = time.perf_counter()
        if self.config.batch_size is not None:
            loss = minibatch_epoch(self, self._loader)
        else:
            loss = self.train_step(data, pos)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return loss, 1000 * (time.perf_counter() - start)

    def fit(self, train_data: Data, val_data: Data | None = None,
            test_data: Data | None = None) -> FitResult:
        """Train on ``train_data``; select on ``val_data``; score the best
        weights on ``test_data``. Without ``val_data`` the last epoch is
        kept. After :meth:`load_state_dict` it goes on where the saved run
        stopped, with its history and best weights, so a resumed run
        reports what one straight run would."""
        config = self.config
        for name, split in (("train_data", train_data),
                            ("val_data", val_data), ("test_data", test_data)):
            if split is not None:
                check_graph(split, name)
        if self.epochs_done >= config.epochs:
            raise ValueError(f"already trained {self.epochs_done} epochs of "
                             f"{config.epochs}: raise epochs to go on")
        train_data = train_data.to(self.device)
        val_data = val_data.to(self.device) if val_data is not None else None
        pos = self._training_positives(train_data)
        if config.batch_size is not None:
            self._loader = make_loader(train_data, pos, config.num_neighbors,
                                       config.batch_size,
                                       self.model.neg_ratio)
        stopped = self._train_epochs(train_data, val_data, pos)
        return self._finish(val_data, test_data, stopped)

    def _training_positives(self, train_data: Data) -> torch.Tensor:
        """The edges to reconstruct; with masking, each undirected edge once
        (``u < v``), so that hiding it hides both directions."""
        if "pos_edge_label_index" in train_data \
                or "edge_label_index" in train_data:
            pos = link_labels(train_data)[0]
        else:
            pos = train_data.edge_index
        if pos.size(1) == 0:
            raise ValueError("the training split has no positive edges to "
                             "reconstruct")
        if self.config.mask_ratio > 0:
            low, high = pos.min(dim=0).values, pos.max(dim=0).values
            pos = coalesce(torch.stack([low, high]))
        return pos

    def _train_epochs(self, train_data: Data, val_data: Data | None,
                      pos: torch.Tensor) -> str | None:
        """Epochs from ``epochs_done + 1`` to ``config.epochs``; updates
        :attr:`history` and :attr:`best`; returns why it stopped early."""
        config = self.config
        bar = progress_bar(range(self.epochs_done + 1, config.epochs + 1),
                           enabled=config.progress,
                           desc=type(self.model).__name__)
        stopped = None
        for epoch in bar:
            if STOP_REQUESTED.is_set():
                raise KeyboardInterrupt("stop requested")
            loss, step_ms = self._time_step(train_data, pos)
            if not math.isfinite(loss):
                stopped = self._diverged(loss, epoch)
                break
            self.epochs_done = epoch
            val_auc, val_ap = self._validate(val_data, epoch)
            for key, value in (("epoch", epoch), ("loss", loss),
                               ("val_auc", val_auc), ("val_ap", val_ap),
                               ("time_ms", step_ms)):
                self.history[key].append(value)
            bar.set_postfix(loss=f"{loss:.4f}", val_auc=f"{val_auc:.4f}"
                            if val_auc is not None else "-")
            self._report(epoch, loss, val_auc, val_ap)
            if config.patience is not None and \
                    self.best["waited"] >= config.patience:
                stopped = f"early stop at epoch {epoch}"
                break
        bar.close()
        return stopped

    def _report(self, epoch: int, loss: float, val_auc: float | None,
                val_ap: float | None) -> None:
        if not self.callbacks:
            return
        record = {"loss": loss, "val_auc": val_auc, "val_ap": val_ap,
                  "lr": self.optimizer.param_groups[0]["lr"],
                  **{f"loss_{name}": float(value)
                     for name, value in self.last_terms.items()}}
        for callback in self.callbacks:
            callback(self, epoch, record)

    def _diverged(self, loss: float, epoch: int) -> str:
        if not self.history["epoch"]:
            raise ValueError(f"the loss is {loss} from the first epoch: no "
                             f"weights were ever trained; check the settings "
                             f"(lr, kl_weight, reg_weight) and the features")
        kept = epoch - 1 if self.config.select == "last" \
            else self.best["epoch"]
        stopped = (f"loss became {loss} at epoch {epoch}; stopped and kept "
                   f"the weights of epoch {kept}")
        log.warning(stopped)
        return stopped

    def _validate(self, val_data: Data | None, epoch: int
                  ) -> tuple[float | None, float | None]:
        """Validation AUC / AP at evaluation epochs; keeps the best
        weights in :attr:`best`."""
        config, best = self.config, self.best
        if val_data is None or epoch % config.eval_every != 0:
            return None, None
        val_auc, val_ap = self.evaluate(val_data)
        score = SELECT[config.select](val_auc, val_ap)
        if config.select != "last" and score > best["score"]:
            best.update(score=score, auc=val_auc, ap=val_ap, epoch=epoch,
                        state=copy.deepcopy(self.model.state_dict()),
                        waited=0)
        else:
            best["waited"] += 1
        return val_auc, val_ap

    def _finish(self, val_data: Data | None, test_data: Data | None,
                stopped: str | None) -> FitResult:
        """Restore the selected weights and score them on ``test_data``."""
        best, history = self.best, self.history
        self.last_weights = copy.deepcopy(self.model.state_dict())
        val_auc, val_ap, best_epoch = best["auc"], best["ap"], best["epoch"]
        if best["state"] is not None:
            self.model.load_state_dict(best["state"])
        else:  # the last epoch's weights are kept
            best_epoch = history["epoch"][-1] if history["epoch"] else 0
            if val_data is not None and self.config.select == "last":
                val_auc, val_ap = self.evaluate(val_data)
        test_auc = test_ap = None
        if test_data is not None:
            test_auc, test_ap = self.evaluate(test_data.to(self.device))
        return FitResult(
            best_epoch=best_epoch, val_auc=val_auc, val_ap=val_ap,
            test_auc=test_auc, test_ap=test_ap,
            epoch_time_ms=statistics.median(history["time_ms"])
            if history["time_ms"] else float("nan"),
            history={key: list(values) for key, values in history.items()},
            stopped=stopped)

    @torch.no_grad()
    def embed(self, data: Data) -> torch.Tensor:
        """Embeddings (``mu`` for variational models) of every node."""
        self.model.eval()
        data = data.to(self.device)
        return self.model.encode(data.x, data.edge_index)
