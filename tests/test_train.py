import math

import pytest
import torch
from torch_geometric import seed_everything

from pyg_vgae import (ARGA, ARGVA, GAE, VGAE, GCNEncoder, MLPDiscriminator,
                      Trainer, TrainConfig, VariationalGCNEncoder)
from pyg_vgae.data import split_edges, synthetic_graph


@pytest.fixture(scope="module")
def split():
    return split_edges(synthetic_graph(num_nodes=300, num_features=16))


def make(model: str):
    seed_everything(0)
    if model == "gae":
        return GAE(GCNEncoder(16, 32, 8))
    if model == "vgae":
        return VGAE(VariationalGCNEncoder(16, 32, 8))
    if model == "arga":
        return ARGA(GCNEncoder(16, 32, 8), MLPDiscriminator(8, 16))
    return ARGVA(VariationalGCNEncoder(16, 32, 8), MLPDiscriminator(8, 16))


@pytest.mark.parametrize("model", ["gae", "vgae", "arga", "argva"])
def test_every_model_learns_the_synthetic_graph(split, model):
    result = Trainer(make(model), TrainConfig(epochs=60, progress=False)
                     ).fit(*split)
    assert result.test_auc > 0.75 and result.test_ap > 0.7
    assert 1 <= result.best_epoch <= 60
    assert len(result.history["loss"]) == 60
    assert result.epoch_time_ms > 0


def test_early_stopping_restores_the_best_epoch(split):
    model = make("gae")
    trainer = Trainer(model, TrainConfig(epochs=300, lr=0.05, patience=5,
                                         progress=False))
    result = trainer.fit(*split)
    history = result.history
    assert len(history["epoch"]) < 300
    aucs = history["val_auc"]
    assert result.val_auc == max(aucs)
    assert result.best_epoch == history["epoch"][aucs.index(max(aucs))]
    # The weights in the model are those of the best epoch.
    assert trainer.evaluate(split[1])[0] == pytest.approx(result.val_auc)
    assert len(history["epoch"]) - aucs.index(max(aucs)) - 1 == 5


@pytest.mark.parametrize("separate", [False, True])
def test_arga_steps_both_optimisers(split, separate):
    model = make("arga")
    trainer = Trainer(model, TrainConfig(epochs=1, disc_steps=3,
                                         separate_generator=separate,
                                         progress=False))
    disc_before = [p.clone() for p in model.discriminator.parameters()]
    enc_before = [p.clone() for p in model.encoder.parameters()]
    trainer.train_step(split[0], split[0].pos_edge_label_index)
    assert trainer.disc_optimizer.state  # Adam has stepped
    assert all(not torch.equal(a, b) for a, b in
               zip(disc_before, model.discriminator.parameters()))
    assert all(not torch.equal(a, b) for a, b in
               zip(enc_before, model.encoder.parameters()))
    step = next(iter(trainer.disc_optimizer.state.values()))["step"]
    assert int(step) == 3
    if separate:
        assert trainer.gen_optimizer.state


def test_kl_weight_defaults_to_one_over_n(split):
    model = make("vgae")
    trainer = Trainer(model, TrainConfig(epochs=1, progress=False))
    train = split[0]
    seed_everything(0)
    z = model.encode(train.x, train.edge_index)
    seed_everything(1)  # the same negatives for both losses
    recon_only = model.recon_loss(z, train.pos_edge_label_index)
    seed_everything(1)
    from pyg_vgae.train.step import Batch, encoder_loss
    trainer.num_nodes = train.num_nodes
    batch = Batch(train.x, train.edge_index, train.pos_edge_label_index)
    total = encoder_loss(trainer, batch, z, with_reg=False)
    assert total.item() == pytest.approx(
        recon_only.item() + model.kl_loss().item() / train.num_nodes,
        rel=1e-5)


def test_full_reconstruction_trains(split):
    result = Trainer(make("gae"), TrainConfig(epochs=40, recon="full",
                                              progress=False)).fit(*split)
    assert result.test_auc > 0.75


