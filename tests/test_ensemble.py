"""Deep ensembles (pyg_vgae.ensemble): members train as they would alone
and are scored by their mean logit."""
import copy
import json

import pytest
import torch
from sklearn.metrics import roc_auc_score
from torch_geometric import seed_everything

from pyg_vgae import GAE, VGAE, MLPDecoder, Trainer, TrainConfig, cli, load
from pyg_vgae.checkpoint import save
from pyg_vgae.data import load_dataset, split_edges, synthetic_graph
from pyg_vgae.ensemble import EnsembleDecoder, EnsembleEncoder, clip_groups
from pyg_vgae.presets import ModelSpec, build_model
from pyg_vgae.run import Settings, run_seed
from pyg_vgae.train.step import optimizer_step


def _graph():
    seed_everything(0)
    return synthetic_graph(300, num_blocks=3, num_features=16)


def test_encoder_joins_members_and_decoder_averages_their_logits():
    data = _graph()
    model = build_model(ModelSpec(model="gae", in_channels=16, members=3,
                                  decoder="mlp", latent=8))
    model.eval()
    z = model.encode(data.x, data.edge_index)
    assert z.shape == (300, 24)
    blocks = [encoder(data.x, data.edge_index)
              for encoder in model.encoder.members]
    assert torch.equal(z, torch.cat(blocks, dim=1))
    pairs = data.edge_index[:, :50]
    expected = torch.stack([decoder(block, pairs, sigmoid=False)
                            for decoder, block in zip(model.decoder.members,
                                                      blocks)]).mean(0)
    assert torch.allclose(model.decoder(z, pairs, sigmoid=False), expected)
    assert torch.allclose(model.decoder(z, pairs), torch.sigmoid(expected))
    dense = model.decoder.forward_all(z, sigmoid=False)
    assert torch.allclose(dense[pairs[0], pairs[1]], expected, atol=1e-5)


def test_variational_members_give_mu_and_logstd_as_halves_of_one_tensor():
    data = _graph()
    model = build_model(ModelSpec(model="vgae", in_channels=16, members=2,
                                  latent=8))
    mu, logstd = model.encoder(data.x, data.edge_index)
    assert mu.shape == logstd.shape == (300, 16)
    assert mu._base is logstd._base is not None
    member_mu, member_logstd = model.encoder.members[1](data.x,
                                                        data.edge_index)
    assert torch.equal(mu[:, 8:], member_mu)
    assert torch.equal(logstd[:, 8:], member_logstd)
    model.encode(data.x, data.edge_index)
    # The KL term of the joined output is the sum of the members'.
    assert torch.allclose(model.kl_loss(), model.kl_loss(mu[:, :8],
                                                         logstd[:, :8])
                          + model.kl_loss(member_mu, member_logstd))


def test_each_member_gets_the_gradient_it_would_get_alone():
    data = _graph()
    model = build_model(ModelSpec(model="gae", in_channels=16, members=2,
                                  decoder="mlp", latent=8))
    pos = data.edge_index[:, ::2]
    neg = torch.randint(0, 300, (2, pos.size(1)))
    z = model.encode(data.x, data.edge_index)
    model.recon_loss(z, pos, neg).backward()
    encoder, decoder = model.encoder.members[1], model.decoder.members[1]
    together = [p.grad.clone() for p in (*encoder.parameters(),
                                         *decoder.parameters())]
    # PyG's GAE resets its modules when built: copy the weights after.
    alone = GAE(copy.deepcopy(encoder), copy.deepcopy(decoder))
    alone.encoder.load_state_dict(encoder.state_dict())
    alone.decoder.load_state_dict(decoder.state_dict())
    alone.recon_loss(alone.encode(data.x, data.edge_index), pos,
                     neg).backward()
    for joint, single in zip(together, alone.parameters()):
        assert torch.allclose(joint, single.grad, atol=1e-6)


class _Holder:
    def __init__(self, model, clip):
        self.model, self.config = model, TrainConfig(grad_clip=clip)


