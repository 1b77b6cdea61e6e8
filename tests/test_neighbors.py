"""The mini-batch neighbour sampler: true edges only, every neighbour of a
small row, exactly k distinct ones of a large row, each with probability
k / d, and its state reset between batches."""
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
