"""``python -m benchmark.commands.evaluate``: the workflow's evaluation steps, driven by a preset.

    python -m benchmark.commands.evaluate --config P fetch-inception          # verify / download weights
    python -m benchmark.commands.evaluate --config P reference --dataset D    # real test-split statistics
    python -m benchmark.commands.evaluate --config P samples --dataset D --model M --samples S --out M.json
    python -m benchmark.commands.evaluate --config P --fid-variant clean reference|samples ...
    python -m benchmark.commands.evaluate --config P floor --dataset D --kind training_images --out M.json

The features (a registry entry: Inception-v3 pool3 or the offline classifier), the FID variant,
the number of samples and the PRD settings come from the preset's ``evaluation`` section; the
sampling protocol is the model's (:func:`benchmark.config.sampling_protocol`: its method's own, or
the preset's ``evaluation.sampling`` override).  The metrics file holds ``fid`` (under that
protocol, named by ``sampling``), one ``fid_<protocol>`` per sampling protocol (``fid_authors``,
``fid_eval``) and PRD for the model's protocol only.  Samples of a diverged run
give a metrics file with ``"status": "diverged"`` and no numbers.  Every metrics file records its
``provenance`` (see :mod:`benchmark.provenance`).  ``--fid-variant`` evaluates under another FID
resize variant than the preset's (its own reference statistics; the protocol sensitivity of
:mod:`benchmark.sensitivity`).  The metric computations themselves live in :mod:`benchmark.metrics`.
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
from benchmark.config import load_config, sampling_protocol
from benchmark.data import dataset_info
from benchmark.evaluation import extractor_for, real_images, reference_statistics
from benchmark.floors import FLOORS, evaluate_floor
from benchmark.joblog import announce
from benchmark.metrics.evaluate import default_curve_path, evaluate_samples, first_n
from benchmark.metrics.fid import fid_from_features, inception_weights_file
from benchmark.metrics.prd import save_prd_curve
from benchmark.metrics.registry import FEATURES
from benchmark.provenance import provenance
from benchmark.sensitivity import evaluation_config
from benchmark.torch_files import load_torch_file
from models.sampling import SAMPLING_PROTOCOLS


def fetch_inception(config: dict) -> Path:
    """Put pytorch-fid's Inception weights at the preset's path (downloading them when the
    preset allows) and check their SHA-256."""
    return inception_weights_file(paths.feature_weights(config, "", "inception"), download=config["download"])


def write_reference(config: dict, dataset: str) -> Path:
    """Compute the real statistics of ``dataset`` and record them at the workflow's path."""
    extractor = extractor_for(config, dataset)
    _, mu, sigma = reference_statistics(config, dataset, extractor)
    target = paths.reference_stats(config, dataset)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, mu=mu, sigma=sigma, features=extractor.space, weights_sha256=extractor.weights_sha256)
    return target


SAMPLE_STATUSES = ("completed", "diverged")


def read_samples(dataset: str, samples_path: Path) -> dict:
    """The samples file's payload, checked: a known status, made for ``dataset``, and (when
    completed) uint8 images ``(N, C, S, S)`` of the dataset's shape.  Loads without running code;
    raises ``ValueError`` naming the file and the problem."""
    fix = paths.redo_hint(samples_path)
    payload = load_torch_file(samples_path, "samples file", fix)
    if not isinstance(payload, dict) or payload.get("status") not in SAMPLE_STATUSES:
        status = payload.get("status") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(f"samples file {samples_path}: status {status!r} is not one of {SAMPLE_STATUSES}. {fix}")
    made_for = (payload.get("meta") or {}).get("dataset", dataset)
    if made_for != dataset:
        raise ValueError(f"samples file {samples_path} holds samples of a model trained on {made_for!r}, "
                         f"not {dataset!r}; pass --dataset {made_for} or the samples of a {dataset} model")
    if payload["status"] == "completed":
        by_sampling = payload.get("images_by_sampling")
        sets = [("images", payload.get("images"))]
        sets += [(f"images_by_sampling[{p!r}]", i) for p, i in by_sampling.items()] if isinstance(by_sampling, dict) else []
        shape = dataset_info(dataset).shape
        for name, images in sets:
            if not (isinstance(images, torch.Tensor) and images.dtype == torch.uint8 and images.dim() == 4
                    and tuple(images.shape[1:]) == shape):
                found = (f"{images.dtype} {tuple(images.shape)}" if isinstance(images, torch.Tensor)
                         else type(images).__name__)
                raise ValueError(f"samples file {samples_path}: {name} must be uint8 "
                                 f"(N, {', '.join(map(str, shape))}), found {found}. {fix}")
        if not isinstance(by_sampling, dict) or set(by_sampling) != set(SAMPLING_PROTOCOLS):
            raise ValueError(f"samples file {samples_path} lacks the images of the sampling protocols "
                             f"{SAMPLING_PROTOCOLS}; rerun `python -m benchmark.commands.sample` (the workflow's "
                             f"sample rule). {fix}")
    return payload