def test_nan_loss_stops_and_keeps_best_weights(split):
    model = make("gae")
    trainer = Trainer(model, TrainConfig(epochs=20, progress=False))
    calls = {"n": 0}
    original = model.recon_loss

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        loss = original(*args, **kwargs)
        return loss * float("nan") if calls["n"] > 5 else loss

    model.recon_loss = poisoned
    result = trainer.fit(*split)
    assert "nan" in result.stopped and 1 <= result.best_epoch <= 5
    assert len(result.history["loss"]) == 5
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert math.isfinite(result.test_auc)


def test_bad_settings_are_refused():
    for bad in ({"epochs": 0}, {"lr": -1.0}, {"recon": "dense"},
                {"patience": 0}, {"kl_weight": -0.1}):
        with pytest.raises(ValueError):
            TrainConfig(**bad)
    with pytest.raises(TypeError, match="pyg_vgae model"):
        Trainer(torch.nn.Linear(2, 2))


def test_same_seed_same_numbers(split):
    first = Trainer(make("vgae"), TrainConfig(epochs=20, progress=False)
                    ).fit(*split)
    second = Trainer(make("vgae"), TrainConfig(epochs=20, progress=False)
                     ).fit(*split)
    assert first.test_auc == second.test_auc
    assert first.history["loss"] == second.history["loss"]


def test_minibatch_training_learns(split):
    config = TrainConfig(epochs=15, batch_size=256, num_neighbors=(10, 10),
                         progress=False)
    for model_name in ("gae", "vgae", "arga"):
        result = Trainer(make(model_name), config).fit(*split)
        assert result.test_auc > 0.75, model_name
        assert len(result.history["loss"]) == 15


def test_minibatch_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="mini-batch"):
        TrainConfig(batch_size=64, recon="full")
    with pytest.raises(ValueError, match="batch_size must be positive"):
        TrainConfig(batch_size=0)


def test_edge_masking_learns_and_refuses_the_full_loss(split):
    result = Trainer(make("gae"), TrainConfig(
        epochs=40, mask_ratio=0.5, progress=False)).fit(*split)
    assert result.test_auc > 0.75
    with pytest.raises(ValueError, match="edge masking"):
        TrainConfig(mask_ratio=0.5, recon="full")
    with pytest.raises(ValueError, match="mask_ratio"):
        TrainConfig(mask_ratio=1.0)


def test_select_last_keeps_the_final_epoch(split):
    trainer = Trainer(make("gae"), TrainConfig(epochs=12, select="last",
                                               progress=False))
    result = trainer.fit(*split)
    assert result.best_epoch == 12
    assert result.val_auc == pytest.approx(result.history["val_auc"][-1])


def test_select_hits_keeps_the_epoch_of_the_best_validation_hits(split):
    trainer = Trainer(make("gae"), TrainConfig(epochs=15, select="hits@5",
                                               progress=False))
    hits = []  # each epoch's validation Hits@5, after its selection
    trainer.callbacks.append(lambda t, epoch, record: hits.append(
        t.ranking_score(split[1], "hits@5")))
    result = trainer.fit(*split)
    assert len(hits) == 15 and 0 < max(hits) <= 1
    assert result.best_epoch == 1 + hits.index(max(hits))
    assert trainer.ranking_score(split[1], "hits@5") == pytest.approx(
        max(hits))  # the selected weights are restored
    with pytest.raises(ValueError, match="hits@K"):
        TrainConfig(select="hits@0")
    with pytest.raises(ValueError, match="hits@K"):
        TrainConfig(select="hits@x")


def test_selecting_on_hits_encodes_the_validation_graph_once(split):
    trainer = Trainer(make("gae"), TrainConfig(epochs=3, select="hits@5",
                                               progress=False))
    encodes = []
    encode_graph = trainer.encode_graph
    trainer.encode_graph = lambda data: encodes.append(data) or \
        encode_graph(data)
    trainer.fit(split[0], split[1])
    assert len(encodes) == 3  # one per validation epoch, none in training
    auc, ap, hits = trainer.validation_scores(split[1], "hits@5")
    assert (auc, ap) == trainer.evaluate(split[1])
    assert hits == trainer.ranking_score(split[1], "hits@5")
    assert trainer.validation_scores(split[1])[2] is None


