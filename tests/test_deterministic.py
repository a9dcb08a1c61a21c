"""The preset switch ``deterministic``: it turns on PyTorch's deterministic mode (with cuDNN's and
cuBLAS's settings) before training, it is recorded in provenance and captions, and a run repeated
under it has the same weights (on CPU here; scripts/gpu_check.sh repeats it on a GPU)."""
from __future__ import annotations

import os

import pandas as pd
import pytest
import torch
import yaml

from benchmark.commands import repeat_run
from benchmark.config import load_config
from benchmark.device import CUBLAS_WORKSPACE
from benchmark.model_io import save_model
from benchmark.provenance import provenance, provenance_note
from benchmark.trainer import TrainResult
from models import build_model


@pytest.fixture
def restores_global_modes(monkeypatch):
    """Puts the process's deterministic and cuDNN modes (and the cuBLAS variable) back afterwards."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    saved = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(saved[0])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[1:]


def save_untrained(run, run_dir):
    """Stands in for training: saves the untrained model as ``model.pt``; returns its TrainResult."""
    save_model(run_dir / "model.pt", build_model(run.method, run.spec), run.method, {})
    return TrainResult("completed", 0)


def write_preset(folder, deterministic: bool) -> str:
    config = {
        "preset": "det-test", "data_root": str(folder), "cache_dir": str(folder / "cache"),
        "runs_dir": str(folder / "runs"), "device": "cpu", "progress": False, "seeds": [0],
        "deterministic": deterministic,
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": 64}},
        "models": {"glf": {"method": "glf", "batch_size": 16}}, "table1": {"models": ["glf"]},
        "evaluation": {"features": "classifier", "num_samples": 10},
    }
    path = folder / "preset.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_a_deterministic_run_repeated_has_the_same_weights(tmp_path, restores_global_modes):
    preset, out = write_preset(tmp_path, False), tmp_path / "repeats.csv"
    assert repeat_run.main(["--config", preset, "--model", "glf", "--dataset", "synthetic28", "--deterministic",
                            "true", "--repeats", "2", "--expect-equal", "--out", str(out)]) == 0
    rows = pd.read_csv(out)
    assert list(rows["deterministic"]) == [True, True] and set(rows["status"]) == {"completed"}
    assert rows["weights_sha256"].nunique() == 1 and len(rows["weights_sha256"][0]) == 64
    assert torch.are_deterministic_algorithms_enabled() and not torch.backends.cudnn.benchmark
    assert torch.backends.cudnn.deterministic and os.environ["CUBLAS_WORKSPACE_CONFIG"] == CUBLAS_WORKSPACE


def test_the_switch_is_off_by_default_and_recorded(tmp_path):
    off, on = load_config(write_preset(tmp_path, False)), {**load_config(write_preset(tmp_path, True))}
    assert off["deterministic"] is False and on["deterministic"] is True
    assert provenance(on, [])["deterministic"] is True and provenance(off, [])["deterministic"] is False
    assert provenance_note(on).endswith(", deterministic GPU algorithms")
    assert "deterministic" not in provenance_note(off)


def test_repeat_run_fails_when_the_repeats_differ(tmp_path, monkeypatch):
    hashes = iter(["a" * 64, "b" * 64])
    monkeypatch.setattr(repeat_run, "state_sha256", lambda state: next(hashes))
    monkeypatch.setattr(repeat_run, "train_run", lambda config, run, run_dir, progress: save_untrained(run, run_dir))
    preset = write_preset(tmp_path, False)
    assert repeat_run.main(["--config", preset, "--model", "glf", "--dataset", "synthetic28", "--deterministic",
                            "false", "--repeats", "2", "--expect-equal", "--out", str(tmp_path / "r.csv")]) == 1
