"""FID, KID and PRD of generated samples against as many real images (a library; the command
is ``python -m benchmark.commands.evaluate``).

The metrics dict names the features (and their weights' SHA-256) that produced it: "FID" for
Inception, "FID (classifier)" for the dataset's own classifier (labels from the registry).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from benchmark.errors import FileMismatchError
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import fid_from_features, real_features_and_statistics
from benchmark.metrics.kid import kid_from_features
from benchmark.metrics.prd import NUM_RUNS, PRDResult, prd_from_features
from benchmark.metrics.registry import FEATURES


def first_n(images: torch.Tensor, n: int, what: str) -> torch.Tensor:
    """Return the first ``n`` images; raise :class:`FileMismatchError` when there are fewer."""
    if len(images) < n:
        raise FileMismatchError(f"{what} has only {len(images)} images but {n} were requested; "
                                f"provide more or lower evaluation.num_samples")
    return images[:n]


def evaluate_samples(samples: torch.Tensor, real_images: torch.Tensor, extractor: FeatureExtractor,
                     cache_dir: str | os.PathLike | None, batch_size: int, seed: int = 0,
                     prd_runs: int = NUM_RUNS) -> tuple[dict, PRDResult]:
    """Return the metrics dict (fid, kid, prd_f8, prd_f1_8, features, ...) and the PRD curve of
    uint8 ``samples`` ``(N, C, H, W)`` against as many real images ``(N, C, H, W)``."""
    if samples.shape != real_images.shape:
        raise ValueError(f"samples {tuple(samples.shape)} and real images {tuple(real_images.shape)} "
                         f"must have the same count and image shape")
    real_features, real_mu, real_sigma = real_features_and_statistics(real_images, extractor, cache_dir, batch_size)
    sample_features = extractor.features(samples, batch_size)
    prd = prd_from_features(sample_features, real_features, num_runs=prd_runs, seed=seed)
    metrics = {
        "fid": fid_from_features(sample_features, real_mu, real_sigma),
        "kid": kid_from_features(sample_features, real_features, seed),
        "prd_f8": prd.f_8,
        "prd_f1_8": prd.f_1_8,
        "features": extractor.name,
        "fid_variant": extractor.resize,
        "fid_label": FEATURES[extractor.name].label,
        "features_sha256": extractor.weights_sha256,
        "num_samples": len(samples),
        "prd_seed": seed,
        "prd_runs": prd_runs,
    }
    return metrics, prd


def default_curve_path(out: str | os.PathLike) -> Path:
    """Where the PRD curve goes: beside the metrics file, ``<stem>_prd.csv``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_prd.csv")
