"""Classifier features on real Fashion-MNIST: FID small between real splits, large for damaged images."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision.transforms.functional as TF

from benchmark.data import dataset_info, load_dataset, make_synthetic
from benchmark.metrics.classifier import (
    load_classifier,
    make_recipe,
    rotation_batch,
    save_classifier,
    train_classifier,
)
from benchmark.metrics.fid import WeightsError, sha256_file
from benchmark.metrics.frechet import frechet_distance_of_features

DATA_ROOT = "/work/shared/data"


@pytest.fixture(scope="module")
def fashion_classifier(tmp_path_factory):
    train = load_dataset("fashion", "train", DATA_ROOT).take(5000)
    recipe = make_recipe("fashion", train.images, train.labels, epochs=1, width=8, seed=0)
    path = tmp_path_factory.mktemp("clf") / "fashion.pt"
    save_classifier(train_classifier(train.images, train.labels, recipe), recipe, path)
    return path


def test_classifier_fid_separates_real_from_damaged_fashion_images(fashion_classifier):
    extractor = load_classifier(fashion_classifier, device="cpu")
    test = load_dataset("fashion", "test", DATA_ROOT).images[:2000]
    held_out_train = load_dataset("fashion", "train", DATA_ROOT).images[5000:7000]
    shuffled = test.flatten(1)[:, torch.randperm(28 * 28, generator=torch.Generator().manual_seed(0))]
    blurred = TF.gaussian_blur(test, kernel_size=5, sigma=1.5)

    real_features = extractor.features(test, batch_size=500)
    fid_train = frechet_distance_of_features(real_features, extractor.features(held_out_train, 500))
    fid_blur = frechet_distance_of_features(real_features, extractor.features(blurred, 500))
    fid_shuffled = frechet_distance_of_features(real_features, extractor.features(shuffled.view_as(test), 500))
    assert fid_train < 2.0
    assert fid_blur > 20 * fid_train
    assert fid_shuffled > 100 * fid_train


def test_saved_classifier_is_identified_by_its_hash(fashion_classifier):
    extractor = load_classifier(fashion_classifier, device="cpu", expected_sha256=sha256_file(fashion_classifier))
    assert extractor.name == "classifier" and extractor.dim == 128
    with pytest.raises(WeightsError, match="0" * 64):
        load_classifier(fashion_classifier, device="cpu", expected_sha256="0" * 64)
    with pytest.raises(ValueError, match="trained on fashion"):
        extractor.features(torch.zeros(2, 3, 32, 32, dtype=torch.uint8), batch_size=2)


def test_rotation_task_for_unlabelled_data(tmp_path):
    images = make_synthetic(dataset_info("synthetic32"), "train", n=64).images
    recipe = make_recipe("synthetic32", images, None, epochs=1, width=4, batch_size=32)
    assert recipe.task == "rotation" and recipe.num_classes == 4
    rotated, turns = rotation_batch(images[:8].float(), torch.Generator().manual_seed(0))
    for image, rot, k in zip(images[:8].float(), rotated, turns):
        torch.testing.assert_close(rot, torch.rot90(image, int(k), dims=(1, 2)))
    save_classifier(train_classifier(images, None, recipe), recipe, tmp_path / "rot.pt")
    features = load_classifier(tmp_path / "rot.pt", device="cpu").features(images[:5], batch_size=2)
    assert features.shape == (5, 128) and torch.isfinite(features).all()


def test_training_repeats_with_the_seed():
    data = make_synthetic(dataset_info("synthetic28"), "train", n=64)
    recipe = make_recipe("synthetic28", data.images, data.labels, epochs=1, width=4, batch_size=32, seed=3)
    first, second = (train_classifier(data.images, data.labels, recipe) for _ in range(2))
    torch.testing.assert_close(first.head.weight, second.head.weight)


def test_training_reports_each_epoch_as_a_line_when_progress_is_off(capsys):
    data = make_synthetic(dataset_info("synthetic28"), "train", n=64)
    recipe = make_recipe("synthetic28", data.images, data.labels, epochs=3, width=4, batch_size=32)
    train_classifier(data.images, data.labels, recipe, progress=False)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split(" (loss ")[0] for line in lines] == [
        f"classifier (synthetic28, 64 images): epoch {i}/3" for i in (1, 2, 3)]
    assert all(re.fullmatch(r".* \(loss \d+\.\d{3}, \d+ s\)", line) for line in lines), lines
    assert captured.err == ""  # no bar
    train_classifier(data.images, data.labels, recipe, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "3/3" in captured.err  # a bar instead of lines
