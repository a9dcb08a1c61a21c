"""Reference rows that make a model's FID readable: what real images and a second-order model score.

Both go through the evaluation of a model's samples (same features, FID variant, sample count and
test images), so they sit in the same feature space as every row of Table 1:

- ``training_images``: ``evaluation.num_samples`` images of the training split (a seeded random
  subset) against the test split: the best any model of the training data can score;
- ``pixel_gaussian``: as many images drawn from a Gaussian fitted to the training pixels' mean and
  covariance (per-pixel mean and variance when an image has more than ``FULL_COVARIANCE_MAX_DIM``
  values), clipped to [0, 1]: a model that learned only second-order statistics.

They are never bold and never in a claim.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from benchmark.atomic import atomic_write_text
from benchmark.config import ConfigError, evaluation_sha256
from benchmark.data import to_float
from benchmark.evaluation import extractor_for, real_images
from benchmark.metrics.evaluate import evaluate_samples
from benchmark.provenance import provenance
from benchmark.runs import load_split
from benchmark.sampling import to_uint8

FLOORS = {"training_images": "Training images (floor)", "pixel_gaussian": "Per-pixel Gaussian (scale)"}
FULL_COVARIANCE_MAX_DIM = 4096  # 28x28 and 32x32x3 get the full covariance, 64x64x3 the diagonal
SEED = 0


def check_floor(kind: str) -> str:
    """Return ``kind`` if it is one of :data:`FLOORS`, else raise ``ValueError`` listing them."""
    if kind not in FLOORS:
        raise ValueError(f"unknown reference row {kind!r}; choose one of {sorted(FLOORS)}")
    return kind


def training_subset(train: torch.Tensor, n: int, seed: int = SEED) -> torch.Tensor:
    """``n`` images of uint8 ``train`` ``(N, C, S, S)`` chosen at random (seeded), uint8 ``(n, C, S, S)``."""
    if n > len(train):
        raise ConfigError(f"cannot draw {n} of {len(train)} training images; lower evaluation.num_samples")
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    return train[order[:n]]


def pixel_gaussian(train: torch.Tensor, n: int, seed: int = SEED) -> torch.Tensor:
    """``n`` images uint8 ``(n, C, S, S)`` from a Gaussian fitted to the pixels of uint8 ``train``
    ``(N, C, S, S)`` in [0, 1]: full covariance up to ``FULL_COVARIANCE_MAX_DIM`` values per image,
    else per-pixel variances; clipped to [0, 1]."""
    pixels = to_float(train).flatten(1).double()
    mean = pixels.mean(0)
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(n, pixels.shape[1], generator=generator, dtype=torch.float64)
    if pixels.shape[1] <= FULL_COVARIANCE_MAX_DIM:
        centred = pixels - mean
        covariance = centred.T @ centred / (len(pixels) - 1)
        values, vectors = torch.linalg.eigh(covariance)
        draws = mean + (noise * values.clamp_min(0).sqrt()) @ vectors.T
    else:
        draws = mean + noise * pixels.std(0)
    return to_uint8(draws.float().view(n, *train.shape[1:]))


def floor_images(config: dict, dataset: str, kind: str) -> torch.Tensor:
    """The ``evaluation.num_samples`` images of reference row ``kind`` on ``dataset``, uint8 ``(N, C, S, S)``."""
    train = load_split(config, dataset, "train").images
    n = config["evaluation"]["num_samples"]
    return training_subset(train, n) if check_floor(kind) == "training_images" else pixel_gaussian(train, n)


def evaluate_floor(config: dict, dataset: str, kind: str, out: Path) -> dict:
    """FID, KID and PRD of reference row ``kind`` on ``dataset`` by the evaluation of a model's
    samples; write the metrics JSON to ``out`` and return it."""
    evaluation = config["evaluation"]
    numbers, _ = evaluate_samples(floor_images(config, dataset, kind), real_images(config, dataset),
                                  extractor_for(config, dataset), config["cache_dir"], evaluation["batch_size"],
                                  prd_runs=evaluation["prd_runs"])
    metrics = {"status": "completed", "dataset": dataset, "floor": kind, "label": FLOORS[kind], **numbers,
               "evaluation_sha256": evaluation_sha256(config), "provenance": provenance(config, [dataset])}
    atomic_write_text(out, json.dumps(metrics, indent=2) + "\n")
    return metrics

