"""The one evaluation command and the classifier command, driven by a preset: metrics JSON
(FID, KID, PRD) and PRD curve of a samples file as ``benchmark.commands.sample`` writes it, and errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from metrics_helpers import save_random_inception

from benchmark import paths
from benchmark.commands import evaluate, train_classifier
from benchmark.config import evaluation_sha256, load_config
from benchmark.data import load_dataset
from benchmark.metrics.classifier import load_classifier, read_recipe
from benchmark.metrics.fid import INCEPTION_WEIGHTS_SHA256, WeightsError
from benchmark.metrics.registry import build_extractor


def write_preset(folder, **evaluation) -> str:
    config = {
        "preset": "eval-test", "data_root": str(folder), "cache_dir": str(folder / "cache"),
        "runs_dir": str(folder / "runs"), "device": "cpu", "progress": False, "seeds": [0],
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1}},
        "models": {"vae": {"method": "vae"}}, "table1": {"models": ["vae"]},
        "evaluation": {"features": "classifier", "num_samples": 200, "prd_runs": 2, "classifier_epochs": 1,
                       "classifier_max_images": 256, **evaluation},
    }
    path = folder / "preset.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A preset, its classifier (trained by the command) and three sample files: real test
    images, noise, and a diverged run."""
    root = tmp_path_factory.mktemp("eval")
    preset = write_preset(root)
    assert train_classifier.main(["--config", preset, "--dataset", "synthetic28"]) == 0
    real = load_dataset("synthetic28", "test", root).images
    noise = torch.randint(0, 256, (300, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    for name, images, status in (("good", real[:300].flip(0).clone(), "completed"), ("noise", noise, "completed"),
                                 ("diverged", None, "diverged")):
        torch.save({"images": images, "status": status, "meta": {}, "sampling": "eval",  # the VAE's own
                    "images_by_sampling": {"authors": images, "eval": images}}, root / f"{name}.pt")
    return root, preset


def run(root, preset, samples: str) -> dict:
    out = root / f"{samples}-metrics.json"
    assert evaluate.main(["--config", preset, "samples", "--dataset", "synthetic28", "--model", "vae",
                          "--samples", str(root / f"{samples}.pt"), "--out", str(out)]) == 0
    return json.loads(out.read_text())


def test_command_writes_metrics_and_curve(setup):
    root, preset = setup
    good, noise = run(root, preset, "good"), run(root, preset, "noise")
    assert good["features"] == "classifier" and good["fid_label"] == "FID (classifier)"
    assert good["fid_variant"] == "legacy" and good["status"] == "completed"
    assert good["num_samples"] == 200 and len(good["features_sha256"]) == 64 and good["sampling"] == "eval"
    assert good["fid_authors"] == good["fid_eval"] == good["fid"]  # both protocols' images are the same here
    assert good["evaluation_sha256"] == evaluation_sha256(load_config(preset), "vae")  # what the tables check
    assert noise["fid"] > 10 * good["fid"] and noise["kid"] > 10 * abs(good["kid"])
    assert good["prd_f8"] > noise["prd_f8"] and good["prd_f1_8"] > noise["prd_f1_8"]
    curve = np.loadtxt(root / "good-metrics_prd.csv", delimiter=",", skiprows=1)
    assert curve.shape == (1001, 2)


def test_an_evaluation_loads_the_real_split_once(setup, monkeypatch):
    import benchmark.evaluation
    loads = []
    real_load = benchmark.evaluation.load_split
    monkeypatch.setattr(benchmark.evaluation, "load_split",
                        lambda *args: loads.append(args[1:]) or real_load(*args))
    root, preset = setup
    run(root, preset, "good")
    assert loads == [("synthetic28", "test")]


def test_diverged_run_gets_a_status_and_no_numbers(setup):
    metrics = run(*setup, "diverged")
    assert metrics["status"] == "diverged" and "fid" not in metrics and "kid" not in metrics


def test_fewer_samples_than_requested(setup, capsys):
    root, _ = setup
    preset = write_preset(root, num_samples=400)
    assert evaluate.main(["--config", preset, "samples", "--dataset", "synthetic28", "--model", "vae", "--samples",
                          str(root / "good.pt"), "--out", str(root / "x.json")]) == 2
    assert "only 300 images but 400" in capsys.readouterr().err


def test_classifier_command_trains_once_per_recipe(setup, capsys):
    root, preset = setup
    weights = paths.feature_weights(load_config(preset), "synthetic28")
    assert read_recipe(weights).epochs == 1
    assert train_classifier.main(["--config", preset, "--dataset", "synthetic28"]) == 0
    assert "already holds" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="benchmark.commands.train_classifier --config"):
        load_classifier(root / "missing.pt")


def test_feature_choice_errors(tmp_path):
    with pytest.raises(ValueError, match="registered feature extractors"):
        build_extractor("vgg", None)
    with pytest.raises(ValueError, match="need a weights file"):
        build_extractor("classifier", None)
    with pytest.raises(WeightsError, match=INCEPTION_WEIGHTS_SHA256):  # random weights never make a table
        build_extractor("inception", save_random_inception(tmp_path / "random.pth"), "cpu")


def test_reference_rows_rank_training_images_below_the_pixel_gaussian(setup):
    root, _ = setup
    preset = write_preset(root)  # another test may have rewritten it
    rows, noise = {}, run(root, preset, "noise")
    for kind in ("training_images", "pixel_gaussian"):
        out = root / f"floor-{kind}.json"
        assert evaluate.main(["--config", preset, "floor", "--dataset", "synthetic28", "--kind", kind,
                              "--out", str(out)]) == 0
        rows[kind] = json.loads(out.read_text())
        assert rows[kind]["floor"] == kind and "provenance" in rows[kind]
        assert rows[kind]["num_samples"] == noise["num_samples"]  # the preset's, as for a model's samples
        assert rows[kind]["evaluation_sha256"] == evaluation_sha256(load_config(preset))
    assert 0 <= rows["training_images"]["fid"] < rows["pixel_gaussian"]["fid"]
    assert rows["training_images"]["fid"] < noise["fid"]


def test_the_pixel_gaussian_has_the_training_pixels_mean_and_covariance():
    from benchmark.floors import pixel_gaussian, training_subset
    gen = torch.Generator().manual_seed(1)
    mixing = torch.rand(6, 6, generator=gen)
    base = torch.rand(4000, 6, generator=gen) @ mixing / 6 * 0.6 + 0.2
    train = (base.view(4000, 1, 2, 3) * 255).round().to(torch.uint8)
    draws = pixel_gaussian(train, 20000).flatten(1).double() / 255
    pixels = train.flatten(1).double() / 255
    assert torch.allclose(draws.mean(0), pixels.mean(0), atol=0.01)
    assert torch.allclose(torch.cov(draws.T), torch.cov(pixels.T), atol=0.002)  # full covariance, not diagonal
    assert torch.equal(training_subset(train, 10), training_subset(train, 10))
    assert not torch.equal(training_subset(train, 10), train[:10])
