"""What the commands of one run share: reading the preset, the run's identity and its images."""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from pathlib import Path

from benchmark import paths
from benchmark.code_identity import training_code_sha256
from benchmark.paths import SELECTION_FILE
from benchmark.config import ConfigError, RunConfig, load_config, model_settings, resolve_run
from benchmark.data import ImageSet, content_md5, load_dataset
from benchmark.preset_data import dataset_root


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
    """Validate the preset and resolve the run; return (config, run, run_dir).  A model with a
    ``z_penalty_grid`` gets the value chosen in its selection file (:func:`benchmark.paths.selection`:
    its own run's, or the first seed's; :mod:`benchmark.commands.select_penalty`), which must exist."""
    config = load_config(args.config)
    run = resolve_run(config, args.model, args.dataset, args.seed)
    run_dir = args.run_dir or paths.run_dir(config, args.dataset, args.model, args.seed)
    if "z_penalty_grid" in model_settings(config, args.model):
        selection = Path(run_dir) / SELECTION_FILE if args.run_dir else paths.selection(config, args.dataset, args.model,
                                                                                         args.seed)
        if not selection.exists():
            raise FileNotFoundError(f"{selection} is missing: model {args.model!r} has a z_penalty_grid; run "
                                    f"`python -m benchmark.commands.select_penalty` for that run first")
        chosen = json.loads(selection.read_text())["chosen"]
        run = with_params(run, z_penalty=chosen)
    return config, run, run_dir


def load_split(config: dict, dataset: str, split: str) -> ImageSet:
    """A split of ``dataset`` as the preset prepares it (its ``crop``), uint8 ``(N, C, S, S)``:
    the one way every command (training, classifier, evaluation) reads images.  The original files
    are read from the dataset's own folder (:func:`benchmark.preset_data.dataset_root`), else
    ``data_root`` (where a download lands)."""
    root = dataset_root(config, dataset) or config["data_root"]
    return load_dataset(dataset, split, root, config["cache_dir"],
                        crop=config["datasets"][dataset]["crop"], download=config["download"])


def run_sha256(run: RunConfig) -> str:
    """SHA-256 of every resolved setting of ``run`` (model, method, dataset, seed, spec, training
    and second-stage settings, image count, crop): recorded in its model files, so that a file of
    another run, preset or settings is never sampled in its place."""
    return hashlib.sha256(json.dumps(dataclasses.asdict(run), sort_keys=True, default=repr).encode()).hexdigest()


def with_params(run: RunConfig, **params) -> RunConfig:
    """The run with ``params`` set in its model spec."""
    return dataclasses.replace(run, spec=dataclasses.replace(run.spec, params={**run.spec.params, **params}))


def _training_split(config: dict, run: RunConfig) -> ImageSet:
    return load_split(config, run.dataset, "train").take(run.max_train_images)


def load_training_images(config: dict, run: RunConfig) -> ImageSet:
    """The run's training split (first ``max_train_images`` images, less the last
    ``run.holdout_images``) as uint8 ``(N, C, S, S)``."""
    data = _training_split(config, run)
    return data.take(len(data) - run.holdout_images) if run.holdout_images else data


def held_out_images(config: dict, run: RunConfig) -> ImageSet:
    """The last ``run.holdout_images`` images of the run's training split (selection only)."""
    data = _training_split(config, run)
    if not 0 < run.holdout_images < len(data):
        raise ConfigError(f"cannot hold out {run.holdout_images} of {len(data)} training images; "
                         f"set evaluation.holdout_images below the training-set size")
    return ImageSet(data.images[-run.holdout_images:], None)


def with_num_train(run: RunConfig, num_train: int) -> RunConfig:
    """The run with its model spec told the training-set size."""
    return dataclasses.replace(run, spec=dataclasses.replace(run.spec, num_train=num_train))


def run_identity(config: dict, run: RunConfig, images) -> dict:
    """What a run's checkpoint must match to be resumed: method, model spec (with its params),
    dataset, crop, image count, the training images' md5, the numeric precision and the training
    code's SHA-256 (:func:`benchmark.code_identity.training_code_sha256`: weights trained by other
    code are never resumed)."""
    return {"model": run.model, "method": run.method, "spec": dataclasses.asdict(run.spec),
            "dataset": run.dataset, "crop": run.crop, "max_train_images": run.max_train_images,
            "num_train": int(images.shape[0]), "data_md5": content_md5(images),
            "precision": config["precision"], "code_sha256": training_code_sha256()}
