"""One trainer for GAE, VGAE, ARGA and ARGVA: fit, select on validation,
stop early, resume. The epoch loop is :mod:`.loop`; each epoch a schedule
(:mod:`.schedules`) runs the one step (:mod:`.step`) over a batch source
(:mod:`.batches`)."""
from __future__ import annotations

from contextlib import nullcontext

import torch
from torch_geometric.data import Data

from ..cache import TensorCache
from ..data import link_labels
from ..encoders import GNNEncoder
from ..ensemble import EnsembleEncoder
from ..metrics import auc_ap
from ..models import ARGA, GAE
from ..neighbors import NeighborSampler
from ..rng import rng_state, set_rng_state
from ..threads import serial_below
from .averaging import WeightAverage
from .batches import (NeighborBatches, WholeGraph, neighbor_logits,
                      training_positives)
from .config import FitResult, TrainConfig, check_graph, resolve_device
from .loop import finish, train_epochs
from .schedules import make_optimizers, schedule_for
from .selection import Selection

#: Neighbour samplers of evaluation graphs other than the training graph.
_SAMPLERS = TensorCache(size=2)


class Trainer:
    """Training of any of the four models, full batch, on mini-batches
    (``batch_size``) or data-parallel (:class:`.DistributedTrainer`).

    Each epoch its schedule (:mod:`.schedules`) runs the one step
    (:mod:`.step`: ``recon + kl_weight * KL + reg_weight * reg``) over the
    batch source (:mod:`.batches`), each model part with its own Adam
    optimiser. Evaluates validation AUC / AP, keeps the best weights
    (:class:`.Selection`), and restores them at the end.
    """

    def __init__(self, model: GAE, config: TrainConfig | None = None):
        if not isinstance(model, GAE):
            raise TypeError(f"model must be a pyg_vgae model, got "
                            f"{type(model).__name__}")
        self.config = config or TrainConfig()
        for weight, part, name in (
                ("feature_weight", "attr_decoder", "an attribute decoder"),
                ("degree_weight", "degree_decoder", "a degree decoder")):
            if getattr(self.config, weight) > 0 and \
                    getattr(model, part, None) is None:
                raise ValueError(f"{weight} > 0 needs a model with {name} "
                                 f"(ModelSpec({part}=True))")
        if self.config.feature_samples is not None and not hasattr(
                model.attr_decoder, "entry_logits"):
            raise ValueError("feature_samples needs an attribute decoder "
                             "that scores single entries (entry_logits), as "
                             "pyg_vgae.attributes.AttributeDecoder does")
        self.device = resolve_device(self.config.device)
        self.model = model.to(self.device)
        self.adversarial = isinstance(model, ARGA)
        #: The moving average of the weights that evaluation scores
        #: (``config.average_decay``), else ``None``.
        self.average = None if self.config.average_decay is None else \
            WeightAverage(self.model, self.config.average_decay)
        self.optimizer, self.disc_optimizer, self.gen_optimizer = \
            make_optimizers(model, self.config)
        #: Epochs trained so far; :meth:`fit` goes on from here up to
        #: ``config.epochs``.
        self.epochs_done = 0
        self.last_weights: dict | None = None
        #: History, best validation score and weights so far.
        self.selection = Selection(self.config.select, self.config.patience)
        #: Called after every epoch as ``callback(trainer, epoch, record)``
        #: with the epoch's loss, loss terms, learning rate and validation
        #: scores (the command line's TensorBoard writer is one).
        self.callbacks: list = []
        #: The loss terms of the last encoder step (detached tensors).
        self.last_terms: dict[str, torch.Tensor] = {}
        #: The training split and its batch source, set by :meth:`fit`.
        self.train_data: Data | None = None
        self.batches, self.step_work = None, 0
        self.schedule = schedule_for(self)
        #: Nodes of the whole training graph (the KL weight's N).
        self.num_nodes = 0

    def encode_fn(self, x: torch.Tensor, edge_index: torch.Tensor,
                  edge_weight: torch.Tensor | None = None,
                  nodes_per_hop: list[int] | None = None) -> torch.Tensor:
        """How a step encodes (data-parallel training wraps it in DDP).
        With the hop sizes of a sampled subgraph, a :class:`GNNEncoder`
        embeds only the seeds, the first ``nodes_per_hop[0]`` rows
        (others embed every node; the callers read the seeds' rows)."""
        options = {"num_sampled_nodes_per_hop": nodes_per_hop} \
            if nodes_per_hop is not None and \
            _takes_hop_sizes(self.model.encoder) else {}
        if edge_weight is None:
            return self.model.encode(x, edge_index, **options)
        return self.model.encode(x, edge_index, edge_weight, **options)

    def encode_graph(self, data: Data) -> torch.Tensor:
        """Embeddings of ``data``'s nodes; with its edge weights when
        training on weighted edges."""
        data = data.to(self.device)
        weight = data.get("edge_weight") \
            if self.config.weight_likelihood is not None else None
        return self.encode_fn(data.x, data.edge_index, weight)

    def scoring(self):
        """Context in which ``self.model`` has the weights that evaluation
        scores and selection keeps: their moving average when configured
        (:mod:`.averaging`), else the trained ones."""
        return nullcontext() if self.average is None else \
            self.average.in_place_of(self)

    def kl_weight(self) -> float:
        """``config.kl_weight``, else :math:`1/N` of the whole training
        graph, whatever the batch."""
        if self.config.kl_weight is not None:
            return self.config.kl_weight
        return 1.0 / max(self.num_nodes, 1)

    def check_split(self, data: Data, what: str) -> None:
        """Refuse a split the trainer cannot use, naming the fix."""
        check_graph(data, what)

    def positives(self, train_data: Data) -> torch.Tensor:
        """The edges to reconstruct (:func:`.training_positives`)."""
        return training_positives(train_data, self.config.mask_ratio,
                                  getattr(self.model, "directed", False))

    def make_batches(self, train_data: Data, pos: torch.Tensor):
        """The batch source of this trainer's settings."""
        config = self.config
        if config.batch_size is not None:
            model, num_nodes = self.model, train_data.num_nodes
            return NeighborBatches(
                train_data, pos, config.num_neighbors, config.batch_size,
                lambda count: model.sample_negatives(
                    pos, num_nodes,
                    num_neg_samples=model.num_negatives(count)),
                self.device)
        if (config.mask_each_direction or config.mask_walk_length) and \
                getattr(self.model, "directed", False):
            raise ValueError("mask_each_direction and mask_walk_length mask "
                             "undirected edges; a directed model masks each "
                             "edge as given: drop them")
        return WholeGraph(train_data, pos, config.mask_ratio,
                          config.recon_steps,
                          weighted=config.weight_likelihood is not None,
                          each_direction=config.mask_each_direction,
                          walk_length=config.mask_walk_length)

    def train_step(self, data: Data, pos_edge_index: torch.Tensor) -> float:
        """One epoch of updates on ``data`` with positives
        ``pos_edge_index``; returns the epoch's mean loss."""
        if self.train_data is not data:
            self.use_graph(data, pos_edge_index)
        if not self.model.training:  # eval() set every module; undo it
            self.model.train()
        return self.run_epoch()

    def use_graph(self, data: Data, pos: torch.Tensor) -> None:
        """Train on ``data`` with positives ``pos`` from now on, both moved
        to the trainer's device once (PyG's ``Data.to`` moves in place, so
        the next :meth:`train_step` with the same ``data`` finds it)."""
        data = data.to(self.device)
        pos = {key: edges.to(self.device) for key, edges in pos.items()} \
            if isinstance(pos, dict) else pos.to(self.device)
        self.train_data, self.num_nodes = data, data.num_nodes
        self.batches = self.make_batches(data, pos)
        self.step_work = _step_work(data, pos)

    def run_epoch(self) -> float:
        """One epoch of the schedule over the batch source, on one CPU
        thread while the graph is small (``config.serial_below``)."""
        with serial_below(self.step_work, self.config.serial_below,
                          self.device):
            return self.schedule.epoch(self, self.batches)

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
                **self.selection.state_dict(),
                "rng_state": rng_state(),
                "average": None if self.average is None
                else self.average.state_dict(),
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
        if self.average is not None and state.get("average") is not None:
            self.average.load_state_dict(state["average"])
        self.epochs_done = int(state.get("epochs_done", 0))
        self.last_weights = state.get("last_weights")
        self.selection.load_state_dict(state)

    @torch.no_grad()
    def evaluate(self, data: Data) -> tuple[float, float]:
        """AUC and AP on a split's labelled pairs."""
        auc, ap, _ = self.validation_scores(data)
        return auc, ap

    @torch.no_grad()
    def validation_scores(self, data: Data, metric: str | None = None
                          ) -> tuple[float, float, float | None]:
        """AUC, AP and (when ``metric`` is given) :meth:`ranking_score` of
        a split: from one encoding of its graph, or in mini-batch training
        (``batch_size``) from its pairs' sampled neighbourhoods, a batch
        at a time (:func:`.neighbor_logits`)."""
        self.model.eval()
        data = data.to(self.device)
        pos, neg = link_labels(data)
        if self.config.batch_size is None:
            z = self.encode_graph(data)
            auc, ap = self.model.test(z, pos, neg)
            if metric is None:
                return auc, ap, None
            pos_scores, neg_scores = (
                self.model.decoder(z, pairs, sigmoid=False)
                for pairs in (pos, neg))
        else:
            pos_scores, neg_scores = (self._batched_logits(data, pairs)
                                      for pairs in (pos, neg))
            auc, ap = auc_ap(pos_scores, neg_scores)
        return auc, ap, None if metric is None else \
            self._ranked(pos_scores, neg_scores, metric)

    @torch.no_grad()
    def ranking_score(self, data: Data, metric: str) -> float:
        """``metric`` (``"hits@K"``) on a split's labelled pairs, through
        OGB's own ``Evaluator`` where ``ogb`` is installed, else
        :func:`~pyg_vgae.metrics.link_prediction_scores` (the same
        definition)."""
        return self.validation_scores(data, metric)[2]

    def _batched_logits(self, data: Data, pairs: torch.Tensor
                        ) -> torch.Tensor:
        """Logits of ``pairs`` on ``data``'s graph, a batch at a time over
        the training fan-outs; the sampler is the training one where the
        graph is the training graph (the splits share it)."""
        return neighbor_logits(self.encode_fn, self.model.decoder, data.x,
                               self._sampler_of(data), pairs,
                               self.config.batch_size, seed=self.config.seed)

    def _sampler_of(self, data: Data) -> NeighborSampler:
        if isinstance(self.batches, NeighborBatches) and \
                data.edge_index is self.train_data.edge_index:
            return self.batches.sampler
        fanouts = tuple(self.config.num_neighbors)
        return _SAMPLERS.get(
            (data.edge_index, ), (data.num_nodes, fanouts),
            lambda: NeighborSampler(data.edge_index, data.num_nodes,
                                    fanouts))

    def _ranked(self, pos_scores: torch.Tensor, neg_scores: torch.Tensor,
                metric: str) -> float:
        k = int(metric.split("@")[1])
        try:
            from ogb.linkproppred import Evaluator
        except ImportError:
            from ..metrics import link_prediction_scores
            return link_prediction_scores(pos_scores.cpu(), neg_scores.cpu(),
                                          hits_at=(k, ))[metric]
        evaluator = Evaluator("ogbl-ddi")  # any of its datasets ranks so
        evaluator.K = k
        return float(evaluator.eval({"y_pred_pos": pos_scores.cpu(),
                                     "y_pred_neg": neg_scores.cpu()})[metric])

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
                self.check_split(split, name)
        if self.epochs_done >= config.epochs:
            raise ValueError(f"already trained {self.epochs_done} epochs of "
                             f"{config.epochs}: raise epochs to go on")
        train_data = train_data.to(self.device)
        val_data = val_data.to(self.device) if val_data is not None else None
        pos = self.positives(train_data)
        self.use_graph(train_data, pos)
        stopped = train_epochs(self, val_data)
        return finish(self, val_data, test_data, stopped)

    @torch.no_grad()
    def embed(self, data: Data) -> torch.Tensor:
        """Embeddings (``mu`` for variational models) of every node."""
        self.model.eval()
        return self.encode_graph(data)  # which moves data to the device


def _step_work(data, pos) -> int:
    """Edges plus positives of a step's graph, summed over edge types."""
    positives = pos.values() if isinstance(pos, dict) else (pos, )
    return data.num_edges + sum(p.size(1) for p in positives)


def _takes_hop_sizes(encoder: torch.nn.Module) -> bool:
    """Whether ``encoder`` embeds only a sampled subgraph's seeds given its
    hop sizes: a :class:`GNNEncoder`, or an ensemble of them."""
    members = encoder.members if isinstance(encoder, EnsembleEncoder) \
        else (encoder, )
    return all(isinstance(member, GNNEncoder) for member in members)
