"""``python -m benchmark.evaluate``: the workflow's evaluation steps, driven by a preset.

    python -m benchmark.evaluate --config P fetch-inception          # verify / download weights
    python -m benchmark.evaluate --config P reference --dataset D    # real test-split statistics
    python -m benchmark.evaluate --config P samples --dataset D --samples S --out M.json

The features (Inception-v3 pool3 or the offline classifier), the number of samples and the
PRD settings come from the preset's ``evaluation`` section.  Samples of a diverged run give a
metrics file with ``"status": "diverged"`` and no numbers.  Every metrics file records its
``provenance`` (see :mod:`benchmark.provenance`).  The metric computations themselves
live in :mod:`benchmark.metrics`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from benchmark import paths
from benchmark.atomic import atomic_path, atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.data import load_dataset
from benchmark.joblog import announce
from benchmark.metrics.evaluate import (
    FID_LABELS,
    build_extractor,
    default_curve_path,
    evaluate_samples,
    first_n,
)
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import (
    fid_from_features,
    inception_weights_file,
    real_features_and_statistics,
)
from benchmark.metrics.prd import save_prd_curve
from benchmark.provenance import provenance
from benchmark.sample import generate
from models.base import GenerativeModel


def extractor_for(config: dict, dataset: str) -> FeatureExtractor:
    """The preset's feature extractor for ``dataset`` (weights checked on load)."""
    return build_extractor(config["evaluation"]["features"], paths.feature_weights(config, dataset),
                           config["device"])


def real_images(config: dict, dataset: str):
    """The first ``evaluation.num_samples`` test images of ``dataset``, uint8 ``(N, C, S, S)``."""
    crop = config["datasets"][dataset].get("crop", 140)
    test = load_dataset(dataset, "test", config["data_root"], config["cache_dir"], crop=crop).images
    return first_n(test, config["evaluation"]["num_samples"], f"{dataset} test split")


def reference_statistics(config: dict, dataset: str, extractor: FeatureExtractor):
    """Features ``(N, d)``, mean ``(d,)`` and covariance ``(d, d)`` of the real test images
    (computed once, then read from the content-keyed cache)."""
    return real_features_and_statistics(real_images(config, dataset), extractor, config["cache_dir"],
                                        config["evaluation"].get("batch_size", 200))


def fid_tracker(config: dict, dataset: str, seed: int):
    """An epoch callback that logs ``fid`` every ``evaluation.eval_every`` epochs from
    ``evaluation.eval_samples`` samples (for Figures 3 and 4)."""
    evaluation = config["evaluation"]
    extractor = extractor_for(config, dataset)
    _, mu, sigma = reference_statistics(config, dataset, extractor)

    def track(model: GenerativeModel, epoch: int) -> dict[str, float]:
        if epoch % evaluation["eval_every"]:
            return {}
        images = generate(model, evaluation["eval_samples"], seed, evaluation.get("batch_size", 200))
        return {"fid": fid_from_features(extractor.features(images, evaluation.get("batch_size", 200)), mu, sigma)}

    return track


def fetch_inception(config: dict) -> Path:
    """Put pytorch-fid's Inception weights at the preset's path (downloading them when the
    preset allows) and check their SHA-256."""
    return inception_weights_file(paths.inception_weights(config), download=config["download"])


def write_reference(config: dict, dataset: str) -> Path:
    """Compute the real statistics of ``dataset`` and record them at the workflow's path."""
    extractor = extractor_for(config, dataset)
    _, mu, sigma = reference_statistics(config, dataset, extractor)
    target = paths.reference_stats(config, dataset)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, mu=mu, sigma=sigma, features=extractor.name, weights_sha256=extractor.weights_sha256)
    return target


def evaluate_file(config: dict, dataset: str, samples_path: Path, out: Path) -> dict:
    """FID and PRD of a samples file (see :mod:`benchmark.sample`) against the test split; write
    and return the metrics dict."""
    payload = torch.load(samples_path, map_location="cpu", weights_only=False)
    evaluation = config["evaluation"]
    metrics = {"status": payload["status"], "dataset": dataset, "features": evaluation["features"],
               "fid_label": FID_LABELS[evaluation["features"]], "num_samples": evaluation["num_samples"]}
    if payload["status"] == "completed":
        extractor = extractor_for(config, dataset)
        samples = first_n(payload["images"], evaluation["num_samples"], f"samples file {samples_path}")
        numbers, prd = evaluate_samples(samples, real_images(config, dataset), extractor, config["cache_dir"],
                                        evaluation.get("batch_size", 200), prd_runs=evaluation.get("prd_runs", 10))
        metrics.update(numbers)
        save_prd_curve(prd, default_curve_path(out))
    metrics["provenance"] = provenance(config, [dataset])
    atomic_write_text(out, json.dumps(metrics, indent=2) + "\n")
    return metrics


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("fetch-inception", help="verify (or download) the Inception weights")
    reference = steps.add_parser("reference", help="real test-split statistics of a dataset")
    reference.add_argument("--dataset", required=True)
    samples = steps.add_parser("samples", help="FID and PRD of a samples file")
    samples.add_argument("--dataset", required=True)
    samples.add_argument("--samples", type=Path, required=True)
    samples.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    announce(f"benchmark.evaluate {args.step}")
    config = load_config(args.config)
    if args.step == "fetch-inception":
        print(f"verified {fetch_inception(config)}")
    elif args.step == "reference":
        print(f"written {write_reference(config, args.dataset)}")
    else:
        print(json.dumps(evaluate_file(config, args.dataset, args.samples, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
