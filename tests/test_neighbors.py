"""The mini-batch neighbour sampler: true edges only, every neighbour of a
small row, exactly k distinct ones of a large row, each with probability
k / d, and its state reset between batches."""
from itertools import product

import pytest
import torch

from pyg_vgae.neighbors import NeighborSampler


def _star_and_path():
    # Node 0 receives from 1..9 (degree 9); 10 -> 11 -> 12 a path.
    sources = list(range(1, 10)) + [10, 11]
    targets = [0] * 9 + [11, 12]
    return torch.tensor([sources, targets]), 13


def test_sampled_edges_are_true_edges_in_batch_ids():
    torch.manual_seed(0)
    edge_index = torch.randint(0, 50, (2, 400))
    sampler = NeighborSampler(edge_index, 50, [3, 2])
    seeds = torch.tensor([4, 7, 7, 31])
    node_ids, sub_edges, inverse = sampler(seeds)
    assert torch.equal(node_ids[inverse], seeds)
    assert torch.equal(node_ids[:3], torch.tensor([4, 7, 31]))
    assert node_ids.unique().numel() == node_ids.numel()
    true = set(map(tuple, edge_index.t().tolist()))
    sampled = node_ids[sub_edges].t().tolist()
    assert sampled and all(tuple(edge) in true for edge in sampled)
    assert len(set(map(tuple, sampled))) == len(sampled)  # no repeats


def test_small_rows_keep_all_large_rows_k_distinct():
    edge_index, num_nodes = _star_and_path()
    sampler = NeighborSampler(edge_index, num_nodes, [4])
    node_ids, sub_edges, _ = sampler(torch.tensor([0, 12]))
    edges = node_ids[sub_edges].t().tolist()
    into_star = [source for source, target in edges if target == 0]
    assert len(into_star) == 4 and len(set(into_star)) == 4
    assert [11, 12] in edges  # degree 1 <= 4: its one neighbour
    assert not any(target == 11 for _, target in edges)  # one hop only
    _, all_edges, _ = NeighborSampler(edge_index, num_nodes, [-1])(
        torch.tensor([0]))
    assert all_edges.size(1) == 9


def test_second_hop_expands_the_first_hops_new_nodes():
    edge_index, num_nodes = _star_and_path()
    node_ids, sub_edges, _ = NeighborSampler(
        edge_index, num_nodes, [1, 1])(torch.tensor([12]))
    assert node_ids.tolist() == [12, 11, 10]
    assert sorted(node_ids[sub_edges].t().tolist()) == [[10, 11], [11, 12]]


def test_each_neighbour_is_kept_with_probability_k_over_d():
    edge_index, num_nodes = _star_and_path()
    sampler = NeighborSampler(edge_index, num_nodes, [4])
    torch.manual_seed(1)
    draws = 6000
    kept = torch.zeros(num_nodes)
    for _ in range(draws):
        node_ids, sub_edges, _ = sampler(torch.tensor([0]))
        kept[node_ids[sub_edges[0]]] += 1
    share = kept[1:10] / draws
    # 4 of 9: 0.444; binomial standard error 0.0064 per neighbour.
    assert torch.allclose(share, torch.full((9, ), 4 / 9), atol=0.03)


def test_state_is_reset_between_batches():
    edge_index, num_nodes = _star_and_path()
    sampler = NeighborSampler(edge_index, num_nodes, [2, 2])
    sampler(torch.tensor([0, 12]))
    assert bool((sampler.local == -1).all())
    node_ids, _, inverse = sampler(torch.tensor([11]))
    assert node_ids[0] == 11 and inverse.tolist() == [0]


def test_no_hops_gives_the_seeds_alone():
    edge_index, num_nodes = _star_and_path()
    node_ids, sub_edges, inverse = NeighborSampler(
        edge_index, num_nodes, [])(torch.tensor([3, 0, 3]))
    assert node_ids.tolist() == [0, 3] and inverse.tolist() == [1, 0, 1]
    assert sub_edges.shape == (2, 0)


def test_refuses_a_zero_fanout():
    edge_index, num_nodes = _star_and_path()
    with pytest.raises(ValueError, match="num_neighbors"):
        NeighborSampler(edge_index, num_nodes, [10, 0])


# ------------------------------------------------- trimming per layer
def _subgraph(hops: list[int], seed: int = 0):
    from pyg_vgae.data import synthetic_graph
    torch.manual_seed(seed)
    data = synthetic_graph(400, avg_degree=8)
    sampler = NeighborSampler(data.edge_index, data.num_nodes, hops)
    sub = sampler.sample(torch.randint(0, 400, (12, )))
    return data.x[sub.node_ids], sub


def test_hop_sizes_describe_the_subgraph():
    _, sub = _subgraph([3, 2])
    assert sum(sub.nodes_per_hop) == sub.node_ids.numel()
    assert sum(sub.edges_per_hop) == sub.edge_index.size(1)
    first, second = sub.edges_per_hop
    seeds, hop1, _ = torch.tensor(sub.nodes_per_hop).cumsum(0).tolist()
    # Each hop's edges point at the previous hop's new nodes, from nodes
    # at most one hop further out.
    assert int(sub.edge_index[1, :first].max()) < seeds
    assert int(sub.edge_index[0, :first].max()) < hop1
    assert int(sub.edge_index[1, first:first + second].min()) >= seeds


