"""One run of one seed, shared by the command line and every benchmark:
seed -> split -> build -> fit -> scores."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch_geometric import seed_everything
from torch_geometric.data import Data

from .data import link_labels, split_edges
from .metrics import cluster_embeddings, directed_link_scores
from .presets import (DIRECTED_DECODERS, ModelSpec, build_model, is_identity,
                      preset)
from .train import TrainConfig, Trainer


@dataclass
class Settings:
    """A model and how to train it: a :class:`ModelSpec` and a
    :class:`TrainConfig`, from a preset and overrides."""

    spec: ModelSpec
    config: TrainConfig

    @classmethod
    def from_preset(cls, name: str, model: str, in_channels: int,
                    identity_input: bool = False, **overrides
                    ) -> "Settings":
        """The preset's settings with ``overrides`` (any ModelSpec or
        TrainConfig field) on top; ``identity_input``: the graph has no
        features, its input is one-hot identities
        (:data:`pyg_vgae.presets.IDENTITY_INPUT`)."""
        spec_fields, train_fields = preset(name, model, identity_input)
        spec_names = set(ModelSpec.__dataclass_fields__)
        for key, value in overrides.items():
            (spec_fields if key in spec_names else train_fields)[key] = value
        return cls(ModelSpec(model=model, in_channels=in_channels,
                             **spec_fields), TrainConfig(**train_fields))

    @classmethod
    def for_graph(cls, name: str, model: str, data: Data, **overrides
                  ) -> "Settings":
        """:meth:`from_preset` for the graph ``data``, with what the preset
        takes from it (:func:`graph_defaults`) unless ``overrides`` say
        otherwise: what ``pyg-vgae train`` trains."""
        return cls.from_preset(name, model, data.num_features,
                               **{**graph_defaults(data), **overrides})


def graph_defaults(data: Data) -> dict[str, Any]:
    """What a preset takes from the graph it trains: the changes for input
    that is one-hot identities (``identity_input``) and selection on the
    dataset's official ranking metric (``select``, e.g. ``hits@20`` for
    ogbl-ddi), where it has one."""
    defaults: dict[str, Any] = {"identity_input": is_identity(data.x)}
    metric = official_metric(data)
    if metric is not None and metric.startswith("hits@"):
        defaults["select"] = metric
    return defaults


def official_metric(data: Data) -> str | None:
    """The metric a dataset is ranked by (``hits@20`` for ogbl-ddi)."""
    return getattr(data, "eval_metric", None)


def run_seed(data: Data, settings: Settings, seed: int, *,
             clustering: bool = False, val_ratio: float = 0.05,
             test_ratio: float = 0.10, num_clusters: int | None = None,
             resume: dict | None = None, score_test: bool = True,
             trainer_class: type[Trainer] = Trainer,
             directed: bool | None = None,
             callbacks: tuple[Callable, ...] = ()) -> tuple[dict, Trainer]:
    """Train one seed and score it: test AUC / AP (and the dataset's
    official metric) for link prediction, k-means scores for clustering.
    ``resume`` (a checkpoint's ``state_dict`` and ``trainer``) goes on with
    a saved run, its random state restored after the split is drawn.
    ``score_test=False`` never looks at test edges (for tuning).
    ``directed`` splits directed edges and adds the directed tasks' scores
    (default: when the decoder is directed)."""
    seed_everything(seed)
    settings.config.seed = seed
    if directed is None:
        directed = settings.spec.decoder in DIRECTED_DECODERS
    if clustering:
        splits = (data, None, None)
    else:
        splits = split_edges(data, val_ratio, test_ratio, seed=seed,
                             directed=directed)
        if not score_test:
            splits = (splits[0], splits[1], None)
    trainer = trainer_class(build_model(settings.spec), settings.config)
    if resume is not None:
        trainer.model.load_state_dict(resume["state_dict"])
        trainer.load_state_dict(resume["trainer"])
    trainer.callbacks.extend(callbacks)
    start = time.perf_counter()
    result = trainer.fit(*splits)
    run = {"seed": seed, "best_epoch": result.best_epoch,
           "epoch_time_ms": result.epoch_time_ms,
           "seconds": time.perf_counter() - start}
    if clustering:  # trained on the whole graph; k-means where labelled
        if data.get("y") is not None:
            z = trainer.embed(data)
            run.update(cluster_embeddings(z, data.y, num_clusters, seed))
    else:
        run.update(test_auc=result.test_auc, test_ap=result.test_ap,
                   val_auc=result.val_auc, val_ap=result.val_ap)
        likelihood = settings.config.weight_likelihood
        if likelihood is not None and splits[2] is not None:
            run["test_weight_mse"] = weight_error(trainer, splits[2],
                                                  likelihood)
        if directed and splits[2] is not None:
            run.update(directed_scores(trainer, splits[2], data))
        metric = official_metric(data)
        if metric is not None and metric.startswith("hits@"):
            run[f"val_{metric}"] = trainer.ranking_score(splits[1], metric)
            if splits[2] is not None:
                run[f"test_{metric}"] = trainer.ranking_score(splits[2],
                                                              metric)
    if result.stopped:
        run["stopped"] = result.stopped
    run["history"] = result.history
    return run, trainer


@torch.no_grad()
def weight_error(trainer: Trainer, split: Data, likelihood: str) -> float:
    """Mean squared error of the weights the model predicts for a split's
    positive edges."""
    from .losses import predicted_weight
    model = trainer.model.eval()
    split = split.to(trainer.device)
    z = trainer.encode_graph(split)
    logits = model.decoder(z, split.pos_edge_label_index, sigmoid=False)
    error = predicted_weight(logits, likelihood) - split.pos_edge_label_weight
    return float(error.pow(2).mean())


def directed_scores(trainer: Trainer, test: Data, data: Data) -> dict:
    """The directed tasks' test AUC / AP (:func:`directed_link_scores`)."""
    model = trainer.model.eval()
    test = test.to(trainer.device)
    with torch.no_grad():
        z = trainer.encode_graph(test)
    pos, neg = link_labels(test)
    scores = directed_link_scores(model, z, pos, neg,
                                  data.edge_index.to(trainer.device))
    return {f"test_{key}": value for key, value in scores.items()}


def summarise(runs: list[dict], metrics: tuple[str, ...]) -> dict:
    """Mean and standard deviation of each metric over runs, and the
    median step time."""
    summary = {}
    for metric in metrics:
        values = np.array([run[metric] for run in runs], dtype=float)
        summary[metric] = {"mean": float(values.mean()),
                           "std": float(values.std())}
    summary["epoch_time_ms"] = {
        "median": float(np.median([run["epoch_time_ms"] for run in runs]))}
    return summary
