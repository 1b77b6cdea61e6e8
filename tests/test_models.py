import pytest
import torch
from torch_geometric.utils import to_undirected

from pyg_vgae import (ARGA, ARGVA, GAE, VGAE, GCNEncoder, MLPDecoder,
                      MLPDiscriminator, VariationalGCNEncoder, losses)


def ring(num_nodes: int) -> torch.Tensor:
    src = torch.arange(num_nodes)
    return to_undirected(torch.stack([src, (src + 1) % num_nodes]))


def test_negatives_avoid_positives_and_excluded_pairs():
    torch.manual_seed(0)
    model = GAE(lambda x: x)
    pos = ring(12)
    exclude = torch.tensor([[0, 3, 5], [6, 9, 11]])
    exclude = to_undirected(exclude)
    neg = model.sample_negatives(pos, 12, exclude_edge_index=exclude,
                                 num_neg_samples=60)
    known = {tuple(p) for p in torch.cat([pos, exclude], 1).t().tolist()}
    assert neg.size(1) > 0
    assert not known & {tuple(p) for p in neg.t().tolist()}


def test_neg_ratio_sets_the_number_of_negatives():
    model = GAE(lambda x: x, neg_ratio=2.0)
    neg = model.sample_negatives(ring(200), 200)
    assert neg.size(1) == pytest.approx(800, abs=40)


@pytest.mark.parametrize("directed", [False, True])
def test_linked_negatives_end_only_at_nodes_with_a_positive(directed):
    torch.manual_seed(0)
    # Nodes 0-19 on a ring; 20-29 have no positive edge.
    model = GAE(lambda x: x, neg_nodes="linked", directed=directed)
    pos = ring(20)
    exclude = torch.tensor([[0, 25], [10, 3]])  # held out, ends outside too
    neg = model.sample_negatives(pos, 30, exclude_edge_index=exclude,
                                 num_neg_samples=4000)
    assert neg.shape == (2, 4000)
    assert neg.max() < 20 and bool((neg[0] != neg[1]).all())
    known = {tuple(p) for p in torch.cat([pos, exclude], 1).t().tolist()}
    pairs = {tuple(p) for p in neg.t().tolist()}
    assert not known & pairs
    if not directed:
        assert not known & {(j, i) for i, j in pairs}
        # every linked node ends about as many negatives as any other
        ends = torch.bincount(neg.flatten(), minlength=20).float()
        assert (ends / ends.mean() - 1).abs().max() < 0.15
    everywhere = GAE(lambda x: x, directed=directed).sample_negatives(
        pos, 30, num_neg_samples=4000)
    assert everywhere.max() >= 20  # the default draws among all nodes


def test_linked_negatives_cost_nothing_when_every_node_is_linked():
    pos = ring(50)
    torch.manual_seed(4)
    linked = GAE(lambda x: x, neg_nodes="linked").sample_negatives(pos, 50)
    torch.manual_seed(4)
    assert torch.equal(linked, GAE(lambda x: x).sample_negatives(pos, 50))


def test_linked_negatives_among_few_nodes_fall_back_and_stay_inside():
    torch.manual_seed(0)
    # Nodes 3, 7, 8, 9 form a path; too dense among them for rejection.
    pos = to_undirected(torch.tensor([[3, 7, 8], [7, 8, 9]]))
    neg = GAE(lambda x: x, neg_nodes="linked").sample_negatives(
        pos, 12, num_neg_samples=3)
    assert neg.size(1) > 0
    assert set(neg.flatten().tolist()) <= {3, 7, 8, 9}
    assert not {tuple(p) for p in pos.t().tolist()} & \
        {tuple(p) for p in neg.t().tolist()}
    with pytest.raises(ValueError, match="among 1 node"):
        GAE(lambda x: x, neg_nodes="linked").sample_negatives(
            torch.tensor([[2], [2]]), 5)


