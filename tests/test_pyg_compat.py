"""PyG's own auto-encoder tests (test/nn/models/test_autoencoder.py),
re-stated against pyg_vgae's classes, plus subclass and state-dict checks."""
import pytest
import torch
import torch_geometric.nn as pyg_nn
from torch_geometric.data import Data
from torch_geometric.transforms import RandomLinkSplit

import pyg_vgae
from pyg_vgae import ARGA, ARGVA, GAE, VGAE


@pytest.mark.parametrize("name", ["GAE", "VGAE", "ARGA", "ARGVA"])
def test_is_a_subclass_of_pyg(name):
    assert issubclass(getattr(pyg_vgae, name), getattr(pyg_nn, name))


def test_gae_behaves_as_pyg_gae():
    model = GAE(encoder=lambda x: x)
    model.reset_parameters()
    x = torch.tensor([[1.0, -1.0], [1.0, 2.0], [2.0, 1.0]])
    z = model.encode(x)
    assert z.tolist() == x.tolist()

    gram = torch.tensor([[2.0, -1.0, 1.0], [-1.0, 5.0, 4.0], [1.0, 4.0, 5.0]])
    assert model.decoder.forward_all(z).tolist() == torch.sigmoid(
        gram).tolist()
    pairs = torch.tensor([[0, 1], [1, 2]])
    assert model.decode(z, pairs).tolist() == torch.sigmoid(
        torch.tensor([-1.0, 4.0])).tolist()

    chain = torch.tensor([list(range(10)), list(range(1, 11))])
    split = RandomLinkSplit(split_labels=True,
                            add_negative_train_samples=False)
    train_data, val_data, _ = split(Data(edge_index=chain, num_nodes=11))
    z = torch.randn(11, 16)
    assert model.recon_loss(z, train_data.pos_edge_label_index).item() > 0
    auc, ap = model.test(z, val_data.pos_edge_label_index,
                         val_data.neg_edge_label_index)
    assert 0 <= auc <= 1 and 0 <= ap <= 1


def test_vgae_behaves_as_pyg_vgae():
    model = VGAE(encoder=lambda x: (x, x))
    x = torch.tensor([[1.0, -1.0], [1.0, 2.0], [2.0, 1.0]])
    model.encode(x)
    assert model.kl_loss().item() > 0
    model.eval()
    assert model.encode(x).tolist() == x.tolist()  # z = mu in evaluation


def test_arga_behaves_as_pyg_arga():
    model = ARGA(encoder=lambda x: x,
                 discriminator=lambda x: torch.tensor([0.5]))
    model.reset_parameters()
    z = model.encode(torch.tensor([[1.0, -1.0], [1.0, 2.0], [2.0, 1.0]]))
    assert model.reg_loss(z).item() > 0
    assert model.discriminator_loss(z).item() > 0


def test_argva_behaves_as_pyg_argva():
    model = ARGVA(encoder=lambda x: (x, x),
                  discriminator=lambda x: torch.tensor([0.5]))
    x = torch.tensor([[1.0, -1.0], [1.0, 2.0], [2.0, 1.0]])
    model.encode(x)
    model.reparametrize(model.__mu__, model.__logstd__)
    assert model.kl_loss().item() > 0


def test_constructors_take_any_modules():
    encoder = torch.nn.Linear(16, 32)
    decoder = torch.nn.Linear(32, 16)
    discriminator = torch.nn.Linear(32, 1)
    GAE(encoder, decoder)
    VGAE(encoder, decoder)
    ARGA(encoder, discriminator, decoder)
    ARGVA(encoder, discriminator, decoder)


def test_recon_loss_exact_where_pyg_saturates():
    model = GAE(lambda x: x)
    z = torch.tensor([[100.0, 0.0], [100.0, 0.0], [-100.0, 0.0]])
    pos, neg = torch.tensor([[0], [1]]), torch.tensor([[0], [2]])
    assert model.recon_loss(z, pos, neg).item() < 1e-3
    assert model.recon_loss(z, neg, pos).item() > 1000
    assert pyg_nn.GAE(lambda x: x).recon_loss(z, neg, pos).item() \
        == pytest.approx(69.08, abs=0.01)


def test_argva_state_dict_loads_into_pyg_and_back():
    ours = ARGVA(pyg_vgae.VariationalGCNEncoder(8, 16, 4),
                 pyg_vgae.MLPDiscriminator(4, 8))
    assert isinstance(ours.VGAE, pyg_nn.VGAE)
    assert ours.VGAE.encoder is ours.encoder
    theirs = pyg_nn.ARGVA(pyg_vgae.VariationalGCNEncoder(8, 16, 4),
                          pyg_vgae.MLPDiscriminator(4, 8))
    ours.load_state_dict(theirs.state_dict())  # strict, both ways
    theirs.load_state_dict(ours.state_dict())
    for key, value in ours.state_dict().items():
        assert torch.equal(value, theirs.state_dict()[key]), key
    # A state dict of pyg_vgae 0.1 (no VGAE. keys) still loads.
    old = {k: v for k, v in ours.state_dict().items()
           if not k.startswith("VGAE.")}
    ours.load_state_dict(old)


