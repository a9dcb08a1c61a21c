"""The evaluate CLI: metrics JSON and PRD curve for a samples file, and its errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from metrics_helpers import save_random_inception

from benchmark.data import load_dataset
from benchmark.metrics.classifier import make_recipe, save_classifier, train_classifier
from benchmark.metrics.evaluate import build_extractor, main
from benchmark.metrics.fid import INCEPTION_WEIGHTS_SHA256, WeightsError


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A classifier trained on synthetic28, and two sample files: real test images and noise."""
    root = tmp_path_factory.mktemp("eval")
    train = load_dataset("synthetic28", "train", root).take(256)
    recipe = make_recipe("synthetic28", train.images, train.labels, epochs=1, width=4, batch_size=64)
    save_classifier(train_classifier(train.images, train.labels, recipe, "cpu"), recipe, root / "clf.pt")
    real = load_dataset("synthetic28", "test", root).images
    torch.save(real[:300].flip(0).clone(), root / "good.pt")
    torch.save(torch.randint(0, 256, (300, 1, 28, 28), dtype=torch.uint8), root / "noise.pt")
    return root


def run(root, samples: str, *extra: str) -> dict:
    out = root / f"{samples.removesuffix('.pt')}-metrics.json"
    main(["--samples", str(root / samples), "--dataset", "synthetic28", "--data-root", str(root),
          "--cache-dir", str(root / "cache"), "--features", "classifier", "--weights", str(root / "clf.pt"),
          "--num-samples", "200", "--prd-runs", "2", "--out", str(out), *extra])
    return json.loads(out.read_text())


def test_cli_writes_metrics_and_curve(setup):
    good = run(setup, "good.pt")
    noise = run(setup, "noise.pt", "--prd-curve", str(setup / "noise_curve.npz"))
    assert good["features"] == "classifier" and good["fid_label"] == "FID (classifier)"
    assert good["num_samples"] == 200 and len(good["features_sha256"]) == 64
    assert noise["fid"] > 10 * good["fid"]
    assert good["prd_f8"] > noise["prd_f8"] and good["prd_f1_8"] > noise["prd_f1_8"]
    curve = np.loadtxt(setup / "good-metrics_prd.csv", delimiter=",", skiprows=1)
    assert curve.shape == (1001, 2)
    assert np.load(setup / "noise_curve.npz")["f_8"] == pytest.approx(noise["prd_f8"])


def test_fewer_samples_than_requested(setup):
    with pytest.raises(ValueError, match="only 300 images but 400"):
        run(setup, "good.pt", "--num-samples", "400")


def test_wrong_sample_files(setup):
    torch.save(torch.rand(10, 1, 28, 28), setup / "float.pt")
    with pytest.raises(ValueError, match="uint8"):
        run(setup, "float.pt", "--num-samples", "10")
    torch.save(torch.zeros(10, 3, 32, 32, dtype=torch.uint8), setup / "rgb.pt")
    with pytest.raises(ValueError, match="image shape"):
        run(setup, "rgb.pt", "--num-samples", "10")


def test_feature_choice_errors(setup, tmp_path):
    with pytest.raises(ValueError, match="unknown features"):
        build_extractor("vgg", None)
    with pytest.raises(ValueError, match="need --weights"):
        build_extractor("classifier", None)
    with pytest.raises(WeightsError, match=INCEPTION_WEIGHTS_SHA256):  # random weights never make a table
        build_extractor("inception", save_random_inception(tmp_path / "random.pth"), "cpu")