def test_neg_nodes_must_be_known():
    with pytest.raises(ValueError, match="neg_nodes must be one of"):
        GAE(lambda x: x, neg_nodes="connected")


def test_full_recon_loss_equals_dense_loss_on_adj_plus_identity():
    z = torch.tensor([[1.0, 0.0], [0.5, 0.5], [-1.0, 0.2]])
    edge_index = torch.tensor([[0, 1], [1, 0]])
    model = GAE(lambda x: x)
    target = torch.eye(3)
    target[0, 1] = target[1, 0] = 1
    # As the original: weights from the 2 entries of the adjacency without
    # its diagonal, pos_weight = (9 - 2) / 2, norm = 9 / (2 * 7); target
    # with the diagonal.
    pw, norm = losses.dense_recon_weights(3, 2)
    assert (pw, norm) == (pytest.approx(3.5), pytest.approx(9 / 14))
    expected = losses.dense_recon_loss(z @ z.t(), target, pw, norm)
    assert model.full_recon_loss(z, edge_index).item() == pytest.approx(
        expected.item())
    model_mlp = GAE(lambda x: x, MLPDecoder(2, 4))
    dense_expected = losses.dense_recon_loss(
        model_mlp.decoder.forward_all(z, sigmoid=False), target, pw, norm)
    assert model_mlp.full_recon_loss(z, edge_index).item() == \
        pytest.approx(dense_expected.item())


def test_full_recon_loss_by_blocks_matches_dense_values_and_gradients():
    torch.manual_seed(0)
    z = torch.randn(37, 4, requires_grad=True)
    edge_index = torch.cat([ring(37), ring(37)[:, :5]], dim=1)  # duplicates
    target = torch.eye(37)
    target[edge_index[0], edge_index[1]] = 1
    pw, norm = losses.dense_recon_weights(37, int(target.sum()))
    expected = losses.dense_recon_loss(z @ z.t(), target, pw, norm)
    (expected_grad, ) = torch.autograd.grad(expected, z)
    got = losses.inner_product_recon_loss(
        z, torch.nonzero(target).t(), pw, norm, block=8)
    (got_grad, ) = torch.autograd.grad(got, z)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    assert torch.allclose(got_grad, expected_grad, atol=1e-6)


def test_full_recon_loss_refuses_above_budget_only_when_dense():
    # The MLP decoder needs the dense N x N logits: refused.
    model = GAE(lambda x: x, MLPDecoder(2, 4), max_dense_bytes=1000)
    with pytest.raises(MemoryError, match="full reconstruction"):
        model.full_recon_loss(torch.randn(100, 2), ring(100))
    # The inner product goes by blocks of rows: no N x N, no refusal.
    model = GAE(lambda x: x, max_dense_bytes=1000)
    assert torch.isfinite(model.full_recon_loss(torch.randn(100, 2),
                                                ring(100)))


def test_test_ranks_by_logits_not_rounded_probabilities():
    # Both positive scores saturate sigmoid to 1.0 in float32; logits differ.
    model = GAE(lambda x: x)
    z = torch.tensor([[30.0], [1.0], [2.0], [0.9]])
    pos, neg = torch.tensor([[0], [2]]), torch.tensor([[0], [3]])
    auc, ap = model.test(z, pos, neg)
    assert auc == 1.0 and ap == 1.0


def test_vgae_rejects_plain_encoder_with_clear_message():
    model = VGAE(GCNEncoder(4, 8, 2))
    with pytest.raises(TypeError, match="mu, logstd"):
        model.encode(torch.randn(5, 4), ring(5))


def test_kl_loss_before_encode_is_a_clear_error():
    with pytest.raises(ValueError, match="encode"):
        VGAE(VariationalGCNEncoder(4, 8, 2)).kl_loss()


