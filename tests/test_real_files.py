"""Files as real tools write them and flags as real shells pass them: each
case is accepted (with one log line naming what was assumed) or refused
before any work with one `error:` line naming the file or flag, and nothing
is written."""
import gzip
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from pyg_vgae import (ARGA, GAE, VGAE, GCNEncoder, MLPDiscriminator,
                      TrainConfig, VariationalGCNEncoder, cli, save)
from pyg_vgae.data import load_graph_file, read_edge_list, read_features
from pyg_vgae.presets import ModelSpec, build_model

RING = "".join(f"{i},{(i + 1) % 12}\n" for i in range(12)) + \
    "".join(f"{i},{(i + 5) % 12}\n" for i in range(12))


def ring_lines(fmt: str, offset: int = 0) -> str:
    return "".join(fmt.format(i + offset, (i + 1) % 12 + offset)
                   for i in range(12)) + "".join(
        fmt.format(i + offset, (i + 5) % 12 + offset) for i in range(12))


# ------------------------------------------------------------- edge lists
@pytest.mark.parametrize("name, content, log", [
    ("header.csv", "source,target\n" + RING, "skipped the header row"),
    ("weights.csv", ring_lines("{},{},0.5\n"), "ignored columns 3-3"),
    ("crlf.csv", RING.replace("\n", "\r\n"), None),
    ("bom.csv", "\ufeff" + RING, None),
    ("mixed.txt", ring_lines("{}\t {};\n").replace(";", ""), None),
    ("quoted.csv", ring_lines('"{}","{}"\n'), None),
])
def test_edge_list_variants_read_the_same_graph(tmp_path, caplog, name,
                                                content, log):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with caplog.at_level("INFO", logger="pyg_vgae"):
        edges, num_nodes = read_edge_list(path)
    assert num_nodes == 12 and edges.size(1) == 24
    assert edges[:, 0].tolist() == [0, 1]
    if log:
        assert log in caplog.text


def test_utf16_and_gzip_edge_lists(tmp_path):
    (tmp_path / "u.csv").write_bytes(RING.encode("utf-16"))
    (tmp_path / "g.csv.gz").write_bytes(gzip.compress(RING.encode()))
    for name in ("u.csv", "g.csv.gz"):
        graph = load_graph_file(tmp_path / name)
        assert graph.num_nodes == 12 and graph.edge_index.size(1) == 48


