"""What evaluating under a preset needs, shared by the evaluate and train commands: the preset's
feature extractor, the real test images, their statistics and the FID tracker of training."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from benchmark import paths
from benchmark.config import sampling_protocol
from benchmark.metrics.classifier import make_recipe, read_recipe, save_classifier, sha256_file, train_classifier
from benchmark.metrics.evaluate import first_n
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import fid_from_features, real_features_and_statistics
from benchmark.metrics.registry import FEATURES, build_extractor
from benchmark.runs import load_split
from benchmark.sampling import generate
from benchmark.torch_files import UnreadableFileError
from models.base import GenerativeModel


def ensure_classifier(config: dict, dataset: str) -> tuple[Path, bool]:
    """Train the preset's offline classifier of ``dataset`` unless its file already holds the same
    recipe (an unreadable file is moved aside and trained again); return its path and whether it
    was trained (a line says so first, then each epoch is reported as :func:`train_classifier`
    does).  The training split is read as every command reads it (the preset's ``crop``),
    ``evaluation.classifier_epochs`` and ``classifier_max_images`` come from the preset."""
    evaluation = config["evaluation"]
    data = load_split(config, dataset, "train").take(evaluation["classifier_max_images"])
    recipe = make_recipe(dataset, data.images, data.labels, evaluation["classifier_epochs"])
    out = FEATURES["classifier"].weights(config, dataset)
    if read_recipe(out) == recipe:
        return out, False
    print(f"training the offline classifier of {dataset} for {out}: {recipe.epochs} epochs on "
          f"{len(data.images)} images ({config['device']})", flush=True)
    model = train_classifier(data.images, data.labels, recipe, config["device"], progress=config["progress"])
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
    said = f"saved {out}" if trained else f"{out} already holds this classifier"
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


def fid_tracker(config: dict, model_name: str, dataset: str, seed: int, progress: bool = True):
    """An epoch callback ``(model, epoch) -> {"fid": float}`` that logs an FID every
    ``evaluation.eval_every`` epochs from ``evaluation.eval_samples`` samples of the preset's model
    ``model_name`` under its sampling protocol (Figures 3 and 4); ``progress=False`` keeps its
    feature progress bars out of job logs."""
    evaluation = config["evaluation"]
    protocol = sampling_protocol(config, model_name)
    extractor = extractor_for(config, dataset, progress)
    _, mu, sigma = reference_statistics(config, dataset, extractor)

    def track(model: GenerativeModel, epoch: int) -> dict[str, float]:
        if epoch % evaluation["eval_every"]:
            return {}
        images = generate(model, evaluation["eval_samples"], seed, evaluation["batch_size"], protocol=protocol)
        return {"fid": fid_from_features(extractor.features(images, evaluation["batch_size"]), mu, sigma)}

    return track