def test_vgae_samples_in_training_and_returns_mu_in_eval():
    torch.manual_seed(0)
    model = VGAE(VariationalGCNEncoder(4, 8, 2))
    x, edge_index = torch.randn(6, 4), ring(6)
    z_train = model.encode(x, edge_index)
    assert not torch.allclose(z_train, model.__mu__)
    model.eval()
    assert torch.equal(model.encode(x, edge_index), model.__mu__)


def test_kl_loss_clamps_logstd_like_pyg():
    model = VGAE(lambda x: (x, x))
    mu, logstd = torch.zeros(2, 1), torch.full((2, 1), 50.0)
    clamped = losses.kl_divergence(mu, torch.full((2, 1), 10.0))
    assert model.kl_loss(mu, logstd).item() == pytest.approx(clamped.item())


@pytest.mark.parametrize("model_class", [VGAE, ARGVA])
def test_generate_returns_undirected_graph_without_dense_matrix(model_class):
    torch.manual_seed(0)
    encoder = VariationalGCNEncoder(4, 8, 3)
    model = (model_class(encoder) if model_class is VGAE else
             model_class(encoder, MLPDiscriminator(3, 8)))
    # A tiny pair budget forces many blocks: memory stays bounded.
    edge_index = model.generate(300, pair_budget=1000,
                                generator=torch.Generator().manual_seed(1))
    assert edge_index.size(0) == 2 and edge_index.size(1) > 0
    assert int(edge_index.max()) < 300
    assert (edge_index[0] != edge_index[1]).all()
    assert torch.equal(to_undirected(edge_index), edge_index)


def test_generate_density_matches_decoder_probabilities():
    # Decoder that gives p = 0.25 to every pair.
    class Constant(torch.nn.Module):
        def forward(self, z, edge_index, sigmoid=True):
            logit = torch.full((edge_index.size(1), ), -1.0986123)
            return torch.sigmoid(logit) if sigmoid else logit

    model = VGAE(VariationalGCNEncoder(4, 8, 2), Constant())
    edges = model.generate(200, generator=torch.Generator().manual_seed(0))
    pairs = 200 * 199 / 2
    assert edges.size(1) / 2 / pairs == pytest.approx(0.25, abs=0.01)


def test_arga_losses_use_logits_of_the_discriminator():
    model = ARGA(lambda x: x, MLPDiscriminator(2, 4))
    z = torch.randn(10, 2, requires_grad=True)
    model.reg_loss(z).backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()
    d_loss = model.discriminator_loss(z)
    d_loss.backward()
    assert torch.isfinite(d_loss)


def test_discriminator_loss_does_not_reach_the_encoder():
    model = ARGA(lambda x: x, MLPDiscriminator(2, 4))
    z = torch.randn(10, 2, requires_grad=True)
    model.discriminator_loss(z).backward()
    assert z.grad is None


def test_mlp_decoder_forward_all_matches_pairwise():
    torch.manual_seed(0)
    decoder = MLPDecoder(3, 8, chunk_size=2)
    z = torch.randn(5, 3)
    dense = decoder.forward_all(z, sigmoid=False)
    row, col = torch.meshgrid(torch.arange(5), torch.arange(5),
                              indexing="ij")
    pairs = torch.stack([row.flatten(), col.flatten()])
    assert torch.allclose(dense.flatten(), decoder(z, pairs, sigmoid=False),
                          atol=1e-6)
    assert torch.allclose(dense, dense.t(), atol=1e-6)  # symmetric
    assert torch.allclose(decoder.forward_all(z), torch.sigmoid(dense))


def test_models_with_mlp_decoder_train():
    torch.manual_seed(0)
    x, edge_index = torch.randn(30, 4), ring(30)
    model = GAE(GCNEncoder(4, 8, 4), MLPDecoder(4, 8))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    first = None
    for _ in range(30):
        optimizer.zero_grad()
        loss = model.recon_loss(model.encode(x, edge_index), edge_index)
        loss.backward()
        optimizer.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first


