"""The end-to-end check against the authors' code: their ``train_glf.py`` and the suite's GLF
trained at the preset's settings on the same images for each seed, both drawn by the suite's
sampler under the authors' protocol (train-mode BatchNorm, batches of 500, each image min-max
stretched) and both scored by the preset's evaluator (``python -m benchmark.commands.compare_authors``
runs it; :mod:`benchmark.authors_report` writes the result)."""
from __future__ import annotations

import csv
import hashlib
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from benchmark.authors_code import (AUTHORS_DATASETS, FREIA_VERSION, AuthorsRun, load_authors_model,
                                    prepare_checkout, train_authors, write_torchvision_layout)
from benchmark import paths
from benchmark.authors_report import METRICS, SIDES
from benchmark.config import ConfigError, RunConfig, load_config, model_param, resolve_run, validate_config
from benchmark.metrics.registry import FEATURES, features_pinned
from benchmark.progress import EpochProgress
from benchmark.provenance import UNPINNED_FEATURES_NOTE, device_name, git_state
from benchmark.device import pick_device
from benchmark.errors import UserError
from benchmark.evaluation import extractor_for, prepare_classifier, real_images
from benchmark.metrics.evaluate import evaluate_samples
from benchmark.metrics.fid import sha256_file
from benchmark.model_io import load_model
from benchmark.runs import load_split, load_training_images
from benchmark.sampling import generate
from benchmark.stages import train_run
from models import MODELS
from models.flow import AUTHORS_INIT_STD

METRIC_KEYS = tuple(METRICS)
# The suite's GLF params and the only value the authors' train_glf.py has of each (checked where declared).
AUTHORS_SETTINGS = {"beta": 1.0, "flow_subnets": "separate", "flow_init_std": AUTHORS_INIT_STD,
                    "decoder_output": "tanh", "batchnorm_init": "ones"}


@dataclass(frozen=True)
class Comparison:
    """What to compare: the preset (validated, with any overrides), its GLF model and dataset,
    the seeds, the authors' checkout and the folder the runs go to."""

    config: dict
    model: str
    dataset: str
    seeds: list[int]
    authors_code: Path
    work_dir: Path


def comparison_config(path: str | Path, dataset: str, device: str | None = None, data_root: str | None = None,
                      max_images: int | None = None, num_samples: int | None = None, progress: bool = False) -> dict:
    """The preset at ``path``, validated, with the given overrides (``None`` keeps the preset's):
    the device, the data folder, the first ``max_images`` training images of ``dataset`` and the
    number of samples (and test images) per evaluation; ``progress``: tqdm bars (a terminal),
    else a line per epoch of each long step."""
    config = load_config(path)
    if dataset not in config["datasets"]:
        raise ConfigError(f"{path}: dataset {dataset!r} is not in the preset; it has {sorted(config['datasets'])}")
    overrides = {"device": device, "data_root": data_root}
    config.update({key: value for key, value in overrides.items() if value is not None}, progress=progress)
    if max_images is not None:
        config["datasets"][dataset]["max_train_images"] = max_images
    if num_samples is not None:
        config["evaluation"]["num_samples"] = num_samples
    return validate_config(config, source=str(path))


def check_expressible(config: dict, model: str, run: RunConfig) -> int:
    """The ``--decay`` (halve the LR every that many epochs) that gives their script the run's
    schedule; raise :class:`ConfigError` naming the setting their script cannot take."""
    if run.dataset not in AUTHORS_DATASETS:
        raise ConfigError(f"the authors' train_glf.py is compared on {sorted(AUTHORS_DATASETS)}, not {run.dataset!r}")
    method = config["models"][model]["method"]
    if method != "glf":
        raise ConfigError(f"model {model!r} is a {method!r} model; the authors' train_glf.py trains GLF: pass a glf model")
    declared = MODELS[method].declared_params
    for name, theirs in AUTHORS_SETTINGS.items():
        value = model_param(config, model, name)
        if name in declared and value != theirs:
            raise ConfigError(f"model {model!r} has {name} {value!r}; the authors' train_glf.py has only "
                              f"{theirs!r}: compare a GLF model with the authors' settings")
    milestones, epochs = run.train.lr_milestones, run.train.epochs
    decay = milestones[0] if milestones else epochs
    if run.train.lr_factors or milestones != list(range(decay, epochs, decay)):
        raise ConfigError(f"model {model!r} on {run.dataset}: LR milestones {milestones} (factors "
                          f"{run.train.lr_factors or 'halving'}) over {epochs} epochs are no halving every "
                          f"N epochs, the only schedule the authors' --decay gives")
    return decay


