"""Heterogeneous graphs: HeteroGAE with a to_hetero encoder, one decoder and
one negative sampler per edge type, PyG's RandomLinkSplit with edge_types /
rev_edge_types, trained by the shared step."""
import pytest
import torch
import torch.nn.functional as F
import torch_geometric.transforms as T
from torch_geometric.data import Data
from torch_geometric.nn import SAGEConv, to_hetero

from pyg_vgae import TrainConfig
from pyg_vgae.data.synthetic import synthetic_hetero_graph
from pyg_vgae.hetero import (DistMultDecoder, HeteroGAE, edge_type_key,
                             hetero_link_labels)
from pyg_vgae.sampling import bipartite_negatives
from pyg_vgae.train.hetero import HeteroTrainer

RATES, FOLLOWS = ("user", "rates", "item"), ("user", "follows", "user")
REV_RATES = ("item", "rev_rates", "user")


class GNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = SAGEConv((-1, -1), 32)
        self.conv2 = SAGEConv((-1, -1), 16)

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


def split(seed: int):
    data = synthetic_hetero_graph(seed=seed)
    return data, T.RandomLinkSplit(
        num_val=0.05, num_test=0.1, is_undirected=True,
        add_negative_train_samples=False, edge_types=[RATES, FOLLOWS],
        rev_edge_types=[REV_RATES, None])(data)


def make_model(data, **kwargs):
    return HeteroGAE(to_hetero(GNN(), data.metadata()), [RATES, FOLLOWS],
                     **kwargs)


def test_each_edge_type_beats_chance():
    torch.manual_seed(123)
    data, (train, val, test) = split(seed=123)
    model = make_model(data, decoders={RATES: DistMultDecoder(16)})
    result = HeteroTrainer(model, TrainConfig(
        epochs=100, lr=0.01, progress=False)).fit(train, val, test)
    model.eval()
    z_dict = model.encode(test.x_dict, test.edge_index_dict)
    scores = model.test_per_type(z_dict,
                                 *hetero_link_labels(test, model.edge_types))
    # Measured 0.83 (rates) and 0.81 (follows) here; chance is 0.5.
    assert set(scores) == {RATES, FOLLOWS}
    for auc, ap in scores.values():
        assert auc > 0.72 and ap > 0.65
    assert result.test_auc == pytest.approx(
        sum(auc for auc, _ in scores.values()) / 2)
    assert not torch.equal(model.decoder[edge_type_key(RATES)].relation,
                           torch.ones(16))  # the relation was learnt


def test_split_hides_held_out_edges_from_message_passing():
    _, (train, val, test) = split(seed=5)
    held_out = test[RATES].edge_label_index[:, test[RATES].edge_label > 0]
    for edges in (train[RATES].edge_index,
                  train[REV_RATES].edge_index.flip(0)):
        seen = set(map(tuple, edges.t().tolist()))
        assert not seen & set(map(tuple, held_out.t().tolist()))


def test_negatives_per_edge_type_are_pairs_of_the_right_types():
    data, _ = split(seed=1)
    model = make_model(data, neg_ratio=2.0)
    pos = {RATES: data[RATES].edge_index, FOLLOWS: data[FOLLOWS].edge_index}
    neg = model.sample_negatives(pos, {"user": 600, "item": 400})
    for edge_type, pairs in neg.items():
        assert pairs.size(1) == 2 * pos[edge_type].size(1)
        known = set(map(tuple, pos[edge_type].t().tolist()))
        assert not known & set(map(tuple, pairs.t().tolist()))
    assert int(neg[RATES][0].max()) < 600 and int(neg[RATES][1].max()) < 400
    follows = set(map(tuple, pos[FOLLOWS].t().tolist()))
    assert not follows & set(map(tuple, neg[FOLLOWS].flip(0).t().tolist()))
    assert bool((neg[FOLLOWS][0] != neg[FOLLOWS][1]).all())


def test_bipartite_sampler_on_a_dense_relation_never_returns_an_edge():
    edges = torch.tensor([[0, 0, 1, 2], [0, 1, 1, 0]])  # 4 of 6 pairs
    neg = bipartite_negatives(edges, (3, 2), 50)
    pairs = set(map(tuple, neg.t().tolist()))
    assert pairs <= {(1, 0), (2, 1)}


def test_recon_loss_is_the_mean_over_edge_types_of_the_bce():
    data, _ = split(seed=2)
    model = make_model(data)
    z_dict = model.encode(data.x_dict, data.edge_index_dict)
    pos = {RATES: data[RATES].edge_index[:, :50],
           FOLLOWS: data[FOLLOWS].edge_index[:, :40]}
    neg = {RATES: torch.randint(0, 400, (2, 30)) % torch.tensor([[600],
                                                                  [400]]),
           FOLLOWS: torch.randint(0, 600, (2, 20))}
    expected = []
    for edge_type, (src, dst) in ((RATES, ("user", "item")),
                                  (FOLLOWS, ("user", "user"))):
        score = (lambda pairs: (z_dict[src][pairs[0]]
                                * z_dict[dst][pairs[1]]).sum(-1))
        p, n = score(pos[edge_type]), score(neg[edge_type])
        expected.append(F.binary_cross_entropy_with_logits(
            p, torch.ones_like(p)) + F.binary_cross_entropy_with_logits(
            n, torch.zeros_like(n)))
    loss = model.recon_loss(z_dict, pos, neg)
    assert float(loss.detach()) == pytest.approx(
        float(sum(expected).detach() / 2), rel=1e-5)


def test_bad_input_is_refused_with_the_fix():
    data, (train, val, _) = split(seed=3)
    model = make_model(data)
    z_dict = model.encode(data.x_dict, data.edge_index_dict)
    with pytest.raises(ValueError, match="not one of the model's edge_types"):
        model.decode(z_dict, data[REV_RATES].edge_index, REV_RATES)
    with pytest.raises(ValueError, match="target node id"):
        model.decode(z_dict, torch.tensor([[0], [450]]), RATES)
    with pytest.raises(TypeError, match="a dict of embeddings"):
        HeteroGAE(lambda x, e: x["user"], [RATES]).encode(data.x_dict,
                                                          data.edge_index_dict)
    with pytest.raises(TypeError, match=r"\(src, rel, dst\)"):
        HeteroGAE(GNN(), ["user"])
    with pytest.raises(ValueError, match="not in edge_types"):
        HeteroGAE(GNN(), [RATES], decoders={FOLLOWS: DistMultDecoder(4)})
    with pytest.raises(TypeError, match="trains a HeteroGAE"):
        HeteroTrainer(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="mask_ratio"):
        HeteroTrainer(model, TrainConfig(mask_ratio=0.5))
    with pytest.raises(ValueError, match="select='hits@20'"):
        HeteroTrainer(model, TrainConfig(select="hits@20"))
    with pytest.raises(ValueError, match="degree_weight"):
        HeteroTrainer(model, TrainConfig(degree_weight=0.1))
    trainer = HeteroTrainer(model, TrainConfig(epochs=2, progress=False))
    with pytest.raises(TypeError, match="HeteroData"):
        trainer.fit(Data(x=torch.ones(2, 2),
                         edge_index=torch.tensor([[0], [1]])))
    del train["item"].x
    with pytest.raises(ValueError, match=r"\['item'\] has no features"):
        trainer.fit(train, val)