def test_discriminator_shapes_and_layers():
    disc = MLPDiscriminator(16, [64, 32])
    assert disc(torch.randn(7, 16)).shape == (7, 1)
    assert [lin.out_channels for lin in disc.mlp.lins] == [64, 32, 1]
    with pytest.raises(ValueError, match="num_layers"):
        MLPDiscriminator(16, 8, num_layers=1)


def test_model_spec_sets_the_mlp_decoders_depth_and_width():
    from pyg_vgae.presets import ModelSpec, build_model
    model = build_model(ModelSpec(in_channels=8, latent=4, decoder="mlp",
                                  decoder_hidden=6, decoder_layers=3))
    assert [lin.out_channels for lin in model.decoder.mlp.lins] == [6, 6, 1]
    default = build_model(ModelSpec(in_channels=8, latent=4, decoder="mlp"))
    assert [lin.out_channels for lin in default.decoder.mlp.lins] == [16, 1]


def test_recommend_matches_brute_force_and_skips_known_edges():
    torch.manual_seed(0)
    z = torch.randn(40, 4)
    known = ring(40)
    for decoder in (None, MLPDecoder(4, 8)):
        model = GAE(lambda x: x, decoder)
        nodes = torch.tensor([0, 5, 39, 17])
        logits, neighbours = model.recommend(z, nodes, k=5,
                                             exclude_edge_index=known,
                                             chunk_size=3)
        assert logits.shape == neighbours.shape == (4, 5)
        for row, node in enumerate(nodes.tolist()):
            candidates = [v for v in range(40) if v != node
                          and abs(v - node) % 38 != 1]  # ring neighbours
            pairs = torch.tensor([[node] * len(candidates), candidates])
            scores = model.decoder(z, pairs, sigmoid=False)
            expected = [candidates[i] for i in scores.topk(5).indices]
            assert neighbours[row].tolist() == expected
            assert torch.allclose(logits[row], scores.topk(5).values,
                                  atol=1e-5)


def test_recommend_refuses_bad_arguments():
    model = GAE(lambda x: x)
    z = torch.randn(10, 2)
    with pytest.raises(ValueError, match="k must lie"):
        model.recommend(z, torch.tensor([0]), k=10)
    with pytest.raises(ValueError, match="out of range"):
        model.recommend(z, torch.tensor([12]), k=2)


def test_vgae_training_encode_fuses_sample_and_kl():
    """A GNNEncoder's (mu, logstd) halves go through one fused node: the
    KL term it made is what kl_loss() returns, equal to the divergence of
    the kept mu and clamped logstd, which a mini-batch can still index."""
    torch.manual_seed(0)
    model = VGAE(VariationalGCNEncoder(4, 8, 2))
    x, edge_index = torch.randn(6, 4), ring(6)
    z = model.encode(x, edge_index)
    kl = model.kl_loss()
    assert model._kl is kl
    expected = losses.kl_divergence(model.__mu__, model.__logstd__)
    assert torch.allclose(kl, expected)
    (z.sum() + kl + model.kl_loss(model.__mu__[:3],
                                   model.__logstd__[:3])).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    model.encode(x, edge_index)
    assert model._kl is None  # evaluation: mu, no stale KL


def test_model_spec_improved_weights_self_loops_two_and_needs_gcn():
    from torch_geometric.utils import erdos_renyi_graph
    from pyg_vgae.presets import ModelSpec, build_model
    torch.manual_seed(0)
    x, edge_index = torch.randn(12, 8), erdos_renyi_graph(12, 0.3)
    plain = build_model(ModelSpec(in_channels=8, latent=4, num_layers=1))
    improved = build_model(ModelSpec(in_channels=8, latent=4, num_layers=1,
                                     improved=True))
    improved.load_state_dict(plain.state_dict())
    plain.eval(), improved.eval()
    assert not torch.allclose(plain.encode(x, edge_index),
                              improved.encode(x, edge_index))
    with pytest.raises(ValueError, match="improved"):
        ModelSpec(encoder="sage", improved=True)