def authors_run(config: dict, model: str, run: RunConfig, device: torch.device, data_dir: Path,
                savedir: Path) -> AuthorsRun:
    """Their script's arguments for the suite's ``run`` (same epochs, schedule, batch, LR, latent
    size, flow width and blocks, seed) on ``device``, reading ``data_dir``, saving to ``savedir``
    (both made absolute: their script runs in the scratch copy of their code)."""
    decay = check_expressible(config, model, run)
    data_dir, savedir = data_dir.resolve(), savedir.resolve()
    arguments = {"dataset": AUTHORS_DATASETS[run.dataset][0], "dset_dir": str(data_dir),
                 "epochs": str(run.train.epochs), "batch_size": str(run.train.batch_size), "device": str(device),
                 "savedir": str(savedir), "loss_type": "MSE", "num_latent": str(run.spec.latent_dim),
                 "image_size": str(run.spec.image_size), "fc_dim": str(run.spec.flow_width),
                 "num_block": str(model_param(config, model, "flow_blocks")), "lr": repr(run.train.lr),
                 "decay": str(decay), "num_workers": "0", "seed": str(run.seed)}
    return AuthorsRun(arguments, savedir, run.train.epochs - 1)


def _suite_log(run_dir: Path) -> list[dict]:
    with open(run_dir / "train_log.csv") as handle:
        return [{key: float(value) for key, value in row.items() if value != ""} for row in csv.DictReader(handle)]


def compare(comparison: Comparison, report: Callable[[str], None] = print) -> list[dict]:
    """Train, draw ``evaluation.num_samples`` images of and score both sides for every seed; return
    one row per (side, seed): the metrics, the training seconds (per epoch too), the last epoch's
    reconstruction and NLL losses and the status.  Runs already done in ``work_dir`` are reused.
    What can fail before the first long step (the classifier's training) is checked first: their
    checkout and its patches, the settings their script takes, the runs folder, the data."""
    config, dataset, model = comparison.config, comparison.dataset, comparison.model
    device = pick_device(config["device"])
    evaluation = config["evaluation"]
    work_dir = comparison.work_dir.resolve()
    rows = []
    with tempfile.TemporaryDirectory(prefix="authors-code-") as scratch:
        code = prepare_checkout(comparison.authors_code, Path(scratch).resolve())
        data_dir = Path(scratch).resolve() / "data"
        runs = {seed: resolve_run(config, model, dataset, seed) for seed in comparison.seeds}
        theirs = {seed: authors_run(config, model, run, device, data_dir, work_dir / "authors" / f"seed{seed}")
                  for seed, run in runs.items()}
        require_writable(work_dir, "the runs folder (--work-dir, default <runs_dir>/compare-authors)")
        train, test = load_training_images(config, runs[comparison.seeds[0]]), load_split(config, dataset, "test")
        write_torchvision_layout(data_dir / AUTHORS_DATASETS[dataset][1],
                                 {"train": (train.images, train.labels), "test": (test.images, test.labels)})
        if evaluation["features"] == "classifier":
            report(prepare_classifier(config, dataset))
        extractor = extractor_for(config, dataset, progress=False)
        real = real_images(config, dataset)
        for seed, run in runs.items():
            for side in SIDES:
                run_dir = work_dir / side / f"seed{seed}"
                report(f"{side} seed {seed}: training {run.train.epochs} epochs on {len(train)} images ({device})")
                if side == "suite":
                    result = train_run(config, run, run_dir, progress=config["progress"])
                    log = _suite_log(run_dir)
                    status, seconds = result.status, sum(row["seconds"] for row in log)
                    trained, _ = load_model(run_dir / "model.pt", device)
                else:
                    bar = EpochProgress(f"authors seed {seed}", run.train.epochs, config["progress"])
                    record = train_authors(code, theirs[seed], run_dir / "train.log", on_epoch=lambda epoch: bar.epoch_done(
                        recon=f"{epoch['recon']:.4g}", nll=f"{epoch['nll']:.4g}"))
                    bar.close()
                    log, status, seconds = record["epochs"], "completed", record["seconds"]
                    trained = load_authors_model(code, theirs[seed], run.spec, device)
                row = {"side": side, "seed": seed, "status": status, "train_seconds": seconds,
                       "seconds_per_epoch": seconds / max(len(log), 1),
                       "final_recon": log[-1]["recon"] if log else math.nan,
                       "final_nll": log[-1]["nll"] if log else math.nan}
                if status == "completed":
                    report(f"{side} seed {seed}: drawing and scoring {evaluation['num_samples']} samples")
                    images = generate(trained, evaluation["num_samples"], seed, protocol="authors")
                    metrics, _ = evaluate_samples(images, real, extractor, config["cache_dir"],
                                                  evaluation["batch_size"], prd_runs=evaluation["prd_runs"])
                    row.update({key: metrics[key] for key in METRIC_KEYS})
                else:
                    row.update(dict.fromkeys(METRIC_KEYS, math.nan))
                report(f"{side} seed {seed}: FID {row['fid']:.2f} ({seconds:.0f} s of training)")
                rows.append(row)
    return rows


