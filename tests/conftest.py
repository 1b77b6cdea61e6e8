import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def planetoid_root() -> Path | None:
    """The Planetoid raw files: $PYG_VGAE_DATA, else ../shared/data/Planetoid
    beside the repository."""
    candidates = [os.environ.get("PYG_VGAE_DATA"),
                  REPO.parent / "shared" / "data" / "Planetoid"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "Cora" / "raw").is_dir():
            return Path(candidate)
    return None


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    # Processed files go to a per-session folder, never beside the raw data.
    cache = tmp_path_factory.getbasetemp() / "pyg_vgae_cache"
    monkeypatch.setenv("PYG_VGAE_CACHE", str(cache))


@pytest.fixture(scope="session")
def planetoid():
    root = planetoid_root()
    if root is None:
        pytest.fail("Planetoid raw files not found: set PYG_VGAE_DATA to a "
                    "folder holding Cora/raw and CiteSeer/raw")
    return root


@pytest.fixture
def cora_copy(planetoid, tmp_path):
    """Cora's raw files copied into a temporary folder."""
    shutil.copytree(planetoid / "Cora" / "raw", tmp_path / "Cora" / "raw")
    return tmp_path