def test_string_one_based_sparse_and_huge_ids(tmp_path, caplog):
    cases = {
        "names.csv": (ring_lines("n{},n{}\n"), "relabelled 12 named"),
        "one.csv": (ring_lines("{},{}\n", offset=1), "read as 1-based"),
        "sparse.csv": (RING + "3,99999999999\n", "relabelled 13 sparse"),
        "huge.csv": (RING + f"3,{2 ** 70}\n", "relabelled 13 sparse"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_text(content)
        with caplog.at_level("INFO", logger="pyg_vgae"):
            edges, num_nodes = read_edge_list(tmp_path / name)
        assert num_nodes == (13 if "sparse" in message else 12), name
        assert int(edges.max()) == num_nodes - 1
        assert message in caplog.text, name


@pytest.mark.parametrize("name, content, fast", [
    ("comma.csv", "# a comment\n\n" + RING, True),
    ("tab.tsv", ring_lines("{}\t{}\n"), True),
    ("spaces.txt", ring_lines("{}   {}\n"), True),
    ("header.csv", "src,dst\n" + ring_lines("{},{}\n", offset=1), True),
    ("weights.csv", ring_lines("{};{};0.5\n"), True),
    ("sparse.csv", RING + "3,99999999999\n", True),
    ("crlf.csv", RING.replace("\n", "\r\n"), True),
    ("tab_space.txt", ring_lines("{}\t {}\n"), True),
    ("two_seps.txt", ring_lines("{},{}\n") + "3;4\n", False),
    ("negative.csv", RING + "-1,3\n", False),
    ("names.csv", ring_lines("n{},n{}\n"), False),
    ("floats.csv", RING + "1.5,2\n", False),
    ("exponent.csv", RING + "1e3,2\n", False),
])
def test_integer_edge_lists_read_fast_as_the_general_reader_does(
        tmp_path, monkeypatch, name, content, fast):
    from pyg_vgae.data import files
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert (files._plain_integer_pairs(path) is not None) == fast
    if name in ("negative.csv", "floats.csv", "exponent.csv"):
        with pytest.raises(ValueError, match=rf"{name}:25: .*(negative|"
                           rf"integers)"):
            read_edge_list(path)
        return
    read_fast = read_edge_list(path)
    monkeypatch.setattr(files, "_plain_integer_pairs", lambda path: None)
    read_general = read_edge_list(path)
    assert torch.equal(read_fast[0], read_general[0])
    assert read_fast[1] == read_general[1]


def test_mixed_ids_name_the_line(tmp_path):
    (tmp_path / "g.csv").write_text("0,1\n1,two\n")
    with pytest.raises(ValueError, match=r"g.csv:2: .*integers throughout"):
        read_edge_list(tmp_path / "g.csv")


# ---------------------------------------------------------------- features
def test_feature_files_as_users_write_them(tmp_path, caplog):
    (tmp_path / "h.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    np.save(tmp_path / "i.npy", np.arange(6).reshape(3, 2))
    np.save(tmp_path / "one.npy", np.arange(3.0))
    with caplog.at_level("INFO", logger="pyg_vgae"):
        assert read_features(tmp_path / "h.csv", 3).shape == (3, 2)
        assert read_features(tmp_path / "i.npy", 3).dtype == torch.float
        assert read_features(tmp_path / "one.npy", 3).shape == (3, 1)
    assert "header" in caplog.text and "int64" in caplog.text


@pytest.mark.parametrize("name, make, message", [
    ("ragged.csv", lambda p: p.write_text("1,2\n3\n5,6\n"),
     "ragged.csv:2: 1 values where the first row has 2"),
    ("empty.csv", lambda p: p.write_text(""), "holds no rows"),
    ("obj.npy", lambda p: np.save(p, np.array([{"a": 1}] * 3),
                                  allow_pickle=True), "Python objects"),
])
def test_bad_feature_files(tmp_path, name, make, message):
    make(tmp_path / name)
    with pytest.raises(ValueError, match=message):
        read_features(tmp_path / name, 3)


def test_empty_feature_file_warns_nothing(tmp_path):
    (tmp_path / "g.csv").write_text(RING)
    (tmp_path / "f.csv").write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "pyg_vgae", "train", "--dataset",
         str(tmp_path / "g.csv"), "--features", str(tmp_path / "f.csv")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == \
        f"error: features file {tmp_path / 'f.csv'} holds no rows"
    assert "Warning" not in done.stderr


# ------------------------------------------------------- labels and graphs
def test_saved_graphs_with_one_hot_labels_unlabelled_and_sparse_x(tmp_path):
    y = torch.arange(12) % 3
    one_hot = torch.nn.functional.one_hot(y).float()
    x = torch.eye(12).to_sparse()
    edges, _ = read_edge_list(_write(tmp_path / "g.csv", RING))
    torch.save(Data(x=x, edge_index=edges, y=one_hot), tmp_path / "g.pt")
    graph = load_graph_file(tmp_path / "g.pt")
    assert torch.equal(graph.y, y) and graph.x.layout == torch.strided
    partly = y.clone()
    partly[:4] = -1
    torch.save(Data(edge_index=edges, y=partly), tmp_path / "p.pt")
    code = cli.main(["cluster", "--dataset", str(tmp_path / "p.pt"),
                     "--epochs", "3", "--quiet", "--clusters", "3"])
    assert code == 0


def _write(path, text):
    path.write_text(text)
    return path


# ------------------------------------------------------------------ flags
def _cli(tmp_path, capsys, *argv):
    code = cli.main(["train", "--epochs", "2", "--quiet", *argv])
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize("argv, message", [
    (["--json", ""], "--json is empty"),
    (["--json", "."], "--json '.' is a folder"),
    (["--json", "x" * 300 + ".json"], "longer than this file system"),
    (["--plot", "out.gif"], "cannot write '.gif' files"),
])
def test_bad_output_paths_are_refused_before_training(
        tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, err = _cli(tmp_path, capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err
    assert err.strip().count("\n") == 0
    assert sorted(os.listdir(tmp_path)) == []


def test_save_never_overwrites_the_input_graph(tmp_path, capsys):
    edges, _ = read_edge_list(_write(tmp_path / "g.csv", RING))
    graph = tmp_path / "g.pt"
    torch.save(Data(edge_index=edges, num_nodes=12), graph)
    before = graph.read_bytes()
    code, err = _cli(tmp_path, capsys, "--dataset", str(graph), "--save",
                     str(graph))
    assert code == 2 and "is the --dataset input" in err
    assert graph.read_bytes() == before


def test_two_outputs_may_not_name_one_file(tmp_path):
    from pyg_vgae.outputs import OutputError, check_outputs
    with pytest.raises(OutputError, match="name the same file"):
        check_outputs({"--save": str(tmp_path / "a.pt"),
                       "--out": str(tmp_path / "a.pt")}, {})


def test_outputs_in_new_folders_and_pdf_plots(tmp_path, capsys):
    report, picture = tmp_path / "new" / "r.json", tmp_path / "p" / "x.pdf"
    code, _ = _cli(tmp_path, capsys, "--json", str(report), "--plot",
                   str(picture))
    assert code == 0 and json.loads(report.read_text())["runs"]
    assert picture.read_bytes()[:5] == b"%PDF-"


def test_a_loss_that_is_nan_at_once_is_an_error(tmp_path, capsys):
    spec = ModelSpec(model="vgae", in_channels=4)
    config = TrainConfig(epochs=3, kl_weight=1e6, lr=50.0, progress=False)
    from pyg_vgae import Trainer
    from pyg_vgae.data import split_edges, synthetic_graph
    graph = synthetic_graph(num_nodes=200, num_features=4)
    graph.x = graph.x * 1e30
    with pytest.raises(ValueError, match="from the first epoch"):
        Trainer(build_model(spec), config).fit(*split_edges(graph))


def test_resume_refuses_conflicting_flags(tmp_path, capsys):
    checkpoint = tmp_path / "c.pt"
    assert cli.main(["train", "--epochs", "3", "--quiet", "--save",
                     str(checkpoint)]) == 0
    for flag, value in (("--model", "vgae"), ("--hidden", "64"),
                        ("--lr", "0.5")):
        code, err = _cli(tmp_path, capsys, "--resume", str(checkpoint),
                         "--epochs", "5", flag, value)
        assert code == 2 and f"{flag} {value} conflicts" in err, err


def test_embed_of_an_api_checkpoint_needs_a_dataset(tmp_path, capsys):
    model = GAE(GCNEncoder(32, 8, 4))
    save(tmp_path / "m.pt", model, ModelSpec(in_channels=32, hidden=8,
                                             latent=4))
    code = cli.main(["embed", "--checkpoint", str(tmp_path / "m.pt"),
                     "--out", str(tmp_path / "z.npy"), "--quiet"])
    assert code == 2 and "pass --dataset" in capsys.readouterr().err
    assert not (tmp_path / "z.npy").exists()


def test_unexpected_errors_are_reported_as_bugs(monkeypatch, capsys):
    from pyg_vgae import commands

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(commands, "run_seed", broken)
    assert cli.main(["train", "--epochs", "2", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "internal error, a bug in pyg-vgae" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("delay", [0.1, 0.3, 0.5, 0.8, 1.2])
def test_ctrl_c_while_importing_prints_no_traceback(delay):
    # Wherever the interrupt lands in the imports (some swallow it), the
    # run must not start.
    process = subprocess.Popen([sys.executable, "-m", "pyg_vgae", "train"],
                               stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode in (130, -signal.SIGINT), err
    assert "Traceback" not in err


# ------------------------------------------------------------------- API
def test_api_refusals_name_the_problem():
    z = torch.randn(6, 4)
    empty = torch.empty(2, 0, dtype=torch.long)
    pairs = torch.tensor([[0, 1], [1, 2]])
    model = GAE(GCNEncoder(3, 8, 4))
    with pytest.raises(TypeError, match="float64 but the model's weights"):
        model.encode(torch.randn(6, 3, dtype=torch.float64), pairs)
    with pytest.raises(TypeError, match="use VGAE or ARGVA"):
        GAE(VariationalGCNEncoder(3, 8, 4)).encode(torch.randn(6, 3), pairs)
    with pytest.raises(ValueError, match="discriminator takes 8 features"):
        ARGA(GCNEncoder(3, 8, 4), MLPDiscriminator(8))
    with pytest.raises(ValueError, match="pos_edge_index is empty"):
        model.recon_loss(z, empty)
    with pytest.raises(ValueError, match="positive and negative pairs"):
        model.test(z, pairs, empty)
    with pytest.raises(ValueError, match="fewer than k=5 candidates"):
        model.recommend(z, torch.tensor([0]), k=5,
                        exclude_edge_index=torch.tensor([[0, 0], [1, 2]]))
    with pytest.raises(ValueError, match="neg_ratio must be a positive"):
        GAE(GCNEncoder(3, 8, 4), neg_ratio=float("nan"))
    with pytest.raises(ValueError, match="lr must be finite"):
        TrainConfig(lr=float("inf"))
    with pytest.raises(ValueError, match="weight_decay must be finite"):
        TrainConfig(weight_decay=float("nan"))


def test_generate_is_bounded():
    model = VGAE(VariationalGCNEncoder(3, 8, 4))
    with pytest.raises(ValueError, match="GiB of embeddings"):
        model.generate(10 ** 12)
    with pytest.raises(ValueError, match="more than max_bytes"):
        model.generate(3000, max_bytes=1 << 20)
    edges = model.generate(300, pair_budget=100)
    assert edges.size(0) == 2 and int(edges.max()) < 300


def test_truncated_raw_planetoid_file_names_the_folder(cora_copy, capsys):
    raw = cora_copy / "Cora" / "raw" / "ind.cora.graph"
    raw.write_bytes(raw.read_bytes()[:100])
    code = cli.main(["train", "--dataset", "Cora", "--root", str(cora_copy),
                     "--epochs", "2", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot load Cora from" in err
    assert "intact raw files" in err and "Traceback" not in err


def test_a_corrupt_processed_cache_is_rebuilt(cora_copy, caplog, tmp_path,
                                              monkeypatch):
    from pyg_vgae.data import cache_dir, load_dataset
    monkeypatch.setenv("PYG_VGAE_CACHE", str(tmp_path / "own-cache"))
    load_dataset("Cora", str(cora_copy))
    processed = next(cache_dir().rglob("data.pt"))
    processed.write_bytes(b"truncated")
    with caplog.at_level("WARNING", logger="pyg_vgae"):
        graph = load_dataset("Cora", str(cora_copy))
    assert graph.num_nodes == 2708
    assert "unreadable" in caplog.text and "rebuilding" in caplog.text
