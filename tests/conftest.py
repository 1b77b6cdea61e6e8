import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _absolute_data_root() -> Path | None:
    """$PYG_VGAE_DATA (a data root, or its Planetoid folder), else
    ../shared/data beside the repository; made absolute and exported once,
    so that tests which change folder (tutorials, subprocesses) still find
    it."""
    candidates = [os.environ.get("PYG_VGAE_DATA"),
                  REPO.parent / "shared" / "data"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            root = Path(candidate).resolve()
            os.environ["PYG_VGAE_DATA"] = str(root)
            return root
    return None


DATA_ROOT = _absolute_data_root()


def planetoid_root() -> Path | None:
    """The folder holding Cora/raw: the data root's Planetoid/ or the root
    itself."""
    if DATA_ROOT is None:
        return None
    for candidate in (DATA_ROOT / "Planetoid", DATA_ROOT):
        if (candidate / "Cora" / "raw").is_dir():
            return candidate
    return None


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    # Processed files go to a per-session folder, never beside the raw data.
    cache = tmp_path_factory.getbasetemp() / "pyg_vgae_cache"
    monkeypatch.setenv("PYG_VGAE_CACHE", str(cache))
    # "auto" means the CPU in tests, also on a GPU machine: their exact
    # numbers, thread counts and bit-for-bit resumes are CPU claims. The
    # ``device`` fixture's tests name CUDA explicitly where it is present.
    monkeypatch.setenv("PYG_VGAE_DEVICE", "cpu")


@pytest.fixture(scope="session")
def planetoid():
    root = planetoid_root()
    if root is None:
        pytest.fail("Planetoid raw files not found: set PYG_VGAE_DATA to a "
                    "data root holding Planetoid/Cora/raw")
    return root


@pytest.fixture(scope="session")
def data_root():
    """A data root laid out as ../shared/data (Planetoid/, Amazon/, ...)."""
    if DATA_ROOT is None or not (DATA_ROOT / "Amazon").is_dir():
        pytest.fail("no data root with Amazon/, Coauthor/ and OGB/: set "
                    "PYG_VGAE_DATA to one laid out as ../shared/data")
    return DATA_ROOT


@pytest.fixture
def cora_copy(planetoid, tmp_path):
    """Cora's raw files copied into a temporary folder."""
    shutil.copytree(planetoid / "Cora" / "raw", tmp_path / "Cora" / "raw")
    return tmp_path


def _devices() -> list[str]:
    import torch
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=_devices())
def device(request) -> str:
    """Every device this machine has: the CPU, and CUDA where present (so a
    GPU machine runs these tests on both; a CPU-only one collects the CPU
    case alone)."""
    return request.param
