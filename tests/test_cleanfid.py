"""clean-fid put to use: the "clean" FID variant's features and KID equal clean-fid's own
functions on the same random Inception weights and images; the variant is a feature space of
its own (files, cache keys) and is refused where it does not apply."""
from __future__ import annotations

import cleanfid.fid
import numpy as np
import pytest
import torch
from metrics_helpers import make_images, random_inception_state_dict, write_pngs

from benchmark import paths
from benchmark.config import ConfigError, load_config, read_preset, validate_config
from benchmark.metrics.fid import InceptionExtractor, build_inception, real_feature_cache_path
from benchmark.metrics.kid import kid_from_features

SMOKE = "workflow/config/smoke.yaml"


@pytest.fixture(scope="module")
def network():
    return build_inception(random_inception_state_dict())


@pytest.mark.slow
def test_clean_features_equal_clean_fids_own_pipeline(network, tmp_path):
    images = make_images(2, 1, seed=5)  # grayscale 20x20: clean-fid reads them as RGB PNGs
    clean = InceptionExtractor(network, "random", "cpu", resize="clean", progress=False)
    ours = clean.features(images, batch_size=2).numpy()
    theirs = cleanfid.fid.get_files_features(
        write_pngs(images, tmp_path / "png"), model=lambda batch: network(batch / 255)[0].flatten(1),
        num_workers=0, batch_size=2, device=torch.device("cpu"), mode="clean", verbose=False)
    assert ours.shape == (2, 2048) and np.abs(ours).max() > 1e-2
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    legacy = InceptionExtractor(network, "random", "cpu", progress=False).features(images, batch_size=2).numpy()
    assert np.abs(legacy - ours).max() > 1e-3  # bicubic PIL resize is not pytorch-fid's bilinear one


def test_kid_equals_clean_fids_kernel_distance_and_keeps_numpy_state():
    gen = torch.Generator().manual_seed(0)
    real, shifted = torch.randn(120, 16, generator=gen), torch.randn(90, 16, generator=gen) + 0.5
    np.random.seed(7)
    expected = cleanfid.fid.kernel_distance(shifted.numpy(), real.numpy())
    before = np.random.get_state()[1].copy()
    ours = kid_from_features(shifted, real, seed=7)
    assert ours == pytest.approx(expected, rel=1e-6) and ours > 0.01
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert abs(kid_from_features(torch.randn(120, 16, generator=gen), real, seed=7)) < 0.2 * ours


def test_clean_variant_is_a_feature_space_of_its_own(network, tmp_path):
    config = load_config(SMOKE)
    config["evaluation"].update(features="inception", fid_variant="clean")
    assert paths.metrics(config, "fashion", "glf", 0).name == "metrics-inception-clean.json"
    assert paths.reference_stats(config, "fashion").name == "fashion-test-inception-clean.npz"
    images = make_images(2, 1, seed=0)
    keys = {real_feature_cache_path(tmp_path, images, InceptionExtractor(network, "w", "cpu", resize=r))
            for r in ("legacy", "clean")}
    assert len(keys) == 2


def test_clean_variant_is_refused_for_the_classifier():
    config = read_preset(SMOKE)
    config["evaluation"]["fid_variant"] = "clean"
    with pytest.raises(ConfigError, match="fid_variant: clean.*features: inception"):
        validate_config(config)
    config["evaluation"]["fid_variant"] = "sharp"
    with pytest.raises(ConfigError, match="evaluation.fid_variant"):
        validate_config(config)