def test_masking_hides_each_edge_in_both_directions():
    # Labelled (one direction per edge) and unlabelled (both directions)
    # positives: no hidden target may reach the encoder either way round.
    from pyg_vgae.data import split_edges, synthetic_graph
    from pyg_vgae.train.batches import WholeGraph, training_positives
    graph = synthetic_graph(num_nodes=300, num_features=8)
    for train_data in (split_edges(graph)[0], graph):
        pos = training_positives(train_data, mask_ratio=0.5)
        batch = WholeGraph(train_data, pos, mask_ratio=0.5).batch()
        hidden = batch.pos
        visible = {tuple(pair) for pair in batch.edge_index.t().tolist()}
        leaks = sum((u, v) in visible or (v, u) in visible
                    for u, v in hidden.t().tolist())
        assert hidden.size(1) > 0 and leaks == 0


def test_masking_each_direction_as_maskgae_does():
    # Each direction is a coin of its own: an edge reaches the encoder
    # (both ways) unless both directions are masked, and each masked
    # direction is a target, so at ratio p about p^2 of the edges are
    # hidden and 2p of them are targets.
    from pyg_vgae.train.batches import WholeGraph, training_positives
    graph = synthetic_graph(num_nodes=2000, num_features=8, avg_degree=10)
    train_data = split_edges(graph)[0]
    pos = training_positives(train_data, mask_ratio=0.7)
    torch.manual_seed(0)
    batch = WholeGraph(train_data, pos, mask_ratio=0.7,
                       each_direction=True).batch()
    visible = {tuple(pair) for pair in batch.edge_index.t().tolist()}
    assert all((v, u) in visible for u, v in visible)
    edges = {tuple(pair) for pair in pos.t().tolist()}
    seen = sum(pair in visible for pair in edges) / len(edges)
    assert seen == pytest.approx(1 - 0.7 ** 2, abs=0.02)
    targets = batch.pos.t().tolist()
    assert batch.pos.size(1) / pos.size(1) == pytest.approx(1.4, abs=0.03)
    assert all((u, v) in edges or (v, u) in edges for u, v in targets)
    # Both directions masked: the edge is hidden and a target twice.
    hidden = edges - visible
    counts = {}
    for u, v in targets:
        key = (min(u, v), max(u, v))
        counts[key] = counts.get(key, 0) + 1
    assert all(counts.get(pair) == 2 for pair in hidden)
    with pytest.raises(ValueError, match="mask_ratio above 0"):
        TrainConfig(mask_each_direction=True)


def test_dense_fallback_never_returns_a_reversed_positive():
    from pyg_vgae.sampling import sample_negatives
    # A dense graph stored one way round: only (0, 1) is free... reversed.
    edges = torch.tensor([[0, 0, 1, 1, 2, 2],
                          [2, 3, 2, 3, 3, 1]])
    for _ in range(20):
        negatives = sample_negatives((edges, ), 4, 4)
        known = {tuple(p) for p in edges.t().tolist()} | \
            {tuple(p[::-1]) for p in edges.t().tolist()}
        assert not any(tuple(p) in known for p in negatives.t().tolist())


def test_full_batch_minibatch_and_ddp_share_one_step(split, monkeypatch,
                                                     tmp_path):
    # Every mode goes through schedules -> step.encoder_step with a KL
    # weight of 1/N of the whole training graph.
    import torch.distributed as dist
    from pyg_vgae.train import schedules
    from pyg_vgae.train.distributed import DistributedTrainer
    calls = []
    real_step = schedules.encoder_step

    def spy(trainer, batch, with_reg):
        calls.append((type(trainer).__name__, trainer.kl_weight(),
                      batch.x.size(0)))
        return real_step(trainer, batch, with_reg)

    monkeypatch.setattr(schedules, "encoder_step", spy)
    train = split[0]
    pos = train.pos_edge_label_index
    for config in (TrainConfig(progress=False),
                   TrainConfig(batch_size=16, num_neighbors=(2, ),
                               progress=False)):
        Trainer(make("vgae"), config).train_step(train, pos)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg",
                            rank=0, world_size=1)
    try:
        DistributedTrainer(make("vgae"), TrainConfig(
            progress=False)).train_step(train, pos)
    finally:
        dist.destroy_process_group()
    kinds = {kind for kind, _, _ in calls}
    assert kinds == {"Trainer", "DistributedTrainer"}
    assert {weight for _, weight, _ in calls} == {1 / train.num_nodes}
    assert any(size < train.num_nodes for _, _, size in calls)  # batches


