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


def test_argva_state_dict_has_each_weight_once_and_loads_pyg_dicts():
    enc = pyg_vgae.VariationalGCNEncoder(8, 16, 4)
    ours = ARGVA(enc, pyg_vgae.MLPDiscriminator(4, 8))
    assert not any(k.startswith("VGAE.") for k in ours.state_dict())

    theirs = pyg_nn.ARGVA(pyg_vgae.VariationalGCNEncoder(8, 16, 4),
                          pyg_vgae.MLPDiscriminator(4, 8))
    state = theirs.state_dict()
    assert any(k.startswith("VGAE.") for k in state)
    ours.load_state_dict(state)  # strict: every other key must match
    for key, value in ours.state_dict().items():
        assert torch.equal(value, state[key])


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
