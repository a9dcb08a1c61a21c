"""FID pipeline: weights verification, statistics equal to pytorch-fid's, content-keyed cache."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from metrics_helpers import (
    make_images,
    pytorch_fid_statistics,
    random_inception_state_dict,
    restrict_to_support,
    save_random_inception,
)
from pytorch_fid.fid_score import calculate_frechet_distance

from benchmark.metrics import fid
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import (
    INCEPTION_WEIGHTS_SHA256,
    INCEPTION_WEIGHTS_URL,
    WeightsError,
    build_inception,
    load_inception,
    real_feature_cache_path,
    real_features_and_statistics,
    sha256_file,
)


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory) -> str:
    return save_random_inception(tmp_path_factory.mktemp("weights") / "random_inception.pth")


@pytest.fixture(scope="module")
def extractor(weights_file):
    return load_inception(weights_file, device="cpu", expected_sha256=sha256_file(weights_file))


def test_fid_equals_pytorch_fid_on_the_same_images_and_weights(extractor, tmp_path):
    real, fake = make_images(4, 1, seed=1), make_images(4, 1, seed=2)
    _, real_mu, real_sigma = real_features_and_statistics(real, extractor, tmp_path / "cache", batch_size=4)
    ours = fid.fid_from_features(extractor.features(fake, batch_size=4), real_mu, real_sigma)

    fake_stats = pytorch_fid_statistics(fake, extractor.network, tmp_path / "fake")
    real_stats = pytorch_fid_statistics(real, extractor.network, tmp_path / "real")
    np.testing.assert_allclose(real_mu, real_stats[0], atol=1e-5)
    np.testing.assert_allclose(real_sigma, real_stats[1], atol=1e-5)
    reference = calculate_frechet_distance(*restrict_to_support(*fake_stats, *real_stats))
    assert reference > 1.0
    assert abs(ours - reference) < 1e-3


def test_rgb_statistics_equal_pytorch_fid(extractor, tmp_path):
    images = make_images(3, 3, seed=4)
    features, mu, sigma = real_features_and_statistics(images, extractor, None, batch_size=4)
    ref_mu, ref_sigma = pytorch_fid_statistics(images, extractor.network, tmp_path / "png")
    assert features.shape == (3, 2048) and np.abs(mu).max() > 1e-2
    np.testing.assert_allclose(mu, ref_mu, atol=1e-5)
    np.testing.assert_allclose(sigma, ref_sigma, atol=1e-5)


class CountingExtractor(FeatureExtractor):
    """Mean intensity per channel and row: cheap features that count the images they embed."""

    name = "counting"
    dim = 20

    def __init__(self, weights_sha256: str):
        super().__init__(torch.nn.Identity(), "cpu")
        self.weights_sha256 = weights_sha256
        self.embedded = 0

    def embed(self, batch: torch.Tensor) -> torch.Tensor:
        self.embedded += len(batch)
        return batch.mean(dim=(1, 3))


def test_real_statistics_are_computed_once_per_content_and_weights(tmp_path):
    images = make_images(5, 1, seed=3)
    extractor = CountingExtractor("a" * 64)
    features, mu, sigma = real_features_and_statistics(images, extractor, tmp_path, batch_size=2)
    assert extractor.embedded == 5 and features.shape == (5, 20)
    again = real_features_and_statistics(images.clone(), extractor, tmp_path, batch_size=2)
    assert extractor.embedded == 5  # same content: read from the cache
    torch.testing.assert_close(features, again[0])
    np.testing.assert_array_equal(sigma, again[2])
    real_features_and_statistics(images[:4], extractor, tmp_path, batch_size=2)
    assert extractor.embedded == 9  # other content: computed
    real_features_and_statistics(images, CountingExtractor("b" * 64), tmp_path, batch_size=2)
    assert len(list((tmp_path / "real_features").iterdir())) == 3  # other weights: another entry


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),  # truncated
    lambda path: torch.save({"features": torch.zeros(5, 20)}, path),  # no mean, no covariance
    lambda path: torch.save({**torch.load(path), "mu": torch.load(path)["mu"] + 5}, path),  # tampered mean
    lambda path: torch.save({**torch.load(path), "sigma": torch.zeros(4, 4)}, path),  # wrong shape
], ids=["truncated", "incomplete", "tampered", "wrong-shape"])
def test_unreadable_real_feature_cache_is_named_moved_aside_and_computed_again(tmp_path, capsys, damage):
    images = make_images(5, 1, seed=3)
    extractor = CountingExtractor("a" * 64)
    features, mu, sigma = real_features_and_statistics(images, extractor, tmp_path, batch_size=2)
    cached = real_feature_cache_path(tmp_path, images, extractor)
    damage(cached)
    again = real_features_and_statistics(images, extractor, tmp_path, batch_size=2)
    assert extractor.embedded == 10
    out = capsys.readouterr().out
    assert f"real-feature cache {cached} " in out
    assert f"Moved aside to {cached}.corrupt; computing the features of the real images again." in out
    torch.testing.assert_close(features, again[0])
    np.testing.assert_array_equal(sigma, again[2])
    real_features_and_statistics(images, extractor, tmp_path, batch_size=2)
    assert extractor.embedded == 10  # the rebuilt cache is read


def test_checksum_mismatch_names_both_hashes(weights_file):
    actual = sha256_file(weights_file)
    with pytest.raises(WeightsError) as err:
        load_inception(weights_file, device="cpu")
    assert INCEPTION_WEIGHTS_SHA256 in str(err.value) and actual in str(err.value)


def test_missing_weights_say_where_to_download_and_put_them(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "pt_inception.pth"
    with pytest.raises(WeightsError) as err:
        load_inception(missing, device="cpu")
    assert INCEPTION_WEIGHTS_URL in str(err.value) and str(missing) in str(err.value)
    monkeypatch.setenv(fid.INCEPTION_WEIGHTS_ENV, str(missing))
    with pytest.raises(WeightsError, match=str(missing)):
        load_inception(None, device="cpu")


def test_pinned_hash_is_a_full_sha256_matching_the_file_name():
    assert len(INCEPTION_WEIGHTS_SHA256) == 64
    assert INCEPTION_WEIGHTS_URL.endswith(f"-{INCEPTION_WEIGHTS_SHA256[:8]}.pth")


def test_build_inception_holds_the_given_weights():
    state = random_inception_state_dict(seed=5)
    net = build_inception(state)
    torch.testing.assert_close(net.blocks[0][0].conv.weight, state["Conv2d_1a_3x3.conv.weight"])
    torch.testing.assert_close(net.blocks[3][2].branch_pool.conv.weight,
                               state["Mixed_7c.branch_pool.conv.weight"])