def test_minibatch_batches_cover_the_edges_once_with_true_negatives(split):
    from pyg_vgae.sampling import known_mask
    train = split[0]
    pos = train.pos_edge_label_index
    model = make("gae")
    trainer = Trainer(model, TrainConfig(batch_size=128, progress=False))
    batches = trainer.make_batches(train, pos)
    seen, negatives = [], 0
    for batch in batches:
        global_pos = batch.node_ids[batch.pos]
        seen.append(global_pos)
        in_graph = batch.node_ids[batch.neg]
        assert not known_mask(in_graph, (pos, ), train.num_nodes).any()
        assert batch.neg.size(1) == batch.pos.size(1)  # neg_ratio 1
        # The KL nodes are the pairs' end points, every one of them.
        ends = torch.cat([batch.pos, batch.neg], dim=1).unique()
        assert torch.equal(ends, batch.kl_nodes)
        assert torch.equal(batch.x, train.x[batch.node_ids])
        negatives += batch.neg.size(1)
    seen = torch.cat(seen, dim=1)
    assert seen.size(1) == pos.size(1)  # each training edge once an epoch
    assert negatives == pos.size(1)
    keys = lambda e: (e[0] * train.num_nodes + e[1]).sort().values  # noqa
    assert torch.equal(keys(seen), keys(pos))


def test_degree_task_fits_the_log_count_of_each_nodes_targets(split):
    from pyg_vgae import DegreeDecoder
    decoder = DegreeDecoder(4, 8)
    z = torch.randn(5, 4)
    pairs = torch.tensor([[0, 0, 1, 3], [1, 2, 2, 0]])
    expected = torch.tensor([3.0, 2.0, 2.0, 1.0, 0.0]).log1p()
    assert torch.allclose(decoder.loss(z, pairs),
                          ((decoder(z) - expected) ** 2).mean())

    seed_everything(0)
    model = GAE(GCNEncoder(16, 32, 8), degree_decoder=DegreeDecoder(8, 16))
    trainer = Trainer(model, TrainConfig(epochs=40, mask_ratio=0.5,
                                         degree_weight=1.0, progress=False))
    terms = []
    trainer.callbacks.append(
        lambda t, epoch, record: terms.append(record["loss_degree"]))
    result = trainer.fit(*split)
    assert len(terms) == 40 and terms[-1] < 0.5 * terms[0]
    assert result.test_auc > 0.8


def test_degree_task_is_refused_where_it_cannot_run(split):
    with pytest.raises(ValueError, match="degree decoder"):
        Trainer(make("gae"), TrainConfig(degree_weight=0.1))
    with pytest.raises(ValueError, match="degree_weight or batch_size"):
        TrainConfig(degree_weight=0.1, batch_size=64)
    with pytest.raises(ValueError, match="must not be negative"):
        TrainConfig(degree_weight=-1.0)


