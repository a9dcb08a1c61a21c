"""``python -m benchmark.commands.train_classifier``: train the offline feature classifier of one dataset
of a preset (skipped when its file already holds the same recipe; an unreadable file is moved
aside and trained again).

    python -m benchmark.commands.train_classifier --config PRESET --dataset D

It reads the training split as every other command does (the preset's ``crop`` included) and
takes ``evaluation.classifier_epochs`` and ``evaluation.classifier_max_images`` from the preset;
the weights go where the workflow and the evaluation look for them.
"""
from __future__ import annotations

import argparse
import sys

from benchmark.cli import reports_errors
from benchmark.config import ConfigError, load_config
from benchmark.evaluation import ensure_classifier
from benchmark.joblog import announce
from benchmark.metrics.fid import sha256_file


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="workflow preset, e.g. workflow/config/smoke.yaml")
    parser.add_argument("--dataset", required=True, help="dataset name in the preset's 'datasets'")
    args = parser.parse_args(argv)
    announce("benchmark.commands.train_classifier")
    config = load_config(args.config)
    if args.dataset not in config["datasets"]:
        raise ConfigError(f"dataset {args.dataset!r} is not in the preset; it has {sorted(config['datasets'])}")
    out, trained = ensure_classifier(config, args.dataset)
    print(f"saved {out}" if trained else f"{out} already holds this classifier", f"(sha256 {sha256_file(out)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
