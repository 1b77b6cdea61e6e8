import numpy as np
import pytest
import torch

from pyg_vgae import metrics


def test_perfect_and_reversed_scorers():
    pos, neg = np.array([3.0, 4.0, 5.0]), np.array([0.0, 1.0, 2.0])
    perfect = metrics.link_prediction_scores(pos, neg, hits_at=(1, 3))
    assert perfect["auc"] == 1.0 and perfect["ap"] == 1.0
    assert perfect["hits@1"] == 1.0 and perfect["mrr"] == 1.0
    reversed_ = metrics.link_prediction_scores(neg, pos, hits_at=(1, ))
    assert reversed_["auc"] == 0.0 and reversed_["hits@1"] == 0.0


def test_hits_and_mrr_by_hand():
    pos = torch.tensor([0.9, 0.5])
    neg = torch.tensor([0.8, 0.6, 0.1])
    scores = metrics.link_prediction_scores(pos, neg, hits_at=(1, 2))
    # Thresholds: 1st best negative 0.8, 2nd 0.6.
    assert scores["hits@1"] == 0.5 and scores["hits@2"] == 0.5
    # Ranks: 0.9 -> 1, 0.5 -> 3.
    assert scores["mrr"] == pytest.approx((1 + 1 / 3) / 2)
    assert scores["auc"] == pytest.approx(4 / 6)


@pytest.mark.parametrize("levels", [None, 5, 2])
def test_auc_ap_match_scikit_learn_with_and_without_ties(levels):
    from sklearn.metrics import average_precision_score, roc_auc_score
    rng = np.random.default_rng(0 if levels is None else levels)
    for _ in range(20):
        pos = rng.normal(0.7, 1.0, rng.integers(1, 60))
        neg = rng.normal(0.0, 1.0, rng.integers(1, 60))
        if levels is not None:  # few distinct scores: many ties
            pos, neg = np.round(pos * levels / 4), np.round(neg * levels / 4)
        labels = np.r_[np.ones_like(pos), np.zeros_like(neg)]
        scores = np.r_[pos, neg]
        auc, ap = metrics.auc_ap(pos, neg)
        assert auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
        assert ap == pytest.approx(average_precision_score(labels, scores),
                                   abs=1e-12)


def test_auc_ap_need_both_classes():
    with pytest.raises(ValueError, match="positive and negative"):
        metrics.auc_ap(np.array([1.0]), np.array([]))


def test_clustering_accuracy_is_invariant_to_relabelling():
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([2, 2, 0, 0, 1, 1])
    scores = metrics.clustering_scores(y, pred)
    assert scores["acc"] == 1.0 and scores["nmi"] == pytest.approx(1.0)
    assert scores["ari"] == pytest.approx(1.0) and scores["f1"] == 1.0


def test_clustering_scores_by_hand():
    y = np.array([0, 0, 0, 1, 1, 1])
    pred = np.array([1, 1, 0, 0, 0, 0])
    scores = metrics.clustering_scores(y, pred)
    assert scores["acc"] == pytest.approx(5 / 6)
    assert list(metrics.match_clusters(y, pred)) == [0, 0, 1, 1, 1, 1]


def test_cluster_embeddings_separates_blobs():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 0.1, (20, 2)),
                        rng.normal(5, 0.1, (20, 2))])
    y = np.array([1] * 20 + [0] * 20)
    assert metrics.cluster_embeddings(z, y)["acc"] == 1.0
    with pytest.raises(ValueError, match="clusters"):
        metrics.cluster_embeddings(z, y, num_clusters=41)


def test_linear_probe_on_separable_embeddings():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    z = np.eye(3)[y] * 3 + rng.normal(0, 0.3, (90, 3))
    assert metrics.linear_probe(z, y)["accuracy"] == 1.0
    mask = np.zeros(90, bool)
    mask[::2] = True
    assert metrics.linear_probe(z, y, mask, ~mask)["accuracy"] == 1.0
