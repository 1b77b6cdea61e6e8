"""Accuracy checks, one or more per dataset family, on report seed 100
(outside the sweep's tuning seeds 0-4). Marked slow; CI runs them."""
import pytest

from pyg_vgae.data import load_dataset
from pyg_vgae.presets import preset_data
from pyg_vgae.run import Settings, run_seed

SEED = 100


def train(name: str, preset: str, model: str, root, **overrides) -> dict:
    data = load_dataset(name, str(root), **preset_data(preset, model))
    settings = Settings.from_preset(preset, model, data.num_features,
                                    progress=False, **overrides)
    return run_seed(data, settings, SEED)[0]


@pytest.mark.slow
def test_citation_paper_gae_reaches_the_papers_cora_auc(planetoid):
    run = train("Cora", "paper", "gae", planetoid)
    assert run["best_epoch"] == 200  # the original's protocol: last epoch
    assert run["test_auc"] >= 0.89 and run["test_ap"] >= 0.89


@pytest.mark.slow
def test_citation_best_gae_beats_the_paper_on_cora(planetoid):
    # Measured 0.970 AUC / 0.972 AP at seed 100 with best's four members
    # and linked negatives (benchmarks/linkpred.py; before stage 21 0.967 /
    # 0.969, one member 0.964 / 0.965); the papers' GAE: 0.910 / 0.920.
    run = train("Cora", "best", "gae", planetoid)
    assert run["test_auc"] >= 0.95 and run["test_ap"] >= 0.95


@pytest.mark.slow
def test_citation_best_vgae_beats_the_paper_on_citeseer(planetoid):
    # Measured 0.956 AUC / 0.950 AP at seed 100, the lowest of the ten
    # report seeds (benchmarks/linkpred.py, linked negatives; 0.958 / 0.950
    # before stage 21); the VGAE paper: 0.908 / 0.920.
    run = train("CiteSeer", "best", "vgae", planetoid)
    assert run["test_auc"] >= 0.94 and run["test_ap"] >= 0.935


@pytest.mark.slow
def test_copurchase_default_gae_on_photo(data_root):
    # Measured 0.874 AUC at seed 100 (100 epochs).
    run = train("Photo", "default", "gae", data_root, epochs=100)
    assert run["test_auc"] >= 0.85


@pytest.mark.slow
def test_coauthor_default_gae_on_cs(data_root):
    # Measured 0.925 AUC at seed 100 (100 epochs).
    run = train("CS", "default", "gae", data_root, epochs=100)
    assert run["test_auc"] >= 0.90


@pytest.mark.slow
def test_copurchase_best_vgae_leaves_the_plateau_on_photo(data_root):
    # VGAE's `best` before sweep stage 16 (no batch norm on its output)
    # sat at validation AUC 0.80-0.83 for the first 300 epochs on Photo and
    # stopped there on 3 of 6 report seeds; with the output's batch norm:
    # measured 0.981 test AUC at seed 100 after 150 epochs (also with
    # stage 21's linked negatives: 0.9807, validation 0.9805).
    run = train("Photo", "best", "vgae", data_root, epochs=150)
    assert run["test_auc"] >= 0.95 and run["val_auc"] >= 0.95
