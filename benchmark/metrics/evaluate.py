"""FID and PRD of a file of generated samples against one dataset split.

CLI::

    python -m benchmark.metrics.evaluate --samples samples.pt --dataset fashion --split test \
        --data-root DATA --cache-dir CACHE --features inception|classifier [--weights PATH] \
        [--num-samples 10000 --batch-size 200 --seed 0 --prd-runs 10 --device auto] --out metrics.json \
        [--prd-curve metrics_prd.csv]

``samples.pt`` holds a uint8 tensor ``(N, C, H, W)``.  The first ``--num-samples`` samples are
compared with the first ``--num-samples`` images of the split (10,000 vs the 10,000-image test
split by default).  The JSON names the features (and their weights' SHA-256) that produced it:
"FID" for Inception, "FID (classifier)" for the dataset's own classifier.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from benchmark.atomic import atomic_write_text
from benchmark.data import dataset_info, load_dataset
from benchmark.metrics.classifier import load_classifier
from benchmark.metrics.features import FEATURE_NAMES, FeatureExtractor
from benchmark.metrics.fid import (
    fid_from_features,
    load_inception,
    real_features_and_statistics,
)
from benchmark.metrics.prd import NUM_RUNS, PRDResult, prd_from_features, save_prd_curve

FID_LABELS = {"inception": "FID", "classifier": "FID (classifier)"}


def build_extractor(features: str, weights: str | os.PathLike | None, device: str = "auto",
                    download: bool = False) -> FeatureExtractor:
    """Return the feature extractor named ``features`` ("inception" or "classifier").

    Inception weights are always checked against the pinned SHA-256 (``weights`` may be ``None``:
    see :func:`benchmark.metrics.fid.inception_weights_file`); classifier weights are required.
    """
    if features == "inception":
        return load_inception(weights, device, download)
    if features == "classifier":
        if weights is None:
            raise ValueError("classifier features need --weights: the file written by "
                             "`python -m benchmark.metrics.classifier --out PATH ...`")
        return load_classifier(weights, device)
    raise ValueError(f"unknown features {features!r}; choose one of {FEATURE_NAMES}")


def load_samples(path: str | os.PathLike) -> torch.Tensor:
    """Return the uint8 samples ``(N, C, H, W)`` stored (as a bare tensor) in ``path``."""
    samples = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(samples, torch.Tensor) or samples.dtype != torch.uint8 or samples.ndim != 4:
        kind = f"{samples.dtype} tensor of shape {tuple(samples.shape)}" if isinstance(samples, torch.Tensor) \
            else type(samples).__name__
        raise ValueError(f"{path} must hold a uint8 tensor (N, C, H, W), got a {kind}; "
                         f"save (samples * 255).round().to(torch.uint8)")
    return samples


def first_n(images: torch.Tensor, n: int, what: str) -> torch.Tensor:
    """Return the first ``n`` images; raise ``ValueError`` when there are fewer."""
    if len(images) < n:
        raise ValueError(f"{what} has only {len(images)} images but {n} were requested; "
                         f"provide more or lower --num-samples")
    return images[:n]


def evaluate_samples(samples: torch.Tensor, real_images: torch.Tensor, extractor: FeatureExtractor,
                     cache_dir: str | os.PathLike | None = None, batch_size: int = 200, seed: int = 0,
                     prd_runs: int = NUM_RUNS) -> tuple[dict, PRDResult]:
    """Return the metrics dict (fid, prd_f8, prd_f1_8, features, ...) and the PRD curve of uint8
    ``samples`` ``(N, C, H, W)`` against as many real images ``(N, C, H, W)``."""
    if samples.shape != real_images.shape:
        raise ValueError(f"samples {tuple(samples.shape)} and real images {tuple(real_images.shape)} "
                         f"must have the same count and image shape")
    real_features, real_mu, real_sigma = real_features_and_statistics(real_images, extractor, cache_dir, batch_size)
    sample_features = extractor.features(samples, batch_size)
    prd = prd_from_features(sample_features, real_features, num_runs=prd_runs, seed=seed)
    metrics = {
        "fid": fid_from_features(sample_features, real_mu, real_sigma),
        "prd_f8": prd.f_8,
        "prd_f1_8": prd.f_1_8,
        "features": extractor.name,
        "fid_label": FID_LABELS[extractor.name],
        "features_sha256": extractor.weights_sha256,
        "num_samples": len(samples),
        "prd_seed": seed,
        "prd_runs": prd_runs,
    }
    return metrics, prd


def default_curve_path(out: str | os.PathLike) -> Path:
    """Where the PRD curve goes when not given: beside the metrics file, ``<stem>_prd.csv``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_prd.csv")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="FID and PRD of generated samples against a dataset split.")
    parser.add_argument("--samples", required=True, help="file holding a uint8 tensor (N, C, H, W)")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--cache-dir", default=None, help="cache for dataset tensors and real features")
    parser.add_argument("--features", required=True, choices=FEATURE_NAMES)
    parser.add_argument("--weights", default=None, help="feature weights file (Inception: optional, "
                                                        "else $GLF_INCEPTION_WEIGHTS or torch hub)")
    parser.add_argument("--download-weights", action="store_true", help="fetch missing Inception weights")
    parser.add_argument("--num-samples", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0, help="PRD clustering seed")
    parser.add_argument("--prd-runs", type=int, default=NUM_RUNS, help="clusterings averaged by PRD")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", required=True, help="metrics JSON")
    parser.add_argument("--prd-curve", default=None, help=".csv or .npz (default: <out stem>_prd.csv)")
    args = parser.parse_args(argv)

    info = dataset_info(args.dataset)
    samples = first_n(load_samples(args.samples), args.num_samples, f"samples file {args.samples}")
    if tuple(samples.shape[1:]) != info.shape:
        raise ValueError(f"samples have image shape {tuple(samples.shape[1:])}, {args.dataset} has {info.shape}")
    real = load_dataset(args.dataset, args.split, args.data_root, args.cache_dir).images
    real = first_n(real, args.num_samples, f"{args.dataset} {args.split} split")
    extractor = build_extractor(args.features, args.weights, args.device, args.download_weights)
    metrics, prd = evaluate_samples(samples, real, extractor, args.cache_dir, args.batch_size,
                                    args.seed, args.prd_runs)
    metrics.update(dataset=args.dataset, split=args.split)
    save_prd_curve(prd, args.prd_curve or default_curve_path(args.out))
    atomic_write_text(args.out, json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
