"""Small training steps run on one CPU thread; torch's thread count comes
back afterwards."""
import pytest
import torch

from pyg_vgae import GAE, GCNEncoder, TrainConfig, Trainer
from pyg_vgae.data import split_edges, synthetic_graph
from pyg_vgae.threads import serial_below

CPU = torch.device("cpu")


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_one_thread_below_the_threshold_and_back_after(two_threads):
    with serial_below(99, 100, CPU):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with serial_below(100, 100, CPU):
        assert torch.get_num_threads() == 2
    with serial_below(99, 100, torch.device("meta")):  # not the CPU
        assert torch.get_num_threads() == 2


def test_thread_count_comes_back_when_the_step_raises(two_threads):
    with pytest.raises(RuntimeError, match="inside"):
        with serial_below(1, 100, CPU):
            raise RuntimeError("inside")
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("threshold, expected", [(200_000, 1), (0, 2)])
def test_trainer_steps_on_one_thread_on_a_small_graph(two_threads, threshold,
                                                      expected, monkeypatch):
    train = split_edges(synthetic_graph(num_nodes=200, num_features=8))[0]
    trainer = Trainer(GAE(GCNEncoder(8, 16, 8)), TrainConfig(
        progress=False, serial_below=threshold))
    seen = []
    real_epoch = trainer.schedule.epoch

    def spy(*args):
        seen.append(torch.get_num_threads())
        return real_epoch(*args)

    monkeypatch.setattr(trainer.schedule, "epoch", spy)
    trainer.train_step(train, train.pos_edge_label_index)
    assert seen == [expected] and torch.get_num_threads() == 2


def test_refuses_a_negative_threshold():
    with pytest.raises(ValueError, match="serial_below"):
        TrainConfig(serial_below=-1)
