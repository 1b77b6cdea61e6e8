import json
import subprocess
import sys

import numpy as np
import pytest

from pyg_vgae import cli, load


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyg_vgae.cli", *argv],
                          capture_output=True, text=True, timeout=600)


def test_train_with_no_arguments_uses_the_synthetic_graph(capsys):
    assert cli.main(["train", "--epochs", "20", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "GAE on sbm-1000" in out and "test_auc" in out


def test_train_on_cora_writes_json_plot_and_checkpoint(planetoid, tmp_path):
    report, picture = tmp_path / "t.json", tmp_path / "t.png"
    checkpoint = tmp_path / "m.pt"
    code = cli.main(["train", "--model", "vgae", "--dataset", "Cora",
                     "--root", str(planetoid), "--seeds", "2", "--epochs",
                     "30", "--json", str(report), "--plot", str(picture),
                     "--save", str(checkpoint), "--quiet"])
    assert code == 0
    result = json.loads(report.read_text())
    assert result["model"] == "vgae" and result["dataset"] == "Cora"
    assert [run["seed"] for run in result["runs"]] == [0, 1]
    for run in result["runs"]:
        assert 0.5 < run["test_auc"] <= 1 and 0.5 < run["test_ap"] <= 1
        assert run["epoch_time_ms"] > 0 and 1 <= run["best_epoch"] <= 30
    assert result["config"]["epochs"] == 30
    assert result["config"]["hidden"] == 32
    assert set(result["summary"]) == {"test_auc", "test_ap",
                                      "epoch_time_ms"}
    assert set(result["versions"]) == {"pyg_vgae", "torch",
                                       "torch_geometric"}
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # embed gives the trained model's embeddings, finite, for every node.
    out = tmp_path / "z.npy"
    assert cli.main(["embed", "--checkpoint", str(checkpoint), "--out",
                     str(out), "--quiet"]) == 0
    z = np.load(out)
    assert z.shape == (2708, 16) and np.isfinite(z).all()
    from pyg_vgae.data import load_dataset
    cora = load_dataset("Cora", str(planetoid))
    expected = load(checkpoint).encode(cora.x, cora.edge_index)
    assert np.allclose(z, expected.detach().numpy(), atol=1e-6)


def test_cluster_writes_clustering_scores(planetoid, tmp_path):
    report = tmp_path / "c.json"
    assert cli.main(["cluster", "--model", "gae", "--dataset", "Cora",
                     "--root", str(planetoid), "--epochs", "30", "--json",
                     str(report), "--quiet"]) == 0
    run = json.loads(report.read_text())["runs"][0]
    for metric in ("acc", "nmi", "ari", "f1"):
        assert 0 <= run[metric] <= 1
    assert run["acc"] > 0.3  # far above chance (0.30 is the largest class)


def test_flags_override_the_preset():
    args = cli.build_parser().parse_args(
        ["train", "--model", "vgae", "--preset", "paper", "--lr", "0.02",
         "--hidden", "64"])
    settings = cli.resolve_settings(args, in_channels=10)
    spec, config = settings.spec, settings.config
    assert spec.hidden == 64 and config.lr == 0.02
    assert config.recon == "full" and spec.bias is False  # from the preset


def test_parsing_needs_no_torch_and_its_names_match_the_code():
    code = ("import sys; from pyg_vgae import cli; "
            "cli.parse(['train', '--model', 'vgae', '--encoder', 'sage']); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True)
    assert done.returncode == 0 and done.stdout.strip() == "False"
    from pyg_vgae import names, presets
    assert set(names.MODEL_NAMES) == set(presets.MODELS)
    assert set(names.PRESET_NAMES) == set(presets.PRESETS)
    assert names.ENCODER_NAMES == presets.ENCODERS
    assert names.DECODERS == presets.DECODERS


def test_neg_nodes_flag_reaches_the_model_and_refuses_other_names():
    args = cli.build_parser().parse_args(
        ["train", "--model", "vgae", "--preset", "default", "--neg-nodes",
         "linked"])
    spec = cli.resolve_settings(args, in_channels=10).spec
    assert spec.neg_nodes == "linked"
    from pyg_vgae.presets import build_model
    assert build_model(spec).neg_nodes == "linked"
    done = run("train", "--neg-nodes", "connected")
    assert done.returncode == 2 and "--neg-nodes" in done.stderr


def test_num_neighbors_flag_reaches_the_config_and_refuses_zero():
    args = cli.build_parser().parse_args(
        ["train", "--model", "gae", "--preset", "default", "--batch-size",
         "512", "--num-neighbors", "15", "-1"])
    config = cli.resolve_settings(args, in_channels=10).config
    assert config.batch_size == 512 and config.num_neighbors == (15, -1)
    done = run("train", "--batch-size", "64", "--num-neighbors", "5", "0")
    assert done.returncode == 2 and "got 0" in done.stderr


@pytest.mark.parametrize("argv, message", [
    (["train", "--dataset", "Karate"], "unknown dataset"),
    (["train", "--dataset", "missing.csv"], "no such graph file"),
    (["embed", "--checkpoint", "missing.pt", "--out", "z.npy"],
     "no such checkpoint"),
])
def test_errors_are_one_line_and_exit_2(argv, message, tmp_path):
    done = subprocess.run([sys.executable, "-m", "pyg_vgae.cli", *argv],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
    assert message in done.stderr and "Traceback" not in done.stderr


def test_bad_flag_values_exit_2():
    done = run("train", "--epochs", "0")
    assert done.returncode == 2 and "must lie in [1, " in done.stderr


def test_every_subcommand_has_help():
    for command in ("train", "cluster", "embed"):
        done = run(command, "--help")
        assert done.returncode == 0 and "usage: pyg-vgae" in done.stdout


def test_results_file_is_whole_and_readable(tmp_path):
    from pyg_vgae.checkpoint import atomic_write

    target = tmp_path / "r.json"

    def failing(tmp):
        open(tmp, "w").write("{half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, failing)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    atomic_write(target, lambda tmp: open(tmp, "w").write("{}"))
    assert target.read_text() == "{}" and target.stat().st_mode & 0o044


def test_graphs_without_features_get_the_identity_changes_of_best():
    import torch
    from torch_geometric.data import Data
    graph = Data(x=torch.eye(30), edge_index=torch.tensor([[0, 1], [1, 0]]))
    args = cli.build_parser().parse_args(
        ["train", "--model", "gae", "--preset", "best"])
    config = cli.resolve_settings(args, 30, data=graph).config
    plain = cli.resolve_settings(args, 30).config
    assert (config.lr, config.epochs, config.patience) == (0.003, 3000, 300)
    assert (plain.lr, plain.epochs, plain.patience) == (0.01, 1000, 100)
    spec = cli.resolve_settings(args, 30, data=graph).spec
    assert spec.input_dropout == 0.0
    # Real features, a flag, or another model: no identity changes.
    featured = Data(x=torch.rand(30, 30), edge_index=graph.edge_index)
    assert cli.resolve_settings(args, 30, data=featured).config.lr == 0.01
    flagged = cli.build_parser().parse_args(
        ["train", "--model", "gae", "--preset", "best", "--lr", "0.02"])
    assert cli.resolve_settings(flagged, 30, data=graph).config.lr == 0.02
    vgae = cli.build_parser().parse_args(
        ["train", "--model", "vgae", "--preset", "best"])
    assert cli.resolve_settings(vgae, 30, data=graph).config.lr == 0.01


def test_a_dataset_with_an_official_hits_metric_selects_on_it():
    import torch
    from torch_geometric.data import Data
    graph = Data(x=torch.rand(30, 4), edge_index=torch.tensor([[0], [1]]),
                 eval_metric="hits@20")
    args = cli.build_parser().parse_args(["train", "--model", "gae", "--preset", "default"])
    assert cli.resolve_settings(args, 4, data=graph).config.select == \
        "hits@20"
    chosen = cli.build_parser().parse_args(
        ["train", "--model", "gae", "--preset", "default", "--select", "ap"])
    assert cli.resolve_settings(chosen, 4, data=graph).config.select == "ap"
    graph.eval_metric = None
    assert cli.resolve_settings(args, 4, data=graph).config.select == "auc"


def test_the_command_and_the_benchmarks_take_the_same_graph_defaults():
    import torch
    from torch_geometric.data import Data
    from pyg_vgae.run import Settings
    graph = Data(x=torch.eye(30), edge_index=torch.tensor([[0], [1]]),
                 eval_metric="hits@20")
    args = cli.build_parser().parse_args(
        ["train", "--model", "gae", "--preset", "best", "--quiet"])
    assert cli.resolve_settings(args, 30, data=graph) == \
        Settings.for_graph("best", "gae", graph, progress=False)
    assert Settings.for_graph("best", "gae", graph, select="ap",
                              progress=False).config.select == "ap"