class NotWritable(ValueError):
    """A folder the comparison writes to cannot be made or written."""


def require_writable(folder: Path, what: str) -> None:
    """Make ``folder`` (and its parents) and write and remove a probe file in it; raise
    :class:`NotWritable` naming ``what`` and the folder when either fails."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as err:
        raise NotWritable(f"{what} {folder} cannot be written ({err.strerror or err}): pass a folder you can "
                          f"write") from None


def report_context(comparison: Comparison) -> dict[str, str]:
    """The settings and provenance the report lists: preset, training settings, images, samples,
    features (the offline classifier's file and SHA-256 when it scores, marked when it is not the
    pinned one), the authors' checkout and
    FrEIA, the suite's commit, device and torch, runs folder."""
    config = comparison.config
    weights = paths.feature_weights(config, comparison.dataset)
    features = FEATURES[config["evaluation"]["features"]].label
    if config["evaluation"]["features"] == "classifier":
        features += f" ({weights}, sha256 {sha256_file(weights) if weights.exists() else 'missing'})"
        features += "" if features_pinned(config, comparison.dataset) else f"; {UNPINNED_FEATURES_NOTE}"
    run = resolve_run(config, comparison.model, comparison.dataset, comparison.seeds[0])
    state = git_state()
    max_images = config["datasets"][comparison.dataset]["max_train_images"]
    return {
        "preset": f"{config['preset']} (model {comparison.model}, dataset {comparison.dataset})",
        "training": f"{run.train.epochs} epochs, LR {run.train.lr} halved after epochs {run.train.lr_milestones} "
                    f"(authors: --decay), batch {run.train.batch_size}, latent {run.spec.latent_dim}, flow width "
                    f"{run.spec.flow_width}, seeds {comparison.seeds}",
        "training images": f"the first {max_images}" if max_images else "all",
        "samples per run": f"{config['evaluation']['num_samples']} (against as many test images)",
        "features": features,
        "authors' code": f"{comparison.authors_code} at {checkout_identity(comparison.authors_code)}, "
                         f"FrEIA {freia_version()}",
        "suite": f"commit {state['commit']}" + (" (dirty)" if state["dirty"] else ""),
        "device": f"{device_name(config['device'])}, torch {torch.__version__}",
        "runs": str(comparison.work_dir.resolve()),
    }


def checkout_identity(path: Path) -> str:
    """The commit of the authors' checkout when it is a git checkout (``<hash>``, ``(modified)``
    when its files differ), else the SHA-256 of its ``train_glf.py``."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=30)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit and Path(git("rev-parse", "--show-toplevel") or "/nonexistent").resolve() == path.resolve():
        return commit + (" (modified)" if git("status", "--porcelain") else "")
    digest = hashlib.sha256((path / "train_glf.py").read_bytes()).hexdigest()
    return f"not a git checkout; train_glf.py sha256 {digest[:16]}"


def freia_version() -> str:
    """The installed FrEIA's version, or ``"not installed"``."""
    from importlib import metadata
    try:
        return metadata.version("FrEIA")
    except metadata.PackageNotFoundError:
        return "not installed"


class MissingFreia(UserError, ValueError):
    """FrEIA, which the authors' code imports, is not installed."""


FREIA_IMPORT = "import FrEIA.framework, FrEIA.modules"


def require_freia() -> None:
    """Raise :class:`MissingFreia` with the install command when FrEIA is missing or does not
    import (tried in a fresh interpreter, as their script imports it)."""
    install = (f"pip install -e '.[authors]' (or pip install FrEIA=={FREIA_VERSION}; `make compare-authors` "
               f"does it)")
    if freia_version() == "not installed":
        raise MissingFreia(f"the authors' code needs FrEIA {FREIA_VERSION}: {install}")
    tried = subprocess.run([sys.executable, "-c", FREIA_IMPORT], capture_output=True, text=True, timeout=300)
    if tried.returncode != 0:
        last = (tried.stderr.strip().splitlines() or ["no message"])[-1]
        raise MissingFreia(f"FrEIA {freia_version()} is installed but `{FREIA_IMPORT}` fails ({last}); the authors' "
                           f"code needs FrEIA {FREIA_VERSION}: {install}")
