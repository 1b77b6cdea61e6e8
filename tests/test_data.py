import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.transforms import RandomLinkSplit

from pyg_vgae import data as gdata


def test_planetoid_from_a_copied_raw_folder(cora_copy):
    cora = gdata.load_planetoid("cora", root=str(cora_copy))
    assert (cora.num_nodes, cora.num_edges, cora.num_features) == \
        (2708, 10556, 1433)
    assert cora.num_classes == 7 and cora.name == "Cora"
    # Row-normalised features, as in the papers' code.
    sums = cora.x.sum(1)
    assert torch.allclose(sums[sums > 0], torch.ones(int((sums > 0).sum())))
    # Nothing written beside raw/: processed files live in the cache.
    assert sorted(p.name for p in (cora_copy / "Cora").iterdir()) == ["raw"]


def test_processes_loading_at_once_into_a_fresh_cache_all_succeed(
        cora_copy, tmp_path):
    # Runs side by side each process the dataset the first time; the lock
    # on the cache folder keeps one from reading another's half-written
    # file.
    code = ("from pyg_vgae import data; print(data.load_planetoid("
            f"'cora', root={str(cora_copy)!r}).num_nodes)")
    env = {**os.environ, "PYG_VGAE_CACHE": str(tmp_path / "fresh")}
    processes = [subprocess.Popen([sys.executable, "-c", code], env=env,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, results):
        assert process.returncode == 0, err
        assert out.strip() == "2708" and "unreadable" not in err


def test_planetoid_root_from_environment(cora_copy, monkeypatch):
    monkeypatch.setenv("PYG_VGAE_DATA", str(cora_copy))
    assert gdata.load_dataset("Cora").num_nodes == 2708


def test_missing_planetoid_names_the_fix(tmp_path, monkeypatch):
    from torch_geometric.datasets import Planetoid
    monkeypatch.setattr(Planetoid, "download",
                        lambda self: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(FileNotFoundError, match="--root"):
        gdata.load_planetoid("CiteSeer", root=str(tmp_path))


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown dataset"):
        gdata.load_dataset("Karate")


def test_synthetic_graph_is_fixed_and_assortative():
    first, second = gdata.synthetic_graph(), gdata.synthetic_graph()
    assert torch.equal(first.edge_index, second.edge_index)
    assert torch.equal(first.x, second.x)
    same_block = (first.y[first.edge_index[0]] ==
                  first.y[first.edge_index[1]]).float().mean()
    assert same_block > 0.8
    assert first.num_edges / first.num_nodes == pytest.approx(10, rel=0.15)


def test_edge_list_is_cleaned(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("# a comment\n0,1\n1,0\n1,2\n2,2\n1,2  # dup\n3,0\n")
    graph = gdata.load_graph_file(path)
    pairs = sorted(map(tuple, graph.edge_index.t().tolist()))
    assert pairs == [(0, 1), (0, 3), (1, 0), (1, 2), (2, 1), (3, 0)]
    assert graph.num_nodes == 4
    assert torch.equal(graph.x, torch.eye(4))  # featureless: identities


def test_edge_list_with_features(tmp_path):
    (tmp_path / "g.txt").write_text("0 1\n1 2\n")
    np.save(tmp_path / "x.npy", np.arange(6, dtype=np.float32).reshape(3, 2))
    graph = gdata.load_graph_file(tmp_path / "g.txt", tmp_path / "x.npy")
    assert graph.x.tolist() == [[0, 1], [2, 3], [4, 5]]


@pytest.mark.parametrize("text, message", [
    ("0 a\n", "integers"),
    ("0 -1\n", "negative"),
    ("0\n", "two node ids"),
    ("# only a comment\n", "no edges"),
])
def test_bad_edge_lists(tmp_path, text, message):
    path = tmp_path / "g.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        gdata.load_graph_file(path)


def test_bad_features(tmp_path):
    (tmp_path / "g.txt").write_text("0 1\n1 2\n")
    np.save(tmp_path / "short.npy", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="2 rows but the graph has 3"):
        gdata.load_graph_file(tmp_path / "g.txt", tmp_path / "short.npy")
    np.save(tmp_path / "nan.npy", np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        gdata.load_graph_file(tmp_path / "g.txt", tmp_path / "nan.npy")


def test_saved_data_round_trip(tmp_path):
    graph = Data(x=torch.randn(4, 3), edge_index=torch.tensor([[0, 1, 2],
                                                               [1, 2, 3]]))
    torch.save(graph, tmp_path / "g.pt")
    loaded = gdata.load_graph_file(tmp_path / "g.pt")
    assert torch.equal(loaded.x, graph.x)
    assert loaded.edge_index.size(1) == 6  # made undirected


def test_pt_without_a_graph(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "w.pt")
    with pytest.raises(ValueError, match="not a torch_geometric"):
        gdata.load_graph_file(tmp_path / "w.pt")


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no such graph file"):
        gdata.load_graph_file("does/not/exist.csv")


def test_split_is_85_5_10_and_fixed_by_seed():
    graph = gdata.synthetic_graph()
    train, val, test = gdata.split_edges(graph, seed=3)
    undirected = graph.num_edges // 2
    assert val.pos_edge_label_index.size(1) == int(0.05 * undirected)
    assert test.pos_edge_label_index.size(1) == int(0.10 * undirected)
    assert test.neg_edge_label_index.size(1) == \
        test.pos_edge_label_index.size(1)
    _, val_again, test_again = gdata.split_edges(graph, seed=3)
    assert torch.equal(test.neg_edge_label_index,
                       test_again.neg_edge_label_index)
    _, _, test_other = gdata.split_edges(graph, seed=4)
    assert not torch.equal(test.pos_edge_label_index,
                           test_other.pos_edge_label_index)



@pytest.mark.parametrize("directed", [False, True])
def test_large_graph_split_is_pyg_but_for_its_negatives(monkeypatch,
                                                         directed):
    from pyg_vgae.data import split as split_module
    from pyg_vgae.sampling import known_mask
    graph = gdata.synthetic_graph(num_nodes=300)
    if directed:  # one direction of each edge
        keep = graph.edge_index[0] < graph.edge_index[1]
        graph.edge_index = graph.edge_index[:, keep]
    pyg = gdata.split_edges(graph, seed=5, directed=directed)
    monkeypatch.setattr(split_module, "OWN_NEGATIVES_EDGES", 0)
    ours = gdata.split_edges(graph, seed=5, directed=directed)
    for theirs, mine in zip(pyg, ours):
        for key in ("edge_index", "pos_edge_label_index", "pos_edge_label"):
            assert torch.equal(theirs[key], mine[key]), key
        assert set(theirs.keys()) == set(mine.keys())
    if not directed:  # one adjacency to build for both
        assert ours[1].edge_index is ours[0].edge_index
    for part in ours[1:]:
        neg = part.neg_edge_label_index
        assert neg.shape == part.pos_edge_label_index.shape
        assert not known_mask(neg, (graph.edge_index, ), graph.num_nodes,
                              directed=directed).any()
        assert (neg[0] != neg[1]).all()
        assert torch.equal(part.neg_edge_label, torch.zeros(neg.size(1)))
    # The same seed, the same negatives; another seed, others.
    again = gdata.split_edges(graph, seed=5, directed=directed)
    other = gdata.split_edges(graph, seed=6, directed=directed)
    assert torch.equal(again[2].neg_edge_label_index,
                       ours[2].neg_edge_label_index)
    assert not torch.equal(other[2].neg_edge_label_index,
                           ours[2].neg_edge_label_index)


def test_large_graph_split_keeps_pyg_for_edge_attributes(monkeypatch):
    from pyg_vgae.data import split as split_module
    graph = gdata.synthetic_graph(num_nodes=300)
    graph.edge_weight = torch.rand(graph.num_edges)
    expected = gdata.split_edges(graph, seed=2)
    monkeypatch.setattr(split_module, "OWN_NEGATIVES_EDGES", 0)
    got = gdata.split_edges(graph, seed=2)
    assert torch.equal(got[2].neg_edge_label_index,
                       expected[2].neg_edge_label_index)

def test_split_refuses_tiny_graphs():
    tiny = Data(x=torch.randn(3, 2), edge_index=torch.tensor([[0, 1],
                                                              [1, 0]]))
    with pytest.raises(ValueError, match="too few"):
        gdata.split_edges(tiny)


def test_link_labels_accepts_both_layouts():
    graph = gdata.synthetic_graph(num_nodes=200)
    split = RandomLinkSplit(is_undirected=True, split_labels=False)
    _, val, _ = split(graph)
    pos, neg = gdata.link_labels(val)
    assert pos.size(1) + neg.size(1) == val.edge_label_index.size(1)
    assert pos.size(1) == int(val.edge_label.sum())
    with pytest.raises(ValueError, match="no link labels"):
        gdata.link_labels(graph)
