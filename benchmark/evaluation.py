"""What evaluating under a preset needs, shared by the evaluate and train commands: the preset's
feature extractor, the real test images, their statistics and the FID tracker of training."""
from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from benchmark import paths
from benchmark.config import ConfigError, sampling_protocol, untrackable_reason
from benchmark.errors import FileMismatchError
from benchmark.metrics.classifier import (TRAINING_THREADS, ClassifierRecipe, make_recipe, read_recipe,
                                          save_classifier, sha256_file, train_classifier)
from benchmark.metrics.evaluate import first_n
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import fid_from_features, real_features_and_statistics
from benchmark.metrics import pinned_classifiers
from benchmark.metrics.pinned_classifiers import PinnedClassifier, pinned_at, repo_path, verify_pinned
from benchmark.metrics.registry import FEATURES, build_extractor
from benchmark.runs import load_split, load_training_images
from benchmark.sampling import generate
from benchmark.torch_files import UnreadableFileError
from models import MODELS
from models.base import GenerativeModel
from models.sampling import SAMPLING_PROTOCOLS


def _check_pinned(pinned: PinnedClassifier, recipe: ClassifierRecipe, config: dict) -> None:
    """Check the pinned classifier's file (its SHA-256: :class:`WeightsError` otherwise) and that
    ``recipe``, the one the preset's training images give, is the pinned one (else
    :class:`FileMismatchError` naming the fields that differ and the fix)."""
    verify_pinned(pinned)
    differing = [f"{k}: pinned {pinned.recipe.get(k)}, here {v}"
                 for k, v in asdict(recipe).items() if pinned.recipe.get(k) != v]
    if differing:
        raise FileMismatchError(
            f"the pinned classifier {repo_path(pinned.path)} was made by another recipe than the preset's "
            f"{pinned.dataset} training split gives ({'; '.join(differing)}): the training images under data_root "
            f"{config['data_root']} are not the pinned ones', or the recipe's code changed; prepare the dataset "
            f"again from its checksummed download, or pin a classifier of this recipe in "
            f"{repo_path(pinned_classifiers.REGISTRY_FILE)}.")


def ensure_classifier(config: dict, dataset: str) -> tuple[Path, bool]:
    """Train the preset's offline classifier of ``dataset`` unless its file already holds the same
    recipe (an unreadable file is moved aside and trained again); return its path and whether it
    was trained (a line says so first, then each epoch is reported as :func:`train_classifier`
    does).  The training split is read as every command reads it (the preset's ``crop``),
    ``evaluation.classifier_epochs`` and ``classifier_max_images`` come from the preset.  A
    classifier pinned for these settings is never trained: its committed file is checked
    (:func:`_check_pinned`) and returned."""
    evaluation = config["evaluation"]
    data = load_split(config, dataset, "train").take(evaluation["classifier_max_images"])
    recipe = make_recipe(dataset, data.images, data.labels, evaluation["classifier_epochs"])
    out = FEATURES["classifier"].weights(config, dataset)
    pinned = pinned_at(out)
    if pinned:
        _check_pinned(pinned, recipe, config)
        return out, False
    if read_recipe(out) == recipe:
        return out, False
    print(f"training the offline classifier of {dataset} for {out}: {recipe.epochs} epochs on "
          f"{len(data.images)} images (CPU, {TRAINING_THREADS} thread, whatever the job's threads and device; "
          f"not the pinned one: its FIDs are on another scale)", flush=True)
    model = train_classifier(data.images, data.labels, recipe, progress=config["progress"])
    save_classifier(model, recipe, out)
    return out, True


def extractor_for(config: dict, dataset: str, progress: bool | None = None) -> FeatureExtractor:
    """The preset's feature extractor for ``dataset`` (weights checked on load; progress bars as
    ``progress``, default the preset's ``progress``).  An unreadable offline classifier is moved
    aside and trained again here, so that no evaluation leaves its features missing."""
    evaluation = config["evaluation"]

    def build() -> FeatureExtractor:
        return build_extractor(evaluation["features"], paths.feature_weights(config, dataset), config["device"],
                               evaluation["fid_variant"], config["progress"] if progress is None else progress)

    try:
        return build()
    except UnreadableFileError as err:
        if evaluation["features"] != "classifier":
            raise
        print(f"{err} Training it now.", flush=True)
        ensure_classifier(config, dataset)
        return build()


def prepare_classifier(config: dict, dataset: str) -> str:
    """:func:`ensure_classifier` as a line saying which happened, with the file's SHA-256."""
    out, trained = ensure_classifier(config, dataset)
    said = (f"{out} is the pinned classifier" if pinned_at(out) else
            f"saved {out}" if trained else f"{out} already holds this classifier")
    return f"{said} (sha256 {sha256_file(out)})"


def real_images(config: dict, dataset: str) -> torch.Tensor:
    """The first ``evaluation.num_samples`` test images of ``dataset``, uint8 ``(N, C, S, S)``."""
    test = load_split(config, dataset, "test").images
    return first_n(test, config["evaluation"]["num_samples"], f"{dataset} test split")


def reference_statistics(config: dict, dataset: str, extractor: FeatureExtractor, real: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Features ``(N, d)``, mean ``(d,)`` and covariance ``(d, d)`` of the real test images (``real``
    when the caller holds them already, else loaded; computed once, then read from the
    content-keyed cache)."""
    real = real_images(config, dataset) if real is None else real
    return real_features_and_statistics(real, extractor, config["cache_dir"], config["evaluation"]["batch_size"])


def fid_tracker(config: dict, run, progress: bool = True):
    """An epoch callback ``(model, epoch) -> {"fid", "fid_authors", "fid_eval"}`` for the preset's
    run ``run`` (a :class:`benchmark.config.RunConfig`): every ``evaluation.eval_every`` epochs,
    ``evaluation.eval_samples`` samples under each sampling protocol, drawn as the sample command
    draws them (same seed, same batches), scored against the test split with the preset's features;
    ``fid`` is the preset's sampler's.  A method with a fitted second stage (RAE+GMM's GMM) is
    fitted, as its second stage does, on a copy of the model at each point, so that the last point
    equals the run's own evaluation when ``eval_samples`` equals ``num_samples``.  ``progress=False``
    keeps feature progress bars out of job logs.  A method with a trained second stage raises
    ``ConfigError`` (:func:`benchmark.config.untrackable_reason`)."""
    reason = untrackable_reason(run.method)
    if reason:
        raise ConfigError(f"model {run.model!r} has no FID curve: {reason}")
    evaluation = config["evaluation"]
    chosen = sampling_protocol(config, run.model)
    extractor = extractor_for(config, run.dataset, progress)
    _, mu, sigma = reference_statistics(config, run.dataset, extractor)
    fitted = MODELS[run.method].second_stage == "fit"
    images = load_training_images(config, run).images if fitted else None

    def track(model: GenerativeModel, epoch: int) -> dict[str, float]:
        if epoch % evaluation["eval_every"]:
            return {}
        sampler = model
        if fitted:
            sampler = copy.deepcopy(model)
            sampler.fit_second_stage(sampler.training_latents(images), run.seed)
        row = {f"fid_{protocol}": fid_from_features(extractor.features(
                   generate(sampler, evaluation["eval_samples"], run.seed, protocol=protocol),
                   evaluation["batch_size"]), mu, sigma)
               for protocol in SAMPLING_PROTOCOLS}
        return {"fid": row[f"fid_{chosen}"], **row}

    return track
