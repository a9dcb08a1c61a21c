"""What the train and second-stage commands share: reading the preset, the data and the model."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from benchmark import paths
from benchmark.config import RunConfig, load_config, resolve_run
from benchmark.data import ImageSet, content_md5, load_dataset


def run_arguments(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options that identify one run."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", required=True, help="workflow preset, e.g. workflow/config/smoke.yaml")
    parser.add_argument("--model", required=True, help="model name in the preset's 'models'")
    parser.add_argument("--dataset", required=True, help="dataset name in the preset's 'datasets'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-dir", type=Path, help="output folder (default: <runs_dir>/<dataset>/<model>/seed<seed>)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def load_run(args: argparse.Namespace) -> tuple[dict, RunConfig, Path]:
    """Validate the preset and resolve the run; return (config, run, run_dir)."""
    config = load_config(args.config)
    run = resolve_run(config, args.model, args.dataset, args.seed)
    run_dir = args.run_dir or paths.run_dir(config, args.dataset, args.model, args.seed)
    return config, run, run_dir


def load_training_images(config: dict, run: RunConfig) -> ImageSet:
    """The run's training split (first ``max_train_images`` images) as uint8 ``(N, C, S, S)``."""
    data = load_dataset(run.dataset, "train", config["data_root"], config["cache_dir"],
                        crop=run.crop, download=config["download"])
    return data.take(run.max_train_images)


def with_num_train(run: RunConfig, num_train: int) -> RunConfig:
    """The run with its model spec told the training-set size."""
    return dataclasses.replace(run, spec=dataclasses.replace(run.spec, num_train=num_train))


def run_identity(config: dict, run: RunConfig, images) -> dict:
    """What a run's checkpoint must match to be resumed: method, model spec (with its params),
    dataset, crop, image count, the training images' md5 and the numeric precision."""
    return {"model": run.model, "method": run.method, "spec": dataclasses.asdict(run.spec),
            "dataset": run.dataset, "crop": run.crop, "max_train_images": run.max_train_images,
            "num_train": int(images.shape[0]), "data_md5": content_md5(images),
            "precision": config["precision"]}
