"""PRD against hand-computed histograms and curves."""
from __future__ import annotations

import numpy as np
import pytest

from benchmark.metrics.prd import (
    PRDResult,
    cluster_histograms,
    compute_prd,
    prd_from_features,
    save_prd_curve,
)


def blobs(counts: list[int], seed: int) -> np.ndarray:
    """Points around far-apart centres (0, 100, 200, ... on every axis), ``counts[k]`` at centre k."""
    rng = np.random.default_rng(seed)
    return np.concatenate([100.0 * k + rng.normal(size=(n, 3)) for k, n in enumerate(counts) if n])


def test_histograms_of_obvious_clusters():
    eval_hist, ref_hist = cluster_histograms(blobs([30, 10], 0), blobs([20, 20], 1), num_clusters=2, seed=0)
    assert sorted(zip(eval_hist, ref_hist)) == [(0.25, 0.5), (0.75, 0.5)]


def test_curve_by_hand():
    precision, recall = compute_prd(np.array([0.75, 0.25]), np.array([0.5, 0.5]))
    assert precision.shape == recall.shape == (1001,)
    # angle index 500 is pi/4, slope 1: min(0.5, 0.75) + min(0.5, 0.25)
    assert precision[500] == pytest.approx(0.75) and recall[500] == pytest.approx(0.75)
    assert precision[-1] == pytest.approx(1.0) and recall[0] == pytest.approx(1.0)


def test_dropped_mode_by_hand():
    """The model puts everything in cluster A, the data half in A and half in B.
    alpha(l) = min(l/2, 1), beta(l) = min(1/2, 1/l); both F-scores peak at l = 2,
    where precision = 1 and recall = 1/2."""
    features = blobs([40, 0], 2), blobs([20, 20], 3)
    result = prd_from_features(*features, num_clusters=2, num_runs=2, seed=0)
    f_8 = 65 * 0.5 / (64 + 0.5)
    f_1_8 = (1 + 1 / 64) * 0.5 / (1 / 64 + 0.5)
    assert result.f_8 == pytest.approx(f_8, abs=5e-3)   # recall-weighted: low
    assert result.f_1_8 == pytest.approx(f_1_8, abs=5e-3)  # precision-weighted: high
    assert result.recall.max() == pytest.approx(0.5, abs=1e-3)


def test_same_distribution_scores_one_and_repeats_with_the_seed():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(400, 5)), rng.normal(size=(400, 5))
    first = prd_from_features(a, b, num_runs=2, seed=7)
    second = prd_from_features(a, b, num_runs=2, seed=7)
    assert first.f_8 > 0.85 and first.f_1_8 > 0.85
    np.testing.assert_array_equal(first.precision, second.precision)


def test_unequal_set_sizes_are_rejected():
    with pytest.raises(ValueError, match="equal set sizes"):
        prd_from_features(np.zeros((10, 2)), np.zeros((11, 2)))


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_curve_is_saved_for_plotting(tmp_path, suffix):
    result = PRDResult(np.linspace(0, 1, 5), np.linspace(1, 0, 5), 0.4, 0.6)
    path = tmp_path / f"curve{suffix}"
    save_prd_curve(result, path)
    if suffix == ".npz":
        saved = np.load(path)
        np.testing.assert_array_equal(saved["precision"], result.precision)
        assert float(saved["f_1_8"]) == 0.6
    else:
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        np.testing.assert_allclose(table[:, 1], result.recall)


def test_kmeans_fits_with_one_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    from benchmark.metrics import prd

    threads = []

    class RecordingKMeans(prd.MiniBatchKMeans):
        def fit(self, X, y=None, sample_weight=None):
            threads.extend(pool["num_threads"] for pool in threadpool_info())
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(prd, "MiniBatchKMeans", RecordingKMeans)
    features = np.random.default_rng(0).normal(size=(200, 4))
    prd.prd_from_features(features, features + 0.1, num_runs=2)
    assert threads and set(threads) == {prd.KMEANS_THREADS} == {1}
