"""The feature extractors behind FID, KID and PRD: one entry per extractor, holding everything
the suite needs to know about it (its label in tables, where a preset keeps its weights and how
to load them).  Adding an extractor is one entry here."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from benchmark.metrics.classifier import load_classifier
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import INCEPTION_WEIGHTS_ENV, INCEPTION_WEIGHTS_FILENAME, load_inception
from benchmark.metrics.pinned_classifiers import pinned_at, pinned_classifier, verify_pinned


@dataclass(frozen=True)
class FeatureEntry:
    """One feature extractor: ``name`` (the preset's ``evaluation.features``), ``label`` (the FID
    column), ``description`` (the tables' note), ``weights`` (the weights path of a preset for a
    dataset), ``load`` (weights path, device, resize -> extractor) and the ``resizes`` it accepts."""

    name: str
    label: str
    description: str
    weights: Callable[[dict, str], Path]
    load: Callable[[str | os.PathLike, str | torch.device, str], FeatureExtractor]
    resizes: tuple[str, ...] = ("legacy",)


def _inception_weights(config: dict, dataset: str) -> Path:
    """The preset's ``evaluation.inception_weights``, else ``$GLF_INCEPTION_WEIGHTS``, else
    ``<cache_dir>/weights/`` (where the workflow's download puts them)."""
    local = config["evaluation"]["inception_weights"] or os.environ.get(INCEPTION_WEIGHTS_ENV)
    return Path(local) if local else Path(config["cache_dir"]) / "weights" / INCEPTION_WEIGHTS_FILENAME


CLASSIFIER_FILE = "{dataset}-{key}.pt"  # the workflow's classifier rule matches it with both wildcards


def classifier_weights_pattern(config: dict) -> str:
    """``<cache_dir>/classifier/{dataset}-{key}.pt`` with the two names as Snakemake wildcards."""
    return str(Path(config["cache_dir"]) / "classifier" / CLASSIFIER_FILE)


def classifier_key(config: dict, dataset: str) -> str:
    """12 hex digits of a hash of every preset setting the classifier of ``dataset`` is trained by
    (the dataset's crop, ``evaluation.classifier_epochs`` and ``classifier_max_images``)."""
    evaluation = config["evaluation"]
    settings = {"dataset": dataset, "crop": config["datasets"][dataset]["crop"],
                "epochs": evaluation["classifier_epochs"], "max_images": evaluation["classifier_max_images"]}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def _classifier_weights(config: dict, dataset: str) -> Path:
    """The pinned classifier's committed file when one is pinned for these settings
    (:mod:`benchmark.metrics.pinned_classifiers`), else ``<cache_dir>/classifier/<dataset>-<key>.pt``
    (:func:`classifier_key`): presets sharing a cache_dir with other settings keep their own."""
    key = classifier_key(config, dataset)
    pinned = pinned_classifier(dataset, key)
    return pinned.path if pinned else Path(classifier_weights_pattern(config).format(dataset=dataset, key=key))


def features_pinned(config: dict, dataset: str) -> bool:
    """Whether the preset's features for ``dataset`` are pinned ones, the same on every machine:
    always for Inception (its pinned download), for the classifier only when its settings have a
    pinned file; FIDs from other features are on another scale."""
    if config["evaluation"]["features"] != "classifier":
        return True
    return pinned_classifier(dataset, classifier_key(config, dataset)) is not None


def _load_classifier(path: str | os.PathLike, device: str | torch.device) -> FeatureExtractor:
    """The classifier at ``path``, a pinned file checked against its pinned SHA-256 first."""
    pinned = pinned_at(path)
    if pinned:
        verify_pinned(pinned)
    return load_classifier(path, device)


FEATURES = {entry.name: entry for entry in (
    FeatureEntry("inception", "FID", "Inception-v3 pool3", _inception_weights,
                 lambda path, device, resize: load_inception(path, device, resize=resize),
                 resizes=("legacy", "clean")),
    FeatureEntry("classifier", "FID (classifier)", "offline classifier", _classifier_weights,
                 lambda path, device, resize: _load_classifier(path, device)),
)}


def feature_entry(name: str) -> FeatureEntry:
    """Return the registry entry ``name``; raise ``ValueError`` naming the registered ones."""
    if name not in FEATURES:
        raise ValueError(f"unknown features {name!r}; registered feature extractors: {sorted(FEATURES)}")
    return FEATURES[name]


def build_extractor(name: str, weights: str | os.PathLike | None, device: str | torch.device = "auto",
                    resize: str = "legacy", progress: bool = True) -> FeatureExtractor:
    """Return the extractor ``name`` loaded from ``weights`` (checked on load); ``resize`` is
    "legacy" or, where the entry accepts it, "clean" (clean-fid's resizer)."""
    entry = feature_entry(name)
    if weights is None:
        raise ValueError(f"{name} features need a weights file: {entry.description} weights")
    if resize not in entry.resizes:
        raise ValueError(f"{name} features take fid_variant {entry.resizes}, not {resize!r}")
    extractor = entry.load(weights, device, resize)
    extractor.progress = progress
    return extractor
