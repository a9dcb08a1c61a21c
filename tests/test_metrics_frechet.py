"""Frechet distance against closed forms and a direct scipy float64 computation."""
from __future__ import annotations

import numpy as np
import pytest
from pytorch_fid.fid_score import calculate_frechet_distance
from scipy import linalg

from benchmark.metrics.frechet import (
    frechet_distance,
    frechet_distance_of_features,
    gaussian_statistics,
)


def scipy_frechet(mu1, sigma1, mu2, sigma2) -> float:
    """The textbook formula with scipy's general matrix square root, in float64."""
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1 + sigma2 - 2 * linalg.sqrtm(sigma1 @ sigma2).real))


def random_covariance(rng: np.random.Generator, d: int) -> np.ndarray:
    factor = rng.normal(size=(d, d))
    return factor @ factor.T / d + 0.1 * np.eye(d)


def test_diagonal_gaussians_match_the_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=16), rng.normal(size=16)
    var1, var2 = rng.uniform(0.1, 3, size=16), rng.uniform(0.1, 3, size=16)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-10)


def test_scaled_covariance_matches_the_closed_form():
    rng = np.random.default_rng(1)
    sigma, shift = random_covariance(rng, 12), rng.normal(size=12)
    # N(0, S) vs N(shift, 4 S): |shift|^2 + Tr(S + 4S - 2 * 2S) = |shift|^2 + Tr(S)
    expected = shift @ shift + np.trace(sigma)
    assert frechet_distance(np.zeros(12), sigma, shift, 4 * sigma) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("seed", [2, 3])
def test_general_gaussians_match_scipy_and_pytorch_fid(seed):
    rng = np.random.default_rng(seed)
    stats = (rng.normal(size=20), random_covariance(rng, 20), rng.normal(size=20), random_covariance(rng, 20))
    ours = frechet_distance(*stats)
    assert ours == pytest.approx(scipy_frechet(*stats), rel=1e-9)
    assert ours == pytest.approx(calculate_frechet_distance(*stats), rel=1e-9)


def test_singular_covariances_of_few_samples_match_pytorch_fid():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(10, 64)), rng.normal(size=(10, 64)) * 1.5 + 0.3
    stats = (*gaussian_statistics(a), *gaussian_statistics(b))
    assert frechet_distance(*stats) == pytest.approx(calculate_frechet_distance(*stats), abs=1e-4)


def test_identical_sets_give_zero():
    features = np.random.default_rng(5).normal(size=(500, 32)) @ np.diag(np.linspace(0.1, 5, 32))
    assert abs(frechet_distance_of_features(features, features.copy())) < 1e-6


def test_sample_statistics_approach_the_true_distance():
    rng = np.random.default_rng(6)
    d, n = 4, 200_000
    var1, var2 = np.array([1.0, 2.0, 0.5, 1.0]), np.array([4.0, 2.0, 0.5, 0.25])
    x = rng.normal(size=(n, d)) * np.sqrt(var1)
    y = rng.normal(size=(n, d)) * np.sqrt(var2) + np.array([1.0, 0, 0, 0])
    expected = 1.0 + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)  # = 2.25
    mu, sigma = gaussian_statistics(x)
    assert mu.dtype == np.float64 and sigma.shape == (d, d)
    assert frechet_distance_of_features(x, y) == pytest.approx(expected, abs=0.03)


def test_mismatched_statistics_are_rejected():
    with pytest.raises(ValueError, match="do not match"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.zeros(2), np.eye(2) * np.nan, np.zeros(2), np.eye(2))
