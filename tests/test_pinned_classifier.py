"""The offline classifier pinned like the Inception weights: trained the same, byte for byte,
whatever the process's thread count; scored the same under any thread count; the committed file
loaded (and checked) for presets with its settings; any other classifier marked as not pinned."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
import yaml

from benchmark import paths, provenance
from benchmark.commands import train_classifier as train_command
from benchmark.config import load_config
from benchmark.data import dataset_info, make_synthetic
from benchmark.metrics import pinned_classifiers
from benchmark.metrics.classifier import make_recipe, read_recipe, save_classifier, train_classifier
from benchmark.metrics.registry import build_extractor, classifier_key, features_pinned
from benchmark.preset_weights import check_needed_weights
from benchmark.weights import WeightsError, sha256_file

REPO = Path(__file__).resolve().parent.parent
VALIDATION_CPU = REPO / "workflow" / "config" / "validation-cpu.yaml"

TRAIN_TINY = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
from benchmark.data import dataset_info, make_synthetic
from benchmark.metrics.classifier import make_recipe, save_classifier, train_classifier
data = make_synthetic(dataset_info("synthetic28"), "train", n=256)
recipe = make_recipe("synthetic28", data.images, data.labels, epochs=1, width=8, batch_size=64)
save_classifier(train_classifier(data.images, data.labels, recipe, progress=False), recipe, sys.argv[2])
print(torch.get_num_threads())
"""

SCORE = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
from benchmark.metrics.classifier import load_classifier
from benchmark.metrics.fid import fid_from_features, gaussian_statistics
extractor = load_classifier(sys.argv[2], device="cpu")
real, samples = torch.load(sys.argv[3])
mu, sigma = gaussian_statistics(extractor.features(real, 128))
print(torch.get_num_threads(), repr(fid_from_features(extractor.features(samples, 128), mu, sigma)))
"""


def run_python(code: str, *args) -> str:
    """Run ``code`` in a fresh interpreter importing this checkout's package; return the last line it prints."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def tiny_classifier(path: Path, images: int = 256) -> Path:
    """A classifier of synthetic28 trained here (``images`` images, 1 epoch, width 8), saved at ``path``."""
    data = make_synthetic(dataset_info("synthetic28"), "train", n=images)
    recipe = make_recipe("synthetic28", data.images, data.labels, epochs=1, width=8, batch_size=64)
    save_classifier(train_classifier(data.images, data.labels, recipe, progress=False), recipe, path)
    return path


def test_training_gives_the_same_bytes_under_one_and_two_threads(tmp_path):
    threads = {n: run_python(TRAIN_TINY, n, tmp_path / f"threads{n}.pt") for n in (1, 2)}
    assert threads == {1: "1", 2: "2"}  # the caller's thread count is restored after training
    assert (tmp_path / "threads1.pt").read_bytes() == (tmp_path / "threads2.pt").read_bytes()