def test_gradient_clipping_bounds_each_member_on_its_own():
    model = build_model(ModelSpec(model="gae", in_channels=16, members=2,
                                  decoder="mlp", latent=8))
    params = list(model.parameters())
    groups = clip_groups(model, params)
    assert len(groups) == 2
    assert sum(len(group) for group in groups) == len(params)
    optimizer = torch.optim.SGD(params, lr=0.0)
    # Member 0's gradient is large, member 1's small: only 0 is scaled.
    scale = {id(p): 100.0 for p in (*model.encoder.members[0].parameters(),
                                    *model.decoder.members[0].parameters())}
    loss = sum(scale.get(id(p), 1e-3) * p.sum() for p in params)
    optimizer_step(_Holder(model, 1.0), optimizer, loss)
    norms = [torch.linalg.vector_norm(torch.stack([
        torch.linalg.vector_norm(p.grad) for p in group])) for group in groups]
    assert norms[0] == pytest.approx(1.0, rel=1e-4)
    small = torch.linalg.vector_norm(torch.stack([
        torch.linalg.vector_norm(torch.full_like(p, 1e-3)) for p in groups[1]]))
    assert norms[1] == pytest.approx(float(small), rel=1e-4)
    assert clip_groups(GAE(torch.nn.Linear(2, 2)), params) == [params]


def test_ensembles_refuse_what_they_cannot_be():
    for members in (0, -1, 2.5, "2", True):
        with pytest.raises(ValueError, match="members"):
            ModelSpec(model="gae", members=members)
    for model in ("arga", "argva"):
        with pytest.raises(ValueError, match="members > 1 applies to gae"):
            ModelSpec(model=model, members=2)
    with pytest.raises(TypeError, match="non-empty sequence"):
        EnsembleEncoder([])
    decoder = EnsembleDecoder([MLPDecoder(8), MLPDecoder(8)])
    with pytest.raises(ValueError, match="not a multiple"):
        decoder(torch.randn(5, 15), torch.tensor([[0], [1]]))


def test_checkpoint_round_trip_and_mini_batches_keep_the_members(tmp_path):
    data = _graph()
    spec = ModelSpec(model="vgae", in_channels=16, members=2, latent=8)
    model = build_model(spec)
    save(tmp_path / "m.pt", model, spec)
    again = load(tmp_path / "m.pt")
    assert isinstance(again.encoder, EnsembleEncoder)
    model.eval(), again.eval()
    assert torch.equal(model.encode(data.x, data.edge_index),
                       again.encode(data.x, data.edge_index))
    train, val, _ = split_edges(data, seed=0)
    trainer = Trainer(build_model(spec), TrainConfig(
        epochs=3, batch_size=256, num_neighbors=[5, 5], progress=False))
    result = trainer.fit(train, val)
    assert 0.5 < result.val_auc <= 1


def test_cli_trains_an_ensemble(tmp_path):
    report = tmp_path / "r.json"
    assert cli.main(["train", "--members", "2", "--epochs", "5", "--json",
                     str(report), "--quiet"]) == 0
    assert json.loads(report.read_text())["config"]["members"] == 2


@pytest.mark.slow
def test_ensemble_scores_above_its_members_on_cora(planetoid):
    """On Cora (seed 100, outside the tuning seeds) the mean logit of 3
    members ranks the validation pairs better than each member alone."""
    data = load_dataset("Cora", str(planetoid))
    settings = Settings.from_preset("default", "gae", data.num_features,
                                    members=3, epochs=150, progress=False)
    run, trainer = run_seed(data, settings, 100, score_test=False)
    val = split_edges(data, seed=100)[1]
    model = trainer.model.eval()
    with torch.no_grad():
        z = trainer.encode_graph(val)
        pairs = torch.cat([val.pos_edge_label_index,
                           val.neg_edge_label_index], dim=1)
        labels = torch.cat([torch.ones(val.pos_edge_label_index.size(1)),
                            torch.zeros(val.neg_edge_label_index.size(1))])
        members = [roc_auc_score(labels, decoder(block, pairs))
                   for decoder, block in zip(model.decoder.members,
                                             model.decoder.split(z))]
    assert run["val_auc"] == pytest.approx(
        roc_auc_score(labels, model.decoder(z, pairs)), abs=1e-6)
    assert run["val_auc"] > max(members) + 0.003
    assert run["val_auc"] > 0.9
