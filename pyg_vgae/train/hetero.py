"""Training of :class:`~pyg_vgae.hetero.HeteroGAE` on
:class:`~torch_geometric.data.HeteroData` splits: the same trainer, step and
schedule as every other model, with per-edge-type positives, negatives and
scores."""
from __future__ import annotations

from collections.abc import Iterator

import torch
from torch_geometric.data import HeteroData

from ..checks import check_edge_index, check_features
from ..data import link_labels
from ..hetero import HeteroGAE, hetero_link_labels
from .config import TrainConfig, ranking_metric
from .step import Batch
from .trainer import Trainer


class HeteroWholeGraph:
    """The whole heterogeneous training graph as the batch, ``steps``
    times an epoch; negatives are sampled per edge type by the step."""

    def __init__(self, data: HeteroData, pos: dict, steps: int = 1):
        self.data, self.pos, self.steps = data, pos, steps

    def __iter__(self) -> Iterator[Batch]:
        for _ in range(self.steps):
            yield Batch(self.data.x_dict, self.data.edge_index_dict,
                        self.pos)


class HeteroTrainer(Trainer):
    """:class:`~pyg_vgae.train.Trainer` for a
    :class:`~pyg_vgae.hetero.HeteroGAE`: full-batch training on every
    edge type the model reconstructs, selection on the mean validation AUC
    over those edge types. Splits come from
    :class:`~torch_geometric.transforms.RandomLinkSplit` with
    ``edge_types`` (and ``rev_edge_types``)."""

    def __init__(self, model: HeteroGAE, config: TrainConfig | None = None):
        if not isinstance(model, HeteroGAE):
            raise TypeError(f"HeteroTrainer trains a HeteroGAE, got "
                            f"{type(model).__name__}")
        config = config or TrainConfig()
        unsupported = [name for name, used in (
            ("batch_size", config.batch_size is not None),
            ("mask_ratio", config.mask_ratio > 0),
            ("recon='full'", config.recon == "full"),
            ("weight_likelihood", config.weight_likelihood is not None),
            ("feature_weight", config.feature_weight > 0),
            ("degree_weight", config.degree_weight > 0),
            (f"select='{config.select}'", ranking_metric(config.select)))
            if used]
        if unsupported:
            raise ValueError(f"heterogeneous training does not support "
                             f"{', '.join(unsupported)} yet; drop them")
        super().__init__(model, config)

    def check_split(self, data: HeteroData, what: str) -> None:
        if not isinstance(data, HeteroData):
            raise TypeError(f"{what} must be a torch_geometric.data."
                            f"HeteroData, got {type(data).__name__}")
        sizes = {}
        for node_type in data.node_types:
            x = data[node_type].get("x")
            if x is None:
                raise ValueError(f"{what}[{node_type!r}] has no features x; "
                                 f"give featureless node types identity "
                                 f"or learnable features")
            check_features(x)
            if not torch.isfinite(x).all():
                raise ValueError(f"{what}[{node_type!r}].x holds NaN or "
                                 f"infinite values")
            sizes[node_type] = x.size(0)
        for src, rel, dst in data.edge_types:
            check_edge_index(data[src, rel, dst].edge_index,
                             (sizes[src], sizes[dst]),
                             f"{what}[{(src, rel, dst)}].edge_index")
        missing = [t for t in self.model.edge_types
                   if t not in data.edge_types]
        if missing:
            raise ValueError(f"{what} has no edges of {missing}, which the "
                             f"model reconstructs")

    def positives(self, train_data: HeteroData) -> dict:
        """Per edge type: the split's positive labels, else every edge."""
        pos = {}
        for edge_type in self.model.edge_types:
            store = train_data[edge_type]
            pos[edge_type] = link_labels(store)[0] \
                if "edge_label_index" in store \
                or "pos_edge_label_index" in store else store.edge_index
            if pos[edge_type].size(1) == 0:
                raise ValueError(f"the training split has no positive "
                                 f"edges of {edge_type}")
        return pos

    def make_batches(self, train_data: HeteroData, pos: dict):
        return HeteroWholeGraph(train_data, pos, self.config.recon_steps)

    def encode_graph(self, data: HeteroData) -> dict:
        return self.model.encode(data.x_dict, data.edge_index_dict)

    @torch.no_grad()
    def validation_scores(self, data: HeteroData, metric: None = None
                          ) -> tuple[float, float, None]:
        """AUC and AP on a split's labelled pairs, averaged over the edge
        types the model reconstructs (no ranking metric: the constructor
        refuses ``select='hits@K'``)."""
        self.model.eval()
        z_dict = self.encode_graph(data)
        pos, neg = hetero_link_labels(data, self.model.edge_types)
        return (*self.model.test(z_dict, pos, neg), None)
