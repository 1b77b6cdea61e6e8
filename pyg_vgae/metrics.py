"""Evaluation of embeddings: link prediction, node clustering and node
classification, on top of scikit-learn and SciPy.

scikit-learn and SciPy are imported by the functions that use them: the
link-prediction scores a training run computes every epoch need neither, and
importing scikit-learn took 1.6 s here.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def _numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values)


def _finite(values, name: str) -> np.ndarray:
    array = _numpy(values).astype(float)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} hold NaN or infinite values; was the model "
                         f"trained to a NaN loss?")
    return array


def auc_ap(pos_scores, neg_scores) -> tuple[float, float]:
    """AUC and AP of positive against negative scores (logits or
    probabilities: both rank the same), refusing NaN or infinite scores.

    The same numbers as scikit-learn's ``roc_auc_score`` and
    ``average_precision_score`` (tied scores: mean rank for the AUC, one
    threshold per distinct score for the AP), from one sort: 0.11 s for 1M
    pairs here against 0.50 s for the two calls.
    """
    pos = _numpy(pos_scores).ravel()
    neg = _numpy(neg_scores).ravel()
    scores = np.concatenate([pos, neg])
    if not np.isfinite(scores).all():
        raise ValueError("the decoder scored some pairs NaN or infinite: "
                         "the embeddings z are not finite")
    if pos.size == 0 or neg.size == 0:
        raise ValueError(f"AUC needs positive and negative pairs, got "
                         f"{pos.size} and {neg.size}")
    order = np.argsort(-scores)  # ties are counted per run: any order
    is_pos = (order < pos.size).astype(np.float64)
    # The last position of each run of tied scores, in descending order.
    ranked = scores[order]
    ends = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])
    true_pos = np.cumsum(is_pos)[ends]
    false_pos = ends + 1 - true_pos
    # AUC: each negative, against the positives ranked above it (half for
    # the positives tied with it).
    tp_before = np.r_[0.0, true_pos[:-1]]
    negatives_here = np.diff(np.r_[0.0, false_pos])
    auc = np.sum(negatives_here * (tp_before + true_pos) / 2) \
        / (pos.size * neg.size)
    recall_gain = np.diff(np.r_[0.0, true_pos]) / pos.size
    ap = np.sum(recall_gain * true_pos / (ends + 1))
    return float(auc), float(ap)


def link_prediction_scores(pos_scores, neg_scores,
                           hits_at: Sequence[int] = (10, 50, 100)
                           ) -> dict[str, float]:
    """AUC, AP, Hits@K and MRR of scores of positive against negative pairs.

    Hits@K is the share of positives scored above the K-th best negative
    (as in OGB); MRR is the mean of ``1 / rank`` of each positive among all
    negatives (ties count against it).
    """
    pos = _finite(pos_scores, "positive scores").ravel()
    neg = _finite(neg_scores, "negative scores").ravel()
    if pos.size == 0 or neg.size == 0:
        raise ValueError("need at least one positive and one negative score")
    auc, ap = auc_ap(pos, neg)
    result = {"auc": auc, "ap": ap}
    sorted_neg = np.sort(neg)[::-1]
    for k in hits_at:
        threshold = sorted_neg[k - 1] if k <= neg.size else -np.inf
        result[f"hits@{k}"] = float(np.mean(pos > threshold))
    # Rank of each positive: 1 + number of negatives scored at least as high.
    ascending = np.sort(neg)
    ranks = 1 + neg.size - np.searchsorted(ascending, pos, side="left")
    result["mrr"] = float(np.mean(1.0 / ranks))
    return result


def match_clusters(y_true, y_pred) -> np.ndarray:
    """Relabel predicted clusters to the classes they overlap most, under
    the best one-to-one matching (Hungarian algorithm)."""
    from scipy.optimize import linear_sum_assignment
    y_true, y_pred = _numpy(y_true).astype(int), _numpy(y_pred).astype(int)
    size = max(y_true.max(), y_pred.max()) + 1
    overlap = np.zeros((size, size), dtype=np.int64)
    np.add.at(overlap, (y_pred, y_true), 1)
    rows, cols = linear_sum_assignment(-overlap)
    mapping = dict(zip(rows, cols))
    return np.array([mapping[label] for label in y_pred])


def clustering_scores(y_true, y_pred) -> dict[str, float]:
    """ACC (best matching), NMI, ARI, macro F1 and macro precision."""
    from sklearn.metrics import (adjusted_rand_score, f1_score,
                                 normalized_mutual_info_score,
                                 precision_score)
    y_true = _numpy(y_true).astype(int)
    matched = match_clusters(y_true, y_pred)
    return {
        "acc": float(np.mean(matched == y_true)),
        "nmi": float(normalized_mutual_info_score(y_true, y_pred)),
        "ari": float(adjusted_rand_score(y_true, y_pred)),
        "f1": float(f1_score(y_true, matched, average="macro")),
        "precision": float(precision_score(y_true, matched, average="macro",
                                           zero_division=0)),
    }


def cluster_embeddings(z, y_true, num_clusters: int | None = None,
                       seed: int = 0) -> dict[str, float]:
    """k-means on the embeddings, scored against ``y_true``; nodes
    labelled ``-1`` (unlabelled) are clustered but left out of the
    scores."""
    z, y_true = _finite(z, "embeddings"), _numpy(y_true).astype(int)
    if z.ndim != 2 or len(z) != len(y_true):
        raise ValueError(f"embeddings of shape {z.shape} do not match "
                         f"{len(y_true)} labels")
    labelled = y_true >= 0
    if not labelled.any():
        raise ValueError("no node has a label (all are -1) to score "
                         "clusters against")
    num_clusters = num_clusters or len(np.unique(y_true[labelled]))
    if not 1 <= num_clusters <= len(z):
        raise ValueError(f"cannot make {num_clusters} clusters of {len(z)} "
                         f"nodes")
    from sklearn.cluster import KMeans
    kmeans = KMeans(n_clusters=num_clusters, n_init=10, random_state=seed)
    clusters = kmeans.fit_predict(z)
    return clustering_scores(y_true[labelled], clusters[labelled])


def linear_probe(z, y, train_mask=None, test_mask=None,
                 seed: int = 0) -> dict[str, float]:
    """Logistic regression on frozen embeddings: test accuracy and macro F1.

    Uses the dataset's split where given, else a stratified 80/20 split.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    z, y = _finite(z, "embeddings"), _numpy(y).astype(int)
    if train_mask is not None and test_mask is not None:
        train_idx = np.flatnonzero(_numpy(train_mask))
        test_idx = np.flatnonzero(_numpy(test_mask))
    else:
        train_idx, test_idx = train_test_split(np.arange(len(y)),
                                               test_size=0.2, stratify=y,
                                               random_state=seed)
    probe = LogisticRegression(max_iter=2000)
    probe.fit(z[train_idx], y[train_idx])
    pred = probe.predict(z[test_idx])
    return {
        "accuracy": float(np.mean(pred == y[test_idx])),
        "f1": float(f1_score(y[test_idx], pred, average="macro")),
    }


