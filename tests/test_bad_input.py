"""Bad input through the API and the command line: each case must raise
ValueError / TypeError (API) or exit with status 2 and one `error:` line
(command line), with a message that names the problem."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from pyg_vgae import (GAE, VGAE, GCNEncoder, GNNEncoder, MLPDiscriminator,
                      TrainConfig, Trainer, VariationalGCNEncoder, cli)
from pyg_vgae.data import load_dataset, split_edges, synthetic_graph
from pyg_vgae.metrics import cluster_embeddings, link_prediction_scores
from pyg_vgae.presets import ModelSpec, preset


def write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


def saved(path, obj):
    torch.save(obj, path)
    return str(path)


ring = torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]])

# (name, files to create {name: content or object}, extra argv, message)
CLI_CASES = [
    ("unknown dataset", {}, ["--dataset", "Karate"], "unknown dataset"),
    ("missing file", {}, ["--dataset", "nothing.csv"], "no such graph file"),
    ("a folder, not a file", {"dir/x.txt": "0 1"}, ["--dataset", "dir"],
     "is a folder"),
    ("empty edge list", {"g.csv": ""}, ["--dataset", "g.csv"],
     "holds no edges"),
    ("comments only", {"g.csv": "# nothing\n\n"}, ["--dataset", "g.csv"],
     "holds no edges"),
    ("truncated line", {"g.csv": "0,1\n1,2\n3\n"}, ["--dataset", "g.csv"],
     "g.csv:3: expected two node ids"),
    ("non-integer ids", {"g.csv": "0,1\na,b\n"}, ["--dataset", "g.csv"],
     "node ids must be integers"),
    ("float ids", {"g.csv": "0,1\n1.5,2\n"}, ["--dataset", "g.csv"],
     "node ids must be integers"),
    ("negative ids", {"g.csv": "0,1\n-1,2\n"}, ["--dataset", "g.csv"],
     "must not be negative"),
    ("unknown file type", {"g.json": "{}"}, ["--dataset", "g.json"],
     "unknown graph file type"),
    ("garbage .pt", {"g.pt": b"\x00not a torch file"},
     ["--dataset", "g.pt"], "not a readable torch file"),
    ("a .pt without a graph", {"g.pt": {"edges": [1, 2]}},
     ["--dataset", "g.pt"], "not a torch_geometric.data.Data"),
    ("a .pt without edges", {"g.pt": Data(x=torch.ones(3, 2))},
     ["--dataset", "g.pt"], "without edge_index"),
    ("edge ids out of range", {"g.pt": Data(edge_index=ring, num_nodes=4)},
     ["--dataset", "g.pt"], "out of range for 4 nodes"),
    ("float edge_index", {"g.pt": Data(edge_index=ring.float(),
                                       num_nodes=6)},
     ["--dataset", "g.pt"], "integer node ids"),
    ("edge_index transposed", {"g.pt": Data(edge_index=ring.t().contiguous(),
                                            num_nodes=6)},
     ["--dataset", "g.pt"], "shape [2, num_edges]"),
    ("NaN features in .pt", {"g.pt": Data(
        x=torch.tensor([[1.0], [float("nan")]] * 3), edge_index=ring)},
     ["--dataset", "g.pt"], "NaN or infinite"),
    ("feature rows do not match", {"g.pt": Data(
        x=torch.ones(5, 2), edge_index=ring, num_nodes=6)},
     ["--dataset", "g.pt"], "one row per node"),
    ("feature file rows", {"g.csv": "0,1\n1,2\n", "f.csv": "1,2\n3,4\n"},
     ["--dataset", "g.csv", "--features", "f.csv"], "2 rows but the graph "
     "has 3 nodes"),
    ("feature file NaN", {"g.csv": "0,1\n1,2\n",
                          "f.csv": "1,2\nnan,4\n5,6\n"},
     ["--dataset", "g.csv", "--features", "f.csv"], "NaN or infinite"),
    ("feature file type", {"g.csv": "0,1\n1,2\n", "f.xlsx": "x"},
     ["--dataset", "g.csv", "--features", "f.xlsx"], "must be a .npy"),
    ("too small to split", {"g.csv": "0,1\n1,2\n2,3\n"},
     ["--dataset", "g.csv"], "too few"),
    ("only self-loops", {"g.csv": "0,0\n1,1\n"}, ["--dataset", "g.csv"],
     "has no edges"),
    ("split ratios", {}, ["--val-ratio", "0.6", "--test-ratio", "0.5"],
     "must be below 1"),
    ("missing CUDA", {}, ["--device", "cuda:7"], "cuda:7"),
    ("unknown device", {}, ["--device", "tpu9"], "unknown device"),
    ("select with patience", {}, ["--select", "last", "--patience", "3"],
     "patience"),
    ("resume from garbage", {"c.pt": b"junk"}, ["--resume", "c.pt"],
     "not a readable checkpoint"),
]


@pytest.mark.parametrize("name, files, argv, message", CLI_CASES,
                         ids=[case[0] for case in CLI_CASES])
def test_train_refuses_bad_input(name, files, argv, message, tmp_path,
                                 monkeypatch, capsys):
    for filename, content in files.items():
        path = tmp_path / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, (str, bytes)):
            write(path, content)
        else:
            saved(path, content)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["train", "--epochs", "2", "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip().splitlines()[-1].startswith("error: ")
    assert message in err, err
    assert "Traceback" not in err


def test_cluster_refuses_more_clusters_than_nodes(tmp_path, capsys):
    graph = Data(x=torch.eye(6), edge_index=ring, y=torch.arange(6) % 2)
    code = cli.main(["cluster", "--dataset", saved(tmp_path / "g.pt", graph),
                     "--clusters", "7", "--epochs", "2", "--quiet"])
    assert code == 2 and "cannot make 7 clusters of 6 nodes" in \
        capsys.readouterr().err


def test_cluster_needs_labels(tmp_path, capsys):
    code = cli.main(["cluster", "--dataset",
                     write(tmp_path / "g.csv", "0,1\n1,2\n2,0\n"),
                     "--epochs", "2", "--quiet"])
    assert code == 2 and "no node labels" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "gan"], "invalid choice: 'gan'"),
    (["train", "--preset", "fastest"], "invalid choice: 'fastest'"),
    (["train", "--encoder", "mlp"], "invalid choice: 'mlp'"),
    (["train", "--epochs", "0"], "--epochs: must lie in [1, "),
    (["train", "--epochs", "ten"], "expected an integer, got 'ten'"),
    (["train", "--epochs", str(2 ** 64)], "--epochs: must lie in [1, "),
    (["train", "--lr", "-0.1"], "--lr: must lie in (0.0, "),
    (["train", "--lr", "nan"], "--lr: must be finite"),
    (["train", "--kl-weight", "nan"], "--kl-weight: must be finite"),
    (["train", "--kl-weight", "-1"], "--kl-weight: must lie in [0.0, "),
    (["train", "--neg-ratio", "inf"], "--neg-ratio: must be finite"),
    (["train", "--dropout", "1.0"], "--dropout: must lie in [0.0, 1.0)"),
    (["train", "--mask-ratio", "1e309"], "--mask-ratio: must be finite"),
    (["train", "--seed", "-1"], "--seed: must lie in [0, "),
    (["train", "--hidden", "1e9"], "expected an integer"),
    (["cluster", "--clusters", "0"], "--clusters: must lie in [1, "),
    (["embed", "--out", "z.npy"], "--checkpoint"),
    (["train", "--select", "hits@0"], "or hits@K with K a positive integer"),
])
def test_argument_errors_exit_2(argv, message):
    done = subprocess.run([sys.executable, "-m", "pyg_vgae.cli", *argv],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_debug_flag_shows_the_traceback(capsys):
    assert cli.main(["train", "--dataset", "Karate", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "error: unknown dataset" in err


def test_embed_refuses_a_bad_output_name(tmp_path, capsys):
    checkpoint = tmp_path / "m.pt"
    assert cli.main(["train", "--epochs", "2", "--quiet", "--save",
                     str(checkpoint)]) == 0
    code = cli.main(["embed", "--checkpoint", str(checkpoint), "--out",
                     str(tmp_path / "z.txt"), "--quiet"])
    assert code == 2 and "cannot write '.txt' files; use .npy or .pt" in \
        capsys.readouterr().err


def test_embed_refuses_a_graph_of_another_width(tmp_path, capsys):
    checkpoint = tmp_path / "m.pt"
    assert cli.main(["train", "--epochs", "2", "--quiet", "--save",
                     str(checkpoint)]) == 0  # sbm: 32 features
    graph = Data(x=torch.ones(6, 3), edge_index=ring)
    code = cli.main(["embed", "--checkpoint", str(checkpoint), "--dataset",
                     saved(tmp_path / "g.pt", graph), "--out",
                     str(tmp_path / "z.npy"), "--quiet"])
    assert code == 2 and "expects 32 features" in capsys.readouterr().err


# ---------------------------------------------------------------- the API

@pytest.fixture(scope="module")
def split():
    return split_edges(synthetic_graph(num_nodes=200, num_features=8))


@pytest.mark.parametrize("make, error, message", [
    (lambda: GCNEncoder(0, 32, 16), ValueError, "positive"),
    (lambda: GNNEncoder(8, 32, 16, conv="transformer"), ValueError,
     "unknown conv"),
    (lambda: GNNEncoder(8, 32, 16, dropout=1.0), ValueError, "dropout"),
    (lambda: GAE(GCNEncoder(8, 32, 16), neg_ratio=0), ValueError,
     "neg_ratio"),
    (lambda: TrainConfig(epochs=0), ValueError, "epochs"),
    (lambda: TrainConfig(lr=float("nan")), ValueError, "lr"),
    (lambda: TrainConfig(disc_lr=0), ValueError, "disc_lr"),
    (lambda: TrainConfig(select="median"), ValueError, "select"),
    (lambda: TrainConfig(eval_every=0), ValueError, "eval_every"),
    (lambda: TrainConfig(recon="dense"), ValueError, "recon"),
    (lambda: Trainer(GAE(GCNEncoder(8, 32, 16)),
                     TrainConfig(device="quantum")), ValueError,
     "unknown device"),
    (lambda: Trainer(torch.nn.Linear(2, 2)), TypeError, "pyg_vgae model"),
    (lambda: ModelSpec(model="gan"), ValueError, "unknown model"),
    (lambda: ModelSpec(encoder="mlp"), ValueError, "unknown encoder"),
    (lambda: ModelSpec(latent=0), ValueError, "positive"),
    (lambda: ModelSpec(decoder_layers=0), ValueError, "decoder_layers"),
    (lambda: preset("fastest", "gae"), ValueError, "unknown preset"),
    (lambda: load_dataset("Karate"), ValueError, "unknown dataset"),
    (lambda: split_edges(synthetic_graph(100), val_ratio=0), ValueError,
     "val_ratio"),
    (lambda: MLPDiscriminator(0, 16), ValueError, "positive"),
])
def test_api_refuses_bad_settings(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_trainer_refuses_bad_graphs(split):
    train, val, test = split
    trainer = Trainer(GAE(GCNEncoder(8, 16, 8)),
                      TrainConfig(epochs=2, progress=False))
    nan_x = train.clone()
    nan_x.x = train.x.clone()
    nan_x.x[3, 2] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        trainer.fit(nan_x, val, test)
    no_x = train.clone()
    no_x.x = None
    with pytest.raises(ValueError, match="needs node features"):
        trainer.fit(no_x)
    int_x = train.clone()
    int_x.x = train.x.long()
    with pytest.raises(TypeError, match="floating point"):
        trainer.fit(int_x)
    out_of_range = train.clone()
    out_of_range.edge_index = train.edge_index.clone()
    out_of_range.edge_index[0, 0] = 10_000
    with pytest.raises(ValueError, match="out of range"):
        trainer.fit(out_of_range)
    with pytest.raises(TypeError, match="Data"):
        trainer.fit({"x": train.x})


def test_models_refuse_bad_tensors():
    model = VGAE(VariationalGCNEncoder(4, 8, 2))
    x, edge_index = torch.randn(5, 4), torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="columns"):
        model.encode(torch.randn(5, 3), edge_index)
    with pytest.raises(ValueError, match="out of range"):
        model.encode(x, torch.tensor([[0, 9], [1, 2]]))
    z = model.encode(x, edge_index)
    with pytest.raises(ValueError, match="out of range for 5 nodes"):
        model.recon_loss(z, torch.tensor([[0, 7], [1, 2]]))
    with pytest.raises(ValueError, match="negative node id"):
        model.recon_loss(z, edge_index, torch.tensor([[0, -1], [1, 2]]))
    with pytest.raises(TypeError, match="integer node ids"):
        model.test(z, edge_index.float(), edge_index)
    with pytest.raises(ValueError, match="not finite"):
        model.test(z * float("nan"), edge_index, edge_index)
    with pytest.raises(ValueError, match="num_nodes must be a positive integer"):
        model.generate(0)


def test_metrics_refuse_bad_scores():
    with pytest.raises(ValueError, match="NaN or infinite"):
        link_prediction_scores([0.3, float("nan")], [0.1])
    with pytest.raises(ValueError, match="at least one"):
        link_prediction_scores([], [0.1])
    with pytest.raises(ValueError, match="cannot make 9 clusters"):
        cluster_embeddings(np.random.rand(5, 2), np.arange(5) % 2, 9)
    with pytest.raises(ValueError, match="NaN or infinite"):
        cluster_embeddings(np.full((5, 2), np.nan), np.arange(5) % 2)
    with pytest.raises(ValueError, match="do not match"):
        cluster_embeddings(np.random.rand(5, 2), np.arange(4) % 2)


@pytest.mark.parametrize("model_class, encoder_class",
                         [(GAE, GCNEncoder), (VGAE, VariationalGCNEncoder)])
def test_features_of_another_dtype_than_the_weights_name_the_fix(
        model_class, encoder_class):
    model = model_class(encoder_class(5, 8, 4))
    edge_index = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    x = torch.randn(4, 5, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"x.to\(torch.float32\)"):
        model.encode(x, edge_index)
    model.double()  # the same parameters, converted: now they match
    assert model.encode(x, edge_index).dtype == torch.float64
    model.float()
    with pytest.raises(TypeError, match="float64 but the model's weights"):
        model.encode(x, edge_index)
