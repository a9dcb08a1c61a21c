"""The pinned weights files a preset needs, checked when the workflow is planned, before any job:
pytorch-fid's Inception-v3 under ``evaluation.features: inception``, the committed offline
classifier pinned for its settings under ``evaluation.features: classifier`` and torchvision's
VGG16 for the perceptual-loss models it trains.  A wrong file would otherwise be found only when a job first
loads it: the Inception weights after every training job has run."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmark import paths
from benchmark.config import evaluated_datasets, resolve_run, uses_perceptual
from benchmark.metrics.fid import INCEPTION_WEIGHTS_SHA256, INCEPTION_WEIGHTS_URL
from benchmark.metrics.pinned_classifiers import pinned_at, repo_path
from benchmark.weights import WeightsError, sha256_file
from models import MODELS
from models.perceptual import VGG16_URL, WEIGHTS_ENV, default_weights_path


@dataclass(frozen=True)
class NeededWeights:
    """One weights file of a preset: ``path`` with its pinned ``sha256``, ``needed_by`` (who reads
    it), ``fetched`` (a job downloads it when it is missing), ``how_to_get`` it otherwise, and
    ``read_after_training`` (a missing file would stop the workflow only after training) and how to
    ``restore`` a file with another checksum."""

    path: Path
    sha256: str
    needed_by: str
    fetched: bool
    how_to_get: str
    read_after_training: bool
    restore: str = "Delete it and put the original file there."


def needed_weights(config: dict) -> list[NeededWeights]:
    """Every weights file the validated preset ``config`` reads: the Inception weights under
    Inception features, the pinned classifier of each evaluated dataset that has one under
    classifier features, one VGG16 file per (path, checksum) its perceptual-loss models use."""
    needed = []
    if config["evaluation"]["features"] == "classifier":
        for dataset in evaluated_datasets(config):
            pinned = pinned_at(paths.feature_weights(config, dataset))
            if pinned:
                name = repo_path(pinned.path)
                needed.append(NeededWeights(
                    pinned.path, pinned.sha256, f"the pinned classifier features of {dataset}", False,
                    f"restore it with `git checkout -- {name}`", read_after_training=True,
                    restore=f"Restore it with `git checkout -- {name}`."))
    if config["evaluation"]["features"] == "inception":
        needed.append(NeededWeights(
            paths.feature_weights(config, "", "inception"), INCEPTION_WEIGHTS_SHA256,
            "the Inception features (evaluation.features: inception)", config["download"],
            f"download {INCEPTION_WEIGHTS_URL} there, point evaluation.inception_weights at the file, "
            f"or set download: true", read_after_training=True))
    vgg: dict[tuple[Path, str, bool], list[str]] = {}
    for model, dataset in paths.planned_runs(config):
        if uses_perceptual(config, model):
            run = resolve_run(config, model, dataset, config["seeds"][0])
            spec = run.spec.declaring(MODELS[run.method].declared_params)
            path = Path(spec.param("vgg_weights")) if spec.param("vgg_weights") else default_weights_path()
            vgg.setdefault((path, spec.param("vgg_sha256"), spec.param("vgg_download")), []).append(model)
    for (path, sha256, download), models in vgg.items():
        needed.append(NeededWeights(
            path, sha256, f"the perceptual loss of {', '.join(dict.fromkeys(models))}", download,
            f"run `python -m benchmark.commands.vgg_weights --download` ({VGG16_URL}), or point ${WEIGHTS_ENV} "
            f"or the model param vgg_weights at the file", read_after_training=False))
    return needed


def check_needed_weights(config: dict) -> list[str]:
    """Check the SHA-256 of every weights file the preset needs that is present; return one
    warning per missing file that no job downloads and that its jobs read as they start.

    Raises :class:`WeightsError` naming every file whose checksum differs, and every missing file
    that no job downloads and that is first read after training (the Inception weights), with the
    fix for each."""
    problems, warnings = [], []
    for weights in needed_weights(config):
        if weights.path.exists():
            actual = sha256_file(weights.path)
            if actual != weights.sha256:
                problems.append(f"checksum mismatch for {weights.path} (needed by {weights.needed_by}): expected "
                                f"sha256 {weights.sha256}, but the file has sha256 {actual}. {weights.restore}")
        elif not weights.fetched:
            message = (f"weights not found at {weights.path} (needed by {weights.needed_by}); "
                       f"{weights.how_to_get}.")
            if weights.read_after_training:
                problems.append(message)
            else:
                warnings.append(f"{message} Until then the jobs that need it fail as they start.")
    if problems:
        raise WeightsError("\n".join(["the preset's weights files are not ready, so no job was started:", *problems]))
    return warnings
