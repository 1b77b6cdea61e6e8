"""Two processes (`pyg-vgae train --nproc 2`: torchrun, gloo, CPU) agree
with one process that replays their shards and negatives, through the same
step code."""
import json
import subprocess
import sys

import pytest
import torch

from pyg_vgae.data import load_dataset, split_edges
from pyg_vgae.train.batches import shard, step_seed
from pyg_vgae.presets import ModelSpec, build_model

EPOCHS = 5


def reference_weights(world_size: int) -> dict:
    """One process, the same initial weights, each step the mean of the
    shards' losses with the negatives each rank would draw."""
    data = load_dataset(None)
    train, _, _ = split_edges(data, seed=0)
    torch.manual_seed(0)
    model = build_model(ModelSpec(model="gae",
                                  in_channels=data.num_features))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    pos = train.pos_edge_label_index
    for epoch in range(1, EPOCHS + 1):
        model.train()
        losses = []
        for rank in range(world_size):
            local = shard(pos, rank, world_size)
            torch.manual_seed(step_seed(0, epoch, rank, world_size))
            negatives = model.sample_negatives(pos, train.num_nodes,
                                               num_neg_samples=local.size(1))
            losses.append((local, negatives))
        z = model.encode(train.x, train.edge_index)
        loss = sum(model.recon_loss(z, local, negatives)
                   for local, negatives in losses) / world_size
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.state_dict()


def test_two_processes_agree_with_one(tmp_path):
    checkpoint, report = tmp_path / "w.pt", tmp_path / "r.json"
    done = subprocess.run(
        [sys.executable, "-m", "pyg_vgae", "train", "--nproc", "2",
         "--epochs", str(EPOCHS), "--select", "last", "--quiet", "--save",
         str(checkpoint), "--json", str(report), "--device", "cpu"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(report.read_text())
    assert len(result["runs"]) == 1 and result["runs"][0]["test_auc"] > 0.5
    got = torch.load(checkpoint, weights_only=False)["state_dict"]
    expected = reference_weights(2)
    for name, value in expected.items():
        assert torch.allclose(got[name], value, atol=1e-5), name


def test_nproc_refuses_adversarial_models(capsys):
    from pyg_vgae import cli
    assert cli.main(["train", "--nproc", "2", "--model", "arga"]) == 2
    assert "covers gae and vgae" in capsys.readouterr().err


def test_shards_are_equal_and_disjoint():
    edges = torch.arange(22).view(2, 11)
    first, second = shard(edges, 0, 2), shard(edges, 1, 2)
    assert first.size(1) == second.size(1) == 5
    assert not set(first[0].tolist()) & set(second[0].tolist())
    with pytest.raises(ValueError, match="cannot be shared"):
        shard(edges[:, :1], 0, 2)
