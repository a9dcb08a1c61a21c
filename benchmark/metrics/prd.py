"""Precision and recall for distributions (PRD), Sajjadi et al. 2018, as in their reference code
(msmsajjadi/precision-recall-distributions), with a seed so that results repeat.

Both feature sets (equal sizes) are clustered together with MiniBatchKMeans (20 clusters,
n_init 10); the two cluster histograms give the PRD curve at 1001 angles; the curve is averaged
over 10 clusterings and summarised as (F_8, F_1/8): F_8 weighs recall, F_1/8 weighs precision.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import MiniBatchKMeans
from threadpoolctl import threadpool_limits

from benchmark.atomic import atomic_path, atomic_write_text

NUM_CLUSTERS = 20
NUM_ANGLES = 1001
NUM_RUNS = 10
KMEANS_INIT = 10
KMEANS_THREADS = 1  # mini-batch k-means on 20 clusters is overhead-bound: more BLAS/OpenMP threads only oversubscribe
BETA = 8.0


@dataclass
class PRDResult:
    """An averaged PRD curve (``precision``, ``recall``: float64 ``(num_angles,)``) and its
    summary ``f_8`` (recall-weighted) and ``f_1_8`` (precision-weighted)."""

    precision: np.ndarray
    recall: np.ndarray
    f_8: float
    f_1_8: float


def compute_prd(eval_dist: np.ndarray, ref_dist: np.ndarray, num_angles: int = NUM_ANGLES,
                epsilon: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Return the PRD curve ``(precision, recall)``, each ``(num_angles,)``, of a model histogram
    ``eval_dist`` against a reference histogram ``ref_dist`` (both ``(K,)``, summing to 1).

    At slope ``lambda = tan(angle)``: precision = sum_k min(lambda * ref_k, eval_k),
    recall = precision / lambda.
    """
    eval_dist, ref_dist = np.asarray(eval_dist, np.float64), np.asarray(ref_dist, np.float64)
    if eval_dist.shape != ref_dist.shape or eval_dist.ndim != 1:
        raise ValueError(f"histograms must be 1-d of equal length, got {eval_dist.shape} and {ref_dist.shape}")
    slopes = np.tan(np.linspace(epsilon, np.pi / 2 - epsilon, num_angles))
    precision = np.minimum(slopes[:, None] * ref_dist[None, :], eval_dist[None, :]).sum(axis=1)
    recall = precision / slopes
    if max(precision.max(), recall.max()) > 1.001:
        raise ValueError("PRD values above 1: the histograms are not normalised distributions")
    return np.clip(precision, 0.0, 1.0), np.clip(recall, 0.0, 1.0)


def cluster_histograms(eval_features: np.ndarray, ref_features: np.ndarray, num_clusters: int,
                       seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster the union of both feature sets ``(N, d)``, ``(M, d)`` and return the normalised
    cluster histograms ``(num_clusters,)`` of the model set and of the reference set.  The fit
    runs with ``KMEANS_THREADS`` BLAS/OpenMP threads (10x faster than the default on 2 cores)."""
    kmeans = MiniBatchKMeans(n_clusters=num_clusters, n_init=KMEANS_INIT, random_state=seed)
    with threadpool_limits(limits=KMEANS_THREADS):
        labels = kmeans.fit(np.concatenate([eval_features, ref_features])).labels_
    eval_labels, ref_labels = labels[:len(eval_features)], labels[len(eval_features):]
    eval_hist = np.bincount(eval_labels, minlength=num_clusters) / len(eval_labels)
    ref_hist = np.bincount(ref_labels, minlength=num_clusters) / len(ref_labels)
    return eval_hist, ref_hist


def f_beta(precision: np.ndarray, recall: np.ndarray, beta: float, epsilon: float = 1e-10) -> np.ndarray:
    """Return the F_beta score of each (precision, recall) pair (same shape as the inputs)."""
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + epsilon)


def prd_from_features(eval_features: torch.Tensor | np.ndarray, ref_features: torch.Tensor | np.ndarray,
                      num_clusters: int = NUM_CLUSTERS, num_angles: int = NUM_ANGLES,
                      num_runs: int = NUM_RUNS, seed: int = 0) -> PRDResult:
    """Return the PRD of model features ``(N, d)`` against reference features ``(N, d)``: the curve
    averaged over ``num_runs`` clusterings (seeds ``seed``, ``seed + 1``, ...) and (F_8, F_1/8).
    Raises ``ValueError`` when the two sets differ in size."""
    eval_features, ref_features = (np.asarray(torch.as_tensor(f).detach().cpu(), dtype=np.float64)
                                   for f in (eval_features, ref_features))
    if len(eval_features) != len(ref_features):
        raise ValueError(f"PRD needs equal set sizes, got {len(eval_features)} model and "
                         f"{len(ref_features)} reference features; use as many samples as real images")
    curves = [compute_prd(*cluster_histograms(eval_features, ref_features, num_clusters, seed + run), num_angles)
              for run in range(num_runs)]
    precision = np.mean([c[0] for c in curves], axis=0)
    recall = np.mean([c[1] for c in curves], axis=0)
    return PRDResult(precision, recall, float(f_beta(precision, recall, BETA).max()),
                     float(f_beta(precision, recall, 1 / BETA).max()))


def save_prd_curve(result: PRDResult, path: str | os.PathLike) -> None:
    """Write the PRD curve atomically: ``.npz`` (arrays precision, recall, f_8, f_1_8) or ``.csv``
    (columns precision, recall)."""
    path = Path(path)
    if path.suffix == ".npz":
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, precision=result.precision, recall=result.recall,
                     f_8=result.f_8, f_1_8=result.f_1_8)
    elif path.suffix == ".csv":
        rows = "".join(f"{p:.8f},{r:.8f}\n" for p, r in zip(result.precision, result.recall))
        atomic_write_text(path, "precision,recall\n" + rows)
    else:
        raise ValueError(f"PRD curve file must end in .npz or .csv, got {path}")
