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
``provenance`` (see :mod:`benchmark.provenance`) and the ``evaluation_sha256`` of the settings it
was made under (:func:`benchmark.config.evaluation_sha256`, checked by the results store).  ``--fid-variant`` evaluates under another FID
resize variant than the preset's (its own reference statistics; the protocol sensitivity of
:mod:`benchmark.sensitivity`).  The metric computations themselves live in :mod:`benchmark.metrics`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmark import paths
from benchmark.atomic import atomic_path
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.evaluation import extractor_for, reference_statistics
from benchmark.floors import FLOORS, evaluate_floor
from benchmark.joblog import announce
from benchmark.metrics.fid import inception_weights_file
from benchmark.run_metrics import evaluate_file
from benchmark.sensitivity import evaluation_config


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
