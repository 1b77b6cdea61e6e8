"""The package on every device this machine has (``device`` fixture: the
CPU, and CUDA where present): training, sampling, sparse products,
mini-batches, checkpoints and the command line keep their tensors on the
chosen device and give the same answers as on the CPU."""
import json

import pytest
import torch
from torch_geometric import seed_everything

from pyg_vgae import TrainConfig, Trainer, cli, load
from pyg_vgae.data import split_edges, synthetic_graph
from pyg_vgae.neighbors import NeighborSampler
from pyg_vgae.presets import ModelSpec, build_model
from pyg_vgae.sampling import sample_negatives
from pyg_vgae.sparse import spmm


@pytest.fixture(scope="module")
def split():
    return split_edges(synthetic_graph(num_nodes=300, num_features=16))


def fit(model_name: str, split, device: str, **config):
    seed_everything(0)
    model = build_model(ModelSpec(model=model_name, in_channels=16))
    trainer = Trainer(model, TrainConfig(epochs=60, progress=False,
                                         device=device, **config))
    return trainer, trainer.fit(*split)


@pytest.mark.parametrize("model_name", ["gae", "vgae", "arga", "argva"])
def test_every_model_trains_on_the_device(split, device, model_name):
    trainer, result = fit(model_name, split, device)
    assert all(p.device.type == device for p in trainer.model.parameters())
    assert result.test_auc > 0.75 and result.test_ap > 0.7
    assert all(torch.isfinite(torch.tensor(result.history["loss"])))
    assert trainer.embed(split[0]).device.type == device


def test_the_device_learns_as_well_as_the_cpu(split, device):
    # Not bit for bit (other kernels sum in other orders), but the same
    # model on the same split lands on the same quality.
    _, here = fit("gae", split, device)
    _, cpu = fit("gae", split, "cpu")
    assert here.test_auc == pytest.approx(cpu.test_auc, abs=0.03)


def test_minibatches_train_on_the_device(split, device):
    trainer, result = fit("vgae", split, device, batch_size=256,
                          num_neighbors=[5, 5])
    assert result.test_auc > 0.75
    assert all(p.device.type == device for p in trainer.model.parameters())


def test_negatives_on_the_device_are_never_edges(device):
    edge_index = synthetic_graph(num_nodes=200).edge_index.to(device)
    negatives = sample_negatives((edge_index, ), 200, 5_000)
    assert negatives.device.type == device and negatives.shape == (2, 5000)
    keys = set((edge_index[0] * 200 + edge_index[1]).tolist())
    pairs = (negatives[0] * 200 + negatives[1]).tolist()
    reverse = (negatives[1] * 200 + negatives[0]).tolist()
    assert not keys & set(pairs) and not keys & set(reverse)
    assert bool((negatives[0] != negatives[1]).all())


def test_sparse_product_on_the_device_matches_dense(device):
    generator = torch.Generator().manual_seed(0)
    dense = (torch.rand(50, 40, generator=generator) < 0.1) * \
        torch.rand(50, 40, generator=generator)
    features = torch.randn(40, 8, generator=generator)
    product = spmm(dense.to_sparse_csr().to(device), features.to(device))
    assert product.device.type == device
    torch.testing.assert_close(product.cpu(), dense @ features)


def test_neighbour_sampling_on_the_device_keeps_true_edges(device):
    edge_index = synthetic_graph(num_nodes=500).edge_index.to(device)
    sampler = NeighborSampler(edge_index, 500, [3, 3])
    seeds = torch.arange(0, 500, 25, device=device)
    node_ids, local_edges, inverse = sampler(seeds)
    assert node_ids.device.type == device
    assert torch.equal(node_ids[inverse], seeds)
    graph_edges = set(map(tuple, edge_index.t().tolist()))
    sampled = node_ids[local_edges].t().tolist()
    assert sampled and all(tuple(edge) in graph_edges for edge in sampled)


def test_a_checkpoint_saved_on_the_device_loads_on_the_cpu(
        tmp_path, device):
    checkpoint, report = tmp_path / "m.pt", tmp_path / "r.json"
    assert cli.main(["train", "--device", device, "--epochs", "20",
                     "--save", str(checkpoint), "--json", str(report),
                     "--quiet"]) == 0
    run = json.loads(report.read_text())["runs"][0]
    assert run["test_auc"] > 0.75
    model = load(checkpoint)
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_train_step_moves_the_graph_once(device):
    # Data on the CPU, a trainer on the device: the graph moves once (in
    # place, as PyG's Data.to does), later steps find it there.
    from pyg_vgae import GAE, GCNEncoder
    from torch_geometric.data import Data
    graph = synthetic_graph(num_nodes=120, num_features=8)
    data = Data(x=graph.x, edge_index=graph.edge_index)
    trainer = Trainer(GAE(GCNEncoder(8, 16, 8)),
                      TrainConfig(progress=False, device=device))
    first = trainer.train_step(data, data.edge_index)
    batches = trainer.batches
    losses = [trainer.train_step(data, data.edge_index) for _ in range(3)]
    assert data.x.device.type == device
    assert trainer.train_data is data and trainer.batches is batches
    assert losses[-1] < first


def test_hetero_training_on_the_device(device):
    from helpers import rated_graph
    from pyg_vgae.train.hetero import HeteroTrainer
    seed_everything(0)
    splits, model = rated_graph()
    result = HeteroTrainer(model, TrainConfig(
        epochs=5, progress=False, device=device)).fit(*splits)
    assert 0 <= result.test_auc <= 1
    assert all(p.device.type == device for p in model.parameters())


def test_auto_follows_the_environment_and_refuses_what_is_not_there(
        monkeypatch, device):
    from pyg_vgae.parallel import uses_cuda
    from pyg_vgae.train.config import resolve_device
    monkeypatch.setenv("PYG_VGAE_DEVICE", device)
    assert resolve_device("auto").type == device
    assert uses_cuda(None, 1) == (device == "cuda")
    monkeypatch.setenv("PYG_VGAE_DEVICE", "tpu:9")
    with pytest.raises(ValueError, match="PYG_VGAE_DEVICE=tpu:9"):
        resolve_device("auto")
    assert resolve_device("cpu").type == "cpu"  # named devices ignore it
    if device == "cuda":
        with pytest.raises(ValueError, match="lower --nproc"):
            uses_cuda("cuda", torch.cuda.device_count() + 1)