def test_weight_average_is_what_evaluation_scores_and_fit_returns(split):
    import copy
    from pyg_vgae.presets import ModelSpec, build_model
    seed_everything(0)
    model = build_model(ModelSpec(in_channels=16, hidden=32, latent=8,
                                  norm="batch_norm", dropout=0.5))
    trainer = Trainer(model, TrainConfig(epochs=6, select="last",
                                         average_decay=0.7, progress=False))
    trained = []  # each epoch's weights as trained, outside scoring
    trainer.callbacks.append(lambda t, epoch, record: trained.append(
        copy.deepcopy(t.model.state_dict())))
    result = trainer.fit(*split)
    average = dict(trained[0])
    for weights in trained[1:]:
        average = {key: 0.7 * value + 0.3 * weights[key]
                   if value.is_floating_point() else value
                   for key, value in average.items()}
    for key, value in model.state_dict().items():
        if value.is_floating_point():  # batch norm's running stats too
            assert torch.allclose(value, average[key], atol=1e-6), key
    assert not torch.equal(model.state_dict()["encoder.gnn.convs.0.bias"],
                           trained[-1]["encoder.gnn.convs.0.bias"])
    assert (result.val_auc, result.val_ap) == trainer.evaluate(split[1])
    assert result.history["val_auc"][-1] == result.val_auc
    with pytest.raises(ValueError, match="average_decay must lie"):
        TrainConfig(average_decay=1.0)


def test_path_masking_hides_the_edges_of_random_walks(split):
    from pyg_vgae.train.batches import PathMask
    torch.manual_seed(0)
    # A perfect matching: a walk can only go back and forth over its edge.
    matching = torch.tensor([[0, 2, 4, 6], [1, 3, 5, 7]])
    assert PathMask(matching, 10, 1.0, 3).hidden().all()  # 8, 9 isolated
    # A line 0-1-...-19: one walk hides a contiguous stretch of <= 3 edges.
    line = torch.stack([torch.arange(19), torch.arange(1, 20)])
    for _ in range(20):
        hidden = PathMask(line, 20, 1 / 20, 3).hidden().nonzero().view(-1)
        assert 1 <= hidden.numel() <= 3
        assert torch.equal(hidden, torch.arange(hidden[0], hidden[-1] + 1))
    # Longer walks hide more.
    pos = split[0].edge_index[:, split[0].edge_index[0]
                              < split[0].edge_index[1]]
    shares = [float(PathMask(pos, 300, 0.3, length).hidden().float().mean())
              for length in (1, 4)]
    assert 0 < shares[0] < shares[1] < 1

    seed_everything(0)
    trainer = Trainer(make("gae"), TrainConfig(
        epochs=40, mask_ratio=0.5, mask_walk_length=3, progress=False))
    assert trainer.fit(*split).test_auc > 0.8
    with pytest.raises(ValueError, match="choose one"):
        TrainConfig(mask_ratio=0.5, mask_walk_length=3,
                    mask_each_direction=True)
    with pytest.raises(ValueError, match="mask_walk_length needs edge"):
        TrainConfig(mask_walk_length=3)
    with pytest.raises(ValueError, match="whole number of steps"):
        TrainConfig(mask_ratio=0.5, mask_walk_length=2.5)


def test_minibatch_evaluation_scores_sampled_neighbourhoods(split,
                                                            monkeypatch):
    model = make("gae")
    trainer = Trainer(model, TrainConfig(epochs=10, batch_size=256,
                                         num_neighbors=(-1, -1),
                                         progress=False))
    trainer.fit(*split)
    full = Trainer(model, TrainConfig(progress=False))
    full_auc, full_ap, _ = full.validation_scores(split[1])

    def whole_graph(data):
        raise AssertionError("mini-batch evaluation encoded the whole graph")
    monkeypatch.setattr(trainer, "encode_graph", whole_graph)
    state = torch.get_rng_state()
    auc, ap, hits = trainer.validation_scores(split[1], "hits@10")
    # Training's random stream is untouched, and the same weights score
    # the same (fixed draws).
    assert torch.equal(torch.get_rng_state(), state)
    assert (auc, ap, hits) == trainer.validation_scores(split[1], "hits@10")
    # With every neighbour of two hops, the sampled neighbourhoods differ
    # from the whole graph only in the outer nodes' degrees.
    assert auc == pytest.approx(full_auc, abs=0.02)
    assert ap == pytest.approx(full_ap, abs=0.02)
    assert 0 <= hits <= 1
    # Pairs on a graph other than the training graph get a sampler of
    # their own.
    other = split[2].clone()
    other.edge_index = other.edge_index.clone()
    assert 0.5 < trainer.evaluate(other)[0] <= 1