@pytest.mark.parametrize("layers, hops, options", [
    (2, [3, 2], {}),
    (1, [3, 2], {}),  # fewer layers than hops
    (2, [4, 3, 2], {"norm": "batch_norm", "skip": True}),
    (2, [3], {}),  # more layers than hops: the untrimmed fallback
    (2, [3, 2], {"variational": True}),
    (2, [3, 2], {"conv": "sage"}),
])
def test_trimmed_encoder_gives_the_seeds_their_untrimmed_output(
        layers, hops, options, monkeypatch):
    from pyg_vgae import GNNEncoder, encoders
    calls = []
    real = encoders.layer_adjacencies
    monkeypatch.setattr(encoders, "layer_adjacencies",
                        lambda *args: calls.append(1) or real(*args))
    x, sub = _subgraph(hops)
    torch.manual_seed(1)
    options = {"conv": "gcn", **options}
    encoder = GNNEncoder(32, 16, 8, num_layers=layers, **options).eval()
    seeds = sub.nodes_per_hop[0]
    whole = encoder(x, sub.edge_index)
    trimmed = encoder(x, sub.edge_index,
                      num_sampled_nodes_per_hop=sub.nodes_per_hop)
    for full, part in zip(*(t if isinstance(t, tuple) else (t, )
                            for t in (whole, trimmed))):
        assert part.size(0) == seeds
        assert torch.allclose(part, full[:seeds], atol=1e-5)
    # GCN trims layer by layer where it can; the others run whole.
    assert bool(calls) == (options["conv"] == "gcn" and layers <= len(hops))


def test_trimmed_gcn_has_the_untrimmed_gradients():
    from pyg_vgae import GNNEncoder
    x, sub = _subgraph([3, 2])
    seeds = sub.nodes_per_hop[0]
    encoder = GNNEncoder(32, 16, 8, num_layers=2)
    grads = []
    for trim in (None, sub.nodes_per_hop):
        encoder.zero_grad()
        out = encoder(x, sub.edge_index, num_sampled_nodes_per_hop=trim)
        out[:seeds].square().sum().backward()
        grads.append([p.grad.clone() for p in encoder.parameters()])
    for untrimmed, trimmed in zip(*grads):
        assert torch.allclose(untrimmed, trimmed, atol=1e-5)


def test_layer_adjacencies_are_row_prefixes_of_the_normalised_one():
    from pyg_vgae.sparse import layer_adjacencies, normalized_adjacency
    x, sub = _subgraph([3, 2])
    sizes = torch.tensor(sub.nodes_per_hop).cumsum(0).tolist()
    full = normalized_adjacency(sub.edge_index, None, x.size(0)).matrix
    first, second = layer_adjacencies(sub.edge_index, None, x.size(0),
                                      sizes)
    assert tuple(first.matrix.shape) == (sizes[1], sizes[2])
    assert tuple(second.matrix.shape) == (sizes[0], sizes[1])
    dense = full.to_dense()
    assert torch.allclose(first.matrix.to_dense(), dense[:sizes[1]])
    assert torch.allclose(second.matrix.to_dense(),
                          dense[:sizes[0], :sizes[1]])
    assert torch.allclose(second.matrix_t.to_dense(),
                          second.matrix.to_dense().t())


def test_hop_sizes_that_do_not_fit_the_features_are_refused():
    from pyg_vgae import GNNEncoder
    x, sub = _subgraph([3, 2])
    with pytest.raises(ValueError, match="num_sampled_nodes_per_hop sums"):
        GNNEncoder(32, 16, 8)(x, sub.edge_index,
                              num_sampled_nodes_per_hop=[1, 2, 3])



def test_sampled_edges_are_normalised_without_sorting_when_they_can_be():
    from pyg_vgae.sparse import (_sorted_targets_norm, layer_adjacencies,
                                 normalized_adjacency)
    x, sub = _subgraph([3, 2])
    n = x.size(0)
    for improved, weight in product((False, True), (
            None, torch.rand(sub.edge_index.size(1)) + 0.5)):
        fast = _sorted_targets_norm(sub.edge_index, weight, n, improved,
                                    torch.float32)
        assert fast is not None  # the sampler's edges come in target order
        general = normalized_adjacency(sub.edge_index, weight, n, improved)
        assert torch.allclose(fast.to_dense(), general.matrix.to_dense(),
                              atol=1e-6)
    # Out of target order, or with a self-loop: the general path, same
    # matrix.
    shuffled = sub.edge_index[:, torch.randperm(sub.edge_index.size(1))]
    assert _sorted_targets_norm(shuffled, None, n, False,
                                torch.float32) is None
    looped = torch.cat([sub.edge_index, torch.tensor([[0], [0]])], dim=1)
    assert _sorted_targets_norm(looped, None, n, False, torch.float32) is None
    sizes = [sub.nodes_per_hop[0], n]
    (trimmed, ) = layer_adjacencies(shuffled, None, n, sizes)
    assert torch.allclose(
        trimmed.matrix.to_dense(),
        normalized_adjacency(shuffled, None, n).matrix.to_dense()[
            :sizes[0]], atol=1e-6)
