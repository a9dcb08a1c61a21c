"""Shared fixtures: the real data shipped beside the checkout, and small presets."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("GLF_SHARED_DATA", REPO.parent / "shared" / "data"))

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with the real Fashion-MNIST / MNIST test files; skips when absent."""
    if not (SHARED_DATA / "fashion-mnist" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real data not found at {SHARED_DATA} (set GLF_SHARED_DATA)")
    return SHARED_DATA