@torch.no_grad()
def directed_link_scores(model, z, test_pos, test_neg,
                         graph_edge_index) -> dict[str, float]:
    """The three directed tasks of Salha et al. (2019), AUC and AP each:

    * ``general``: test edges against the split's random negatives;
    * ``biased``: test edges ``i -> j`` whose reverse is no edge, against
      those reverses ``j -> i`` (a symmetric decoder scores 50% AUC);
    * ``bidirectional``: for test edges ``i -> j``, is ``j -> i`` an edge
      too? The reverses of reciprocated edges against those of the others.

    ``graph_edge_index`` holds every directed edge of the graph.
    """
    from .sampling import known_mask
    num_nodes = z.size(0)

    def scores(pairs):
        return model.decoder(z, pairs, sigmoid=False)

    result = {}
    auc, ap = auc_ap(scores(test_pos), scores(test_neg))
    result.update(general_auc=auc, general_ap=ap)
    flipped = test_pos.flip(0)
    reciprocal = known_mask(flipped, (graph_edge_index, ), num_nodes,
                            directed=True)
    for task, pos, neg in (
            ("biased", test_pos[:, ~reciprocal], flipped[:, ~reciprocal]),
            ("bidirectional", flipped[:, reciprocal],
             flipped[:, ~reciprocal])):
        if pos.size(1) and neg.size(1):
            auc, ap = auc_ap(scores(pos), scores(neg))
            result.update({f"{task}_auc": auc, f"{task}_ap": ap})
    return result
