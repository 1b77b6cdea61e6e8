"""Weighted edges: weights read from files, used by the encoder, and
reconstructed by the decoder under a likelihood that fits them."""
import pytest
import torch
from torch_geometric.data import Data

from pyg_vgae import GAE, GCNEncoder, cli
from pyg_vgae.data import load_graph_file, split_edges, synthetic_graph
from pyg_vgae.losses import predicted_weight, weighted_recon_loss
from pyg_vgae.run import Settings, run_seed


def hidden_groups(num_nodes: int = 400) -> Data:
    """Edges of a block model; two groups, independent of the blocks, show
    only in the weights: 1 within a group, 0.2 across."""
    base = synthetic_graph(num_nodes=num_nodes, num_blocks=4, seed=3)
    generator = torch.Generator().manual_seed(1)
    group = torch.randperm(num_nodes, generator=generator) < num_nodes // 2
    src, dst = base.edge_index
    weight = torch.where(group[src] == group[dst], 1.0, 0.2)
    data = Data(x=torch.eye(num_nodes), edge_index=base.edge_index,
                edge_weight=weight, num_nodes=num_nodes)
    data.name = "hidden-groups"
    return data


def test_weighted_model_reconstructs_weights_twice_as_well():
    data = hidden_groups()
    errors = {}
    for likelihood in (None, "bce"):
        settings = Settings.from_preset(
            "default", "gae", data.num_features, hidden=64, latent=32,
            epochs=300, select="last", weight_likelihood=likelihood,
            progress=False)
        _, trainer = run_seed(data, settings, 100)
        test = split_edges(data, seed=100)[2]
        with torch.no_grad():
            z = trainer.encode_graph(test)
            logits = trainer.model.decoder(z, test.pos_edge_label_index,
                                           sigmoid=False)
        predicted = predicted_weight(logits, likelihood or "bce")
        errors[likelihood] = float(
            (predicted - test.pos_edge_label_weight).pow(2).mean())
    assert errors["bce"] * 2 <= errors[None], errors


@pytest.mark.parametrize("likelihood, weights", [
    ("bce", [1.0, 0.5]), ("poisson", [3.0, 0.0]), ("gaussian", [-1.5, 2.0])])
def test_weighted_loss_is_smallest_at_the_true_weights(likelihood, weights):
    target = torch.tensor(weights)
    best = {"bce": torch.logit(target.clamp(1e-4, 1 - 1e-4)),
            "poisson": torch.log(target + 1e-4),
            "gaussian": target}[likelihood]
    loss = weighted_recon_loss(best, target, torch.tensor([-30.0]),
                               likelihood)
    worse = weighted_recon_loss(best + 1.0, target, torch.tensor([-30.0]),
                                likelihood)
    assert loss < worse
    assert torch.allclose(predicted_weight(best, likelihood), target,
                          atol=1e-3)


def test_weights_from_an_edge_list_and_the_command_line(tmp_path, capsys):
    path = tmp_path / "w.csv"
    data = hidden_groups(200)
    rows = [f"{u},{v},{w:.1f}" for (u, v), w in zip(
        data.edge_index.t().tolist(), data.edge_weight.tolist()) if u < v]
    path.write_text("source,target,weight\n" + "\n".join(rows) + "\n")
    graph = load_graph_file(path, weighted=True)
    assert graph.edge_weight.shape == (graph.edge_index.size(1), )
    assert torch.allclose(graph.edge_weight.unique(),
                          torch.tensor([0.2, 1.0]))
    assert cli.main(["train", "--dataset", str(path), "--weighted", "bce",
                     "--epochs", "20", "--select", "last", "--quiet"]) == 0
    assert "test_weight_mse" in capsys.readouterr().out
    (tmp_path / "n.csv").write_text("0,1\n1,2\n")
    assert cli.main(["train", "--dataset", str(tmp_path / "n.csv"),
                     "--weighted", "bce", "--quiet"]) == 2
    assert "numeric third column" in capsys.readouterr().err


def test_weighted_recon_loss_refuses_mismatched_weights():
    model = GAE(GCNEncoder(4, 8, 4))
    with pytest.raises(ValueError, match="one weight per edge"):
        model.weighted_recon_loss(torch.randn(5, 4),
                                  torch.tensor([[0, 1], [1, 2]]),
                                  torch.ones(3))
