import math

import pytest
import torch
import torch.nn.functional as F

from pyg_vgae import losses


def test_sampled_recon_loss_matches_hand_computation():
    pos = torch.tensor([0.0, 2.0])
    neg = torch.tensor([-1.0])
    expected = (math.log(2) + math.log(1 + math.exp(-2))) / 2 \
        + math.log(1 + math.exp(-1))
    assert losses.sampled_recon_loss(pos, neg).item() == pytest.approx(
        expected, rel=1e-6)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_sampled_recon_loss_exact_and_finite_at_huge_logits(scale):
    pos = torch.tensor([scale], requires_grad=True)
    neg = torch.tensor([-scale], requires_grad=True)
    loss = losses.sampled_recon_loss(pos, neg)
    loss.backward()
    # Right answers cost nothing, wrong ones cost |logit| each (not 34.54).
    expected = 0.0 if scale > 0 else 2 * abs(scale)
    assert loss.item() == pytest.approx(expected, abs=1e-3)
    assert torch.isfinite(pos.grad).all() and torch.isfinite(neg.grad).all()
    if scale < 0:  # the gradient does not vanish where it matters
        assert pos.grad.item() == pytest.approx(-1.0)
        assert neg.grad.item() == pytest.approx(1.0)


def test_dense_recon_weights_follow_the_original_formula():
    pos_weight, norm = losses.dense_recon_weights(num_nodes=4, num_edges=6)
    assert pos_weight == pytest.approx(10 / 6)
    assert norm == pytest.approx(16 / 20)


def test_dense_recon_loss_matches_weighted_bce_by_hand():
    logits = torch.tensor([[1.0, -2.0], [-2.0, 3.0]])
    target = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    pos_weight, norm = 2 / 2, 4 / (2 * 2)
    terms = [pos_weight * math.log(1 + math.exp(-1)),
             math.log(1 + math.exp(-2)), math.log(1 + math.exp(-2)),
             pos_weight * math.log(1 + math.exp(-3))]
    expected = norm * sum(terms) / 4
    got = losses.dense_recon_loss(logits, target)
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_dense_recon_loss_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="same N x N"):
        losses.dense_recon_loss(torch.zeros(3, 3), torch.zeros(2, 2))


def test_dense_budget_refuses_large_graphs():
    with pytest.raises(MemoryError, match="sampled"):
        losses.check_dense_budget(100_000, max_bytes=1024**3)
    losses.check_dense_budget(1000, max_bytes=1024**3)


def test_kl_matches_closed_form_of_torch_distributions():
    torch.manual_seed(0)
    mu, logstd = torch.randn(5, 3), torch.randn(5, 3) * 0.5
    q = torch.distributions.Normal(mu, logstd.exp())
    p = torch.distributions.Normal(torch.zeros(5, 3), torch.ones(5, 3))
    expected = torch.distributions.kl_divergence(q, p).sum(-1).mean()
    assert losses.kl_divergence(mu, logstd).item() == pytest.approx(
        expected.item(), rel=1e-5)


def test_kl_is_zero_at_the_prior():
    assert losses.kl_divergence(torch.zeros(4, 2),
                                torch.zeros(4, 2)).item() == 0.0


def test_adversarial_losses_by_hand():
    real = torch.tensor([[0.0], [2.0]])
    fake = torch.tensor([[1.0], [-1.0]])
    expected_d = (math.log(2) + math.log(1 + math.exp(-2))) / 2 + \
        (math.log(1 + math.exp(1)) + math.log(1 + math.exp(-1))) / 2
    assert losses.discriminator_loss(real, fake).item() == pytest.approx(
        expected_d, rel=1e-6)
    expected_g = (math.log(1 + math.exp(-1)) + math.log(1 + math.exp(1))) / 2
    assert losses.generator_loss(fake).item() == pytest.approx(expected_g,
                                                               rel=1e-6)


def test_adversarial_gradients_finite_at_huge_logits():
    fake = torch.tensor([[-1e4], [1e4]], requires_grad=True)
    real = torch.tensor([[-1e4]], requires_grad=True)
    (losses.generator_loss(fake) +
     losses.discriminator_loss(real, fake)).backward()
    assert torch.isfinite(fake.grad).all() and torch.isfinite(real.grad).all()
    assert losses.generator_loss(fake.detach()).item() == pytest.approx(5e3)


def test_sampled_recon_agrees_with_bce_with_logits():
    torch.manual_seed(1)
    pos, neg = torch.randn(7), torch.randn(9)
    expected = F.binary_cross_entropy_with_logits(pos, torch.ones(7)) + \
        F.binary_cross_entropy_with_logits(neg, torch.zeros(9))
    assert losses.sampled_recon_loss(pos, neg).item() == pytest.approx(
        expected.item(), rel=1e-6)


def _plain_sample_and_kl(stacked: torch.Tensor):
    mu, logstd = stacked.chunk(2, dim=-1)
    logstd = logstd.clamp(max=10.0)
    z = mu + torch.randn_like(logstd) * torch.exp(logstd)
    return z, losses.kl_divergence(mu, logstd)


def test_fused_sample_and_kl_are_the_plain_ones_bit_for_bit():
    """The fused reparametrisation gives the plain expression's sample,
    KL term and gradient (a clamped entry included), from the same random
    stream."""
    base = torch.randn(7, 6, dtype=torch.float64)
    base[2, 4] = 12.0  # logstd above the clamp: no gradient there
    weights = torch.randn(7, 3, dtype=torch.float64)
    results = []
    for fn in (_plain_sample_and_kl,
               lambda s: losses.sample_with_kl(s, 10.0)):
        stacked = base.clone().requires_grad_()
        torch.manual_seed(3)
        z, kl = fn(stacked)
        ((z * weights).sum() + 0.7 * kl).backward()
        results.append((z.detach(), kl.detach(), stacked.grad))
    for plain, fused in zip(*results):
        assert torch.equal(plain, fused)
    assert results[1][2][2, 4] == 0 and results[1][2][2, 1] != 0


def test_fused_kl_passes_gradient_without_z():
    stacked = torch.randn(4, 4, requires_grad=True)
    _, kl = losses.sample_with_kl(stacked, 10.0)
    kl.backward()
    mu, logstd = stacked.detach().chunk(2, dim=-1)
    expected = torch.cat([mu, logstd.mul(2).exp() - 1], dim=1) / 4
    assert torch.allclose(stacked.grad, expected)


def test_fused_sample_backward_twice_on_a_retained_graph():
    stacked = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    z, kl = losses.sample_with_kl(stacked, 10.0)
    loss = z.sum() + kl
    loss.backward(retain_graph=True)
    first = stacked.grad.clone()
    loss.backward()
    assert torch.equal(stacked.grad, 2 * first)