def test_the_same_samples_score_the_same_fid_under_one_and_two_threads(tmp_path):
    weights = tiny_classifier(tmp_path / "tiny.pt", images=1024)
    real = make_synthetic(dataset_info("synthetic28"), "test", n=512).images
    noise = torch.randint(0, 256, real.shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    torch.save((real, torch.cat([real[256:], noise[:256]])), tmp_path / "images.pt")
    scored = [run_python(SCORE, n, weights, tmp_path / "images.pt").split() for n in (1, 2)]
    assert [threads for threads, _ in scored] == ["1", "2"]
    first, second = (float(fid) for _, fid in scored)
    assert first > 1.0  # real numbers: half the samples are noise, far from the real images
    assert abs(first - second) <= 1e-4


def pin(monkeypatch, weights: Path, dataset: str, key: str, **changes) -> Path:
    """Pin ``weights`` for (``dataset``, ``key``) in a registry of its own (the suite reads it
    instead of the committed one); ``changes`` overwrite the entry's fields."""
    entry = {"dataset": dataset, "key": key, "file": weights.name, "sha256": sha256_file(weights),
             "recipe": asdict(read_recipe(weights)), "threads": 1, "device": "cpu", **changes}
    registry = weights.parent / f"classifiers-{len(list(weights.parent.glob('*.json')))}.json"
    registry.write_text(json.dumps({"classifiers": [entry]}))
    monkeypatch.setattr(pinned_classifiers, "REGISTRY_FILE", registry)
    return registry


def committed_entry() -> dict:
    entries = json.loads(pinned_classifiers.REGISTRY_FILE.read_text())["classifiers"]
    return next(e for e in entries if e["dataset"] == "fashion")


def test_validation_presets_load_the_committed_fashion_classifier():
    config = load_config(VALIDATION_CPU)
    entry = committed_entry()
    weights = paths.feature_weights(config, "fashion")
    assert weights == pinned_classifiers.REGISTRY_FILE.parent / entry["file"]
    assert entry["key"] == classifier_key(config, "fashion") and entry["threads"] == 1 and entry["device"] == "cpu"
    extractor = build_extractor("classifier", weights, "cpu", progress=False)
    assert extractor.weights_sha256 == entry["sha256"] == sha256_file(weights)
    assert asdict(extractor.recipe) == entry["recipe"]
    assert features_pinned(config, "fashion")
    assert provenance.provenance(config)["features_pinned"] == {"fashion": True}
    assert provenance.UNPINNED_FEATURES_NOTE not in provenance.provenance_note(config)
    assert check_needed_weights(config) == []
    assert f"`{entry['sha256']}`" in (REPO / "docs" / "weights.md").read_text()  # the docs name the pinned file's hash


def test_a_changed_pinned_file_is_refused_naming_it_both_hashes_and_the_fix(tmp_path, monkeypatch):
    config = load_config(VALIDATION_CPU)
    entry = committed_entry()
    tampered = tmp_path / entry["file"]
    shutil.copy(pinned_classifiers.REGISTRY_FILE.parent / entry["file"], tampered)
    data = bytearray(tampered.read_bytes())
    data[-100] ^= 1
    tampered.write_bytes(bytes(data))
    pin(monkeypatch, tampered, "fashion", entry["key"], sha256=entry["sha256"], recipe=entry["recipe"])
    assert paths.feature_weights(config, "fashion") == tampered
    with pytest.raises(WeightsError) as refused:
        build_extractor("classifier", tampered, "cpu", progress=False)
    for part in (str(tampered), entry["sha256"], sha256_file(tampered), f"git checkout -- {tampered}"):
        assert part in str(refused.value)
    assert tampered.exists()  # refused, not moved aside to be retrained
    with pytest.raises(WeightsError, match=f"{sha256_file(tampered)}.*git checkout -- {tampered}"):
        check_needed_weights(config)  # at planning, before any job


def synthetic_preset(folder: Path, epochs: int = 1) -> str:
    config = {
        "preset": "pin-test", "data_root": str(folder), "cache_dir": str(folder / "cache"),
        "runs_dir": str(folder / "runs"), "device": "cpu", "progress": False, "seeds": [0],
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1}},
        "models": {"vae": {"method": "vae"}}, "table1": {"models": ["vae"]},
        "evaluation": {"features": "classifier", "num_samples": 200, "prd_runs": 2, "classifier_epochs": epochs,
                       "classifier_max_images": 256},
    }
    path = folder / f"preset-{epochs}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_the_classifier_command_and_compare_authors_take_the_pinned_file_without_training(tmp_path, monkeypatch,
                                                                                           capsys):
    preset = synthetic_preset(tmp_path)
    assert train_command.main(["--config", preset, "--dataset", "synthetic28"]) == 0  # trained into the cache
    config = load_config(preset)
    trained = paths.feature_weights(config, "synthetic28")
    committed = tmp_path / "weights" / "classifier-synthetic28.pt"
    committed.parent.mkdir()
    shutil.move(trained, committed)
    pin(monkeypatch, committed, "synthetic28", classifier_key(config, "synthetic28"))
    capsys.readouterr()
    assert train_command.main(["--config", preset, "--dataset", "synthetic28"]) == 0
    assert f"{committed} is the pinned classifier (sha256 {sha256_file(committed)})" in capsys.readouterr().out
    assert not trained.exists()  # nothing trained into the cache
    assert features_pinned(config, "synthetic28")

    other_images = {**asdict(read_recipe(committed)), "train_sha256": "0" * 64}
    pin(monkeypatch, committed, "synthetic28", classifier_key(config, "synthetic28"),
        recipe=other_images)
    capsys.readouterr()
    assert train_command.main(["--config", preset, "--dataset", "synthetic28"]) == 2
    assert f"train_sha256: pinned {'0' * 64}, here {read_recipe(committed).train_sha256}" in capsys.readouterr().err


def test_a_preset_with_other_classifier_settings_is_marked_as_not_pinned(tmp_path):
    config = load_config(VALIDATION_CPU)
    other = {**config, "evaluation": {**config["evaluation"], "classifier_epochs": 2},
             "cache_dir": str(tmp_path / "cache")}
    weights = paths.feature_weights(other, "fashion")
    assert weights == tmp_path / "cache" / "classifier" / f"fashion-{classifier_key(other, 'fashion')}.pt"
    assert not features_pinned(other, "fashion")
    assert provenance.provenance(other)["features_pinned"] == {"fashion": False}
    assert f"{provenance.UNPINNED_FEATURES_NOTE} (fashion)" in provenance.provenance_note(other)
