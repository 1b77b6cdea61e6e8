"""Directed graphs: decoders with p(i -> j) != p(j -> i), negatives that
keep direction, and the three directed tasks of Salha et al. (2019)."""
import random

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.utils import degree

from pyg_vgae import cli
from pyg_vgae.data import load_dataset
from pyg_vgae.decoders import GravityDecoder, SourceTargetDecoder
from pyg_vgae.metrics import directed_link_scores
from pyg_vgae.run import Settings, run_seed
from pyg_vgae.sampling import directed_negatives, known_mask


def citation_like(num_nodes: int = 400, seed: int = 0) -> Data:
    """Each node cites three older nodes, popular ones more often: the
    direction shows in degrees, which the encoder sees."""
    rng = random.Random(seed)
    edges = [(i, int(rng.random() ** 2 * i)) for i in range(1, num_nodes)
             for _ in range(3)]
    edge_index = torch.tensor(edges).t()
    edge_index = edge_index[:, edge_index[0] != edge_index[1]]
    from torch_geometric.utils import coalesce
    data = Data(x=torch.eye(num_nodes),
                edge_index=coalesce(edge_index, num_nodes=num_nodes),
                num_nodes=num_nodes)
    data.name = "citations"
    return data


def test_directed_decoders_are_asymmetric():
    z = torch.randn(5, 6)
    pairs = torch.tensor([[0, 1, 2], [3, 4, 0]])
    for decoder in (SourceTargetDecoder(), GravityDecoder()):
        forward = decoder(z, pairs, sigmoid=False)
        backward = decoder(z, pairs.flip(0), sigmoid=False)
        assert not torch.allclose(forward, backward)
        dense = decoder.forward_all(z, sigmoid=False)
        assert torch.allclose(dense[pairs[0], pairs[1]], forward, atol=1e-5)
    # Gravity: m_j - lambda * log ||z_i - z_j||^2.
    gravity = GravityDecoder(lambda_=0.5)
    expected = z[3, -1] - 0.5 * torch.log(
        (z[0, :-1] - z[3, :-1]).pow(2).sum() + gravity.eps)
    assert gravity(z, pairs[:, :1], sigmoid=False).item() == \
        pytest.approx(expected.item(), rel=1e-5)


def test_directed_negatives_keep_direction():
    edges = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    negatives = directed_negatives((edges, ), 20, 400)
    assert negatives.size(1) == 400
    assert not known_mask(negatives, (edges, ), 20, directed=True).any()
    reversed_edges = {(1, 0), (2, 1), (3, 2), (0, 3)}
    drawn = {tuple(pair) for pair in negatives.t().tolist()}
    assert reversed_edges <= drawn  # reversed edges are negatives too


def test_directed_model_beats_symmetric_on_biased_negatives():
    data = citation_like()
    results = {}
    for decoder in ("inner", "source_target"):
        settings = Settings.from_preset("default", "gae", data.num_features,
                                        decoder=decoder, epochs=150,
                                        progress=False)
        run, _ = run_seed(data, settings, 0, directed=True)
        results[decoder] = run["test_biased_auc"]
    assert results["inner"] == pytest.approx(0.5, abs=1e-9)
    assert results["source_target"] > 0.75, results


def test_directed_tasks_by_hand():
    # Rows: source half, target half. 0 <-> 1 is reciprocal, 2 -> 0 not.
    z = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0],
                      [2.0, 2.0, 0.0, 0.0]])
    decoder_model = type("M", (), {"decoder": SourceTargetDecoder()})()
    graph = torch.tensor([[0, 1, 2], [1, 0, 0]])
    test_pos = torch.tensor([[0, 2], [1, 0]])
    test_neg = torch.tensor([[1, 2], [2, 1]])
    scores = directed_link_scores(decoder_model, z, test_pos, test_neg,
                                  graph)
    # biased: 2 -> 0 (score 2) against its reverse 0 -> 2 (score 0);
    # bidirectional: 1 -> 0 (score 1, an edge) against 0 -> 2 (0, none).
    assert scores["biased_auc"] == 1.0
    assert scores["bidirectional_auc"] == 1.0


def test_cora_with_derived_directions(planetoid):
    # Cora's citations pointed from less to more cited papers.
    cora = load_dataset("Cora", str(planetoid))
    src, dst = cora.edge_index
    keep = src < dst
    src, dst = src[keep], dst[keep]
    deg = degree(cora.edge_index[0], cora.num_nodes)
    flip = deg[src] > deg[dst]
    directed = Data(x=cora.x, num_nodes=cora.num_nodes, edge_index=torch.stack(
        [torch.where(flip, dst, src), torch.where(flip, src, dst)]))
    directed.name = "Cora-directed"
    settings = Settings.from_preset("default", "gae", cora.num_features,
                                    decoder="source_target", epochs=100,
                                    progress=False)
    run, _ = run_seed(directed, settings, 100)
    assert run["test_biased_auc"] > 0.65, run["test_biased_auc"]
    assert run["test_general_auc"] > 0.7, run["test_general_auc"]


def test_directed_flag_through_the_command_line(tmp_path, capsys):
    data = citation_like(200)
    lines = "\n".join(f"{u},{v}" for u, v in data.edge_index.t().tolist())
    (tmp_path / "g.csv").write_text(lines + "\n")
    assert cli.main(["train", "--dataset", str(tmp_path / "g.csv"),
                     "--directed", "--epochs", "20", "--quiet"]) == 0
    assert "test_biased_auc" in capsys.readouterr().out
    assert cli.main(["train", "--dataset", str(tmp_path / "g.csv"),
                     "--directed", "--decoder", "inner", "--epochs", "5",
                     "--quiet"]) == 0  # the symmetric baseline
    line = next(row for row in capsys.readouterr().out.splitlines()
                if row.startswith("test_biased_auc"))
    assert line.split()[1] == "0.5000"