def evaluate_file(config: dict, dataset: str, model: str, samples_path: Path, out: Path) -> dict:
    """FID and PRD of a samples file of the preset's ``model`` (see :mod:`benchmark.commands.sample`)
    against the test split, under the model's sampling protocol, plus the FID of every protocol;
    write and return the metrics.  A samples file drawn under another protocol (its grid and
    interpolation would not match) raises ``ValueError`` asking to redo it."""
    payload = read_samples(dataset, samples_path)
    evaluation = config["evaluation"]
    chosen = sampling_protocol(config, model)
    if payload["status"] == "completed" and payload.get("sampling") != chosen:
        raise ValueError(f"samples file {samples_path} was drawn under sampling {payload.get('sampling')!r}, "
                         f"but {model}'s protocol in this preset is {chosen!r}. {paths.redo_hint(samples_path)}")
    metrics = {"status": payload["status"], "dataset": dataset, "features": evaluation["features"],
               "fid_variant": evaluation["fid_variant"], "fid_label": FEATURES[evaluation["features"]].label,
               "num_samples": evaluation["num_samples"], "sampling": chosen}
    if payload["status"] == "completed":
        extractor = extractor_for(config, dataset)
        batch_size = evaluation["batch_size"]
        samples = {p: first_n(images, evaluation["num_samples"], f"samples file {samples_path} ({p})")
                   for p, images in payload["images_by_sampling"].items()}
        numbers, prd = evaluate_samples(samples[chosen], real_images(config, dataset), extractor, config["cache_dir"],
                                        batch_size, prd_runs=evaluation["prd_runs"])
        metrics.update(numbers)
        _, mu, sigma = reference_statistics(config, dataset, extractor)
        for protocol, images in samples.items():
            metrics[f"fid_{protocol}"] = (numbers["fid"] if protocol == chosen else
                                          fid_from_features(extractor.features(images, batch_size), mu, sigma))
        save_prd_curve(prd, default_curve_path(out))
    metrics["provenance"] = provenance(config, [dataset])
    atomic_write_text(out, json.dumps(metrics, indent=2) + "\n")
    return metrics


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--fid-variant", help="FID resize variant to use instead of the preset's evaluation.fid_variant")
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("fetch-inception", help="verify (or download) the Inception weights")
    reference = steps.add_parser("reference", help="real test-split statistics of a dataset")
    reference.add_argument("--dataset", required=True)
    samples = steps.add_parser("samples", help="FID and PRD of a samples file")
    samples.add_argument("--dataset", required=True)
    samples.add_argument("--model", required=True, help="the preset's model the samples are of (its sampling protocol)")
    samples.add_argument("--samples", type=Path, required=True)
    samples.add_argument("--out", type=Path, required=True)
    floor = steps.add_parser("floor", help="FID and PRD of a reference row (training images, per-pixel Gaussian)")
    floor.add_argument("--dataset", required=True)
    floor.add_argument("--kind", required=True, choices=sorted(FLOORS))
    floor.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    announce(f"benchmark.commands.evaluate {args.step}")
    config = load_config(args.config)
    if args.fid_variant:
        config = evaluation_config(config, "fid_variant", args.fid_variant)
    if args.step == "fetch-inception":
        print(f"verified {fetch_inception(config)}")
    elif args.step == "reference":
        print(f"written {write_reference(config, args.dataset)}")
    elif args.step == "floor":
        print(json.dumps(evaluate_floor(config, args.dataset, args.kind, args.out)))
    else:
        print(json.dumps(evaluate_file(config, args.dataset, args.model, args.samples, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
