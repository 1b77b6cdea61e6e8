"""Property-based tests (hypothesis) of the losses and the metrics."""
import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pyg_vgae import losses
from pyg_vgae.metrics import clustering_scores, link_prediction_scores

finite = st.floats(min_value=-2.0 ** 100, max_value=2.0 ** 100,
                   allow_nan=False, width=32)
logit_vectors = arrays(np.float32, st.integers(1, 40), elements=finite)
FAST = settings(max_examples=60, deadline=None)


def tensor(array) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float32, requires_grad=True)


@FAST
@given(logit_vectors, logit_vectors)
def test_sampled_recon_loss_finite_with_finite_gradients(pos, neg):
    pos, neg = tensor(pos), tensor(neg)
    loss = losses.sampled_recon_loss(pos, neg)
    loss.backward()
    assert torch.isfinite(loss) and loss >= 0
    assert torch.isfinite(pos.grad).all() and torch.isfinite(neg.grad).all()


@FAST
@given(logit_vectors, logit_vectors)
def test_adversarial_losses_finite_with_finite_gradients(real, fake):
    real, fake = tensor(real), tensor(fake)
    for loss in (losses.discriminator_loss(real, fake),
                 losses.generator_loss(fake)):
        assert torch.isfinite(loss) and loss >= 0
    losses.discriminator_loss(real, fake).backward()
    assert torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()


@FAST
@given(st.integers(2, 12), st.data())
def test_dense_recon_loss_finite(num_nodes, data):
    logits = data.draw(arrays(np.float32, (num_nodes, num_nodes),
                              elements=finite))
    target = data.draw(arrays(np.float32, (num_nodes, num_nodes),
                              elements=st.sampled_from([0.0, 1.0])))
    target[0, 0], target[0, 1] = 1.0, 0.0  # at least one edge and non-edge
    loss = losses.dense_recon_loss(tensor(logits), torch.tensor(target))
    assert torch.isfinite(loss) and loss >= 0


@FAST
@given(st.integers(1, 30), st.integers(1, 8), st.data())
def test_kl_is_finite_and_non_negative(rows, width, data):
    shape = (rows, width)
    mu = data.draw(arrays(np.float32, shape, elements=st.floats(
        -1e3, 1e3, width=32)))
    logstd = data.draw(arrays(np.float32, shape, elements=st.floats(
        -20, 10, width=32)))
    kl = losses.kl_divergence(torch.tensor(mu), torch.tensor(logstd))
    assert torch.isfinite(kl) and kl >= -1e-4


# Integer-valued scores (ties included) keep strict order exactly under the
# transforms below, so the metrics must not move at all.
scores = arrays(np.float64, st.integers(1, 30),
                elements=st.integers(-1000, 1000).map(float))
MONOTONE = {"exp": lambda s: np.exp(s / 1000), "cube": lambda s: s ** 3,
            "affine": lambda s: 3.0 * s + 7.0,
            "arctan": lambda s: np.arctan(s / 100)}


@FAST
@given(scores, scores, st.sampled_from(sorted(MONOTONE)))
def test_auc_and_ap_invariant_under_monotone_transforms(pos, neg, kind):
    transform = MONOTONE[kind]
    before = link_prediction_scores(pos, neg, hits_at=(1, 5))
    after = link_prediction_scores(transform(pos), transform(neg),
                                   hits_at=(1, 5))
    assert 0.0 <= before["auc"] <= 1.0 and 0.0 < before["ap"] <= 1.0
    for metric in before:
        assert np.isclose(before[metric], after[metric]), metric


@FAST
@given(scores, scores)
def test_auc_of_negated_scores_is_one_minus_auc(pos, neg):
    auc = link_prediction_scores(pos, neg, hits_at=())["auc"]
    flipped = link_prediction_scores(-pos, -neg, hits_at=())["auc"]
    assert np.isclose(auc + flipped, 1.0)


labels = arrays(np.int64, st.integers(2, 60), elements=st.integers(0, 5))


@FAST
@given(labels, st.data())
def test_clustering_scores_invariant_under_relabelling(y_true, data):
    y_pred = data.draw(arrays(np.int64, y_true.shape,
                              elements=st.integers(0, 5)))
    permutation = np.array(data.draw(st.permutations(range(6))))
    before = clustering_scores(y_true, y_pred)
    after = clustering_scores(y_true, permutation[y_pred])
    for metric in ("acc", "nmi", "ari"):
        assert np.isclose(before[metric], after[metric]), metric
    assert 0.0 <= before["acc"] <= 1.0


@FAST
@given(labels, st.data())
def test_perfect_clustering_up_to_names_scores_one(y_true, data):
    permutation = np.array(data.draw(st.permutations(range(6))))
    scores_ = clustering_scores(y_true, permutation[y_true])
    assert scores_["acc"] == 1.0 and np.isclose(scores_["ari"], 1.0)