def test_pyg_example_training_step_runs_unchanged():
    # The body of PyG's examples/autoencoder.py train(), on a toy graph.
    torch.manual_seed(0)
    x = torch.randn(20, 5)
    edge_index = torch.randint(0, 20, (2, 60))
    model = VGAE(pyg_vgae.VariationalGCNEncoder(5, 8, 4))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    optimizer.zero_grad()
    z = model.encode(x, edge_index)
    loss = model.recon_loss(z, edge_index) + (1 / 20) * model.kl_loss()
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)


# ------------------------------------------------ parity with PyG's classes
def _pair(ours_class, pyg_class, *modules):
    torch.manual_seed(0)
    ours = ours_class(*modules)
    theirs = pyg_class(*modules)
    return ours, theirs


def _fixed_graph():
    torch.manual_seed(1)
    z = torch.randn(30, 8) * 0.5  # moderate logits
    pos = torch.randint(0, 30, (2, 40))
    neg = torch.randint(0, 30, (2, 40))
    return z, pos, neg


def test_recon_loss_decode_and_forward_all_equal_pyg():
    z, pos, neg = _fixed_graph()
    ours, theirs = _pair(GAE, pyg_nn.GAE, torch.nn.Identity())
    assert ours.recon_loss(z, pos, neg).item() == pytest.approx(
        theirs.recon_loss(z, pos, neg).item(), abs=1e-6)
    assert torch.allclose(ours.decode(z, pos), theirs.decode(z, pos),
                          atol=1e-6)
    assert torch.allclose(ours.decoder.forward_all(z),
                          theirs.decoder.forward_all(z), atol=1e-6)
    assert ours.test(z, pos, neg) == pytest.approx(theirs.test(z, pos, neg),
                                                   abs=1e-6)


def test_kl_loss_equals_pyg():
    torch.manual_seed(2)
    mu, logstd = torch.randn(30, 8), torch.randn(30, 8) * 0.3
    ours = VGAE(torch.nn.Identity())
    theirs = pyg_nn.VGAE(torch.nn.Identity())
    assert ours.kl_loss(mu, logstd).item() == pytest.approx(
        theirs.kl_loss(mu, logstd).item(), abs=1e-6)


def test_adversarial_losses_equal_pyg():
    z, _, _ = _fixed_graph()
    torch.manual_seed(3)
    discriminator = pyg_vgae.MLPDiscriminator(8, 16)
    ours = ARGA(torch.nn.Identity(), discriminator)
    theirs = pyg_nn.ARGA(torch.nn.Identity(), discriminator)
    theirs.discriminator = ours.discriminator  # one set of weights
    assert ours.reg_loss(z).item() == pytest.approx(
        theirs.reg_loss(z).item(), abs=1e-6)
    torch.manual_seed(4)
    mine = ours.discriminator_loss(z).item()
    torch.manual_seed(4)  # the same prior samples
    assert mine == pytest.approx(theirs.discriminator_loss(z).item(),
                                 abs=1e-6)


def test_decoders_with_batch_statistics_see_pygs_batches():
    # PyG decodes positives and negatives in separate calls; a decoder
    # whose output depends on its batch must get the same batches.
    class BatchNormDecoder(pyg_vgae.InnerProductDecoder):
        def forward(self, z, edge_index, sigmoid=True):
            value = (z[edge_index[0]] * z[edge_index[1]]).sum(-1)
            value = (value - value.mean()) / (value.std() + 1e-5)
            return value.sigmoid() if sigmoid else value

    z, pos, neg = _fixed_graph()
    ours = GAE(torch.nn.Identity(), BatchNormDecoder())
    theirs = pyg_nn.GAE(torch.nn.Identity(), BatchNormDecoder())
    assert ours.recon_loss(z, pos, neg).item() == pytest.approx(
        theirs.recon_loss(z, pos, neg).item(), abs=1e-5)
    # A subclass that changes forward takes the generic path.
    dense = ours.full_recon_loss(z, pos)
    assert torch.isfinite(dense)


def test_lazy_in_channels_with_sparse_features():
    x = torch.eye(12).to_sparse()
    edges = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    model = GAE(pyg_vgae.GCNEncoder(-1, 8, 4))
    z = model.encode(x, edges)
    assert z.shape == (12, 4) and torch.isfinite(z).all()


def test_edge_ids_are_checked_once_per_tensor(monkeypatch):
    from pyg_vgae import checks
    z, pos, neg = _fixed_graph()
    model = GAE(torch.nn.Identity())
    model.recon_loss(z, pos, neg)
    reads = []
    real_max = torch.Tensor.max
    monkeypatch.setattr(torch.Tensor, "max",
                        lambda self, *a, **k: reads.append(1)
                        or real_max(self, *a, **k))
    model.recon_loss(z, pos, neg)  # the same tensors: no host read-back
    assert reads == []
    assert checks._already_checked(pos, 30)
