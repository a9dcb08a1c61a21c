"""Where a result came from: code version, library versions, device, preset, data and weights.

:func:`provenance` returns one JSON-ready dict that every metrics file and
``results/provenance.json`` carry; :func:`provenance_note` is the short form in table captions.
"""
from __future__ import annotations

import functools
import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import torch
import yaml

from benchmark import paths
from benchmark.config import evaluated_datasets
from benchmark.data import (
    CELEBA_PARTITION,
    CELEBA_ZIP,
    CELEBAHQ_FOLDER,
    CIFAR_ARCHIVE,
    IDX_FILES,
    DataError,
    celebahq_files,
    IDX_SOURCES,
    md5_file,
)
from benchmark.metrics.registry import features_pinned
from benchmark.weights import sha256_file

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("torch", "torchvision", "pytorch-fid", "scikit-learn", "numpy", "snakemake")
UNKNOWN = "unknown"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state() -> dict:
    """``{"commit": <40-hex or "unknown">, "dirty": bool | None}`` of the checkout holding the code
    (dirty = tracked files outside results/ differ from the commit: the outputs a run rewrites are
    no code; ``None`` when git cannot tell)."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results")
    return {"commit": commit or UNKNOWN, "dirty": None if status is None else bool(status)}


def package_versions() -> dict[str, str]:
    """Python's, CUDA's and each of :data:`PACKAGES`' installed version (``"not installed"`` when absent)."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["torch"] = torch.__version__  # with its build tag (e.g. +cu130), which metadata drops
    versions["cuda"] = torch.version.cuda or "none"
    return versions


def device_name(preference: str = "auto") -> str:
    """The GPU's name when the preset's device resolves to CUDA, else the CPU's description."""
    if preference != "cpu" and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"cpu: {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def process_provenance(device: str = "auto") -> dict:
    """What this process computes with: ``git`` (commit, dirty), ``device`` (:func:`device_name`),
    ``threads`` (torch's intra-op thread count, which changes CPU results in the last bits) and
    the ``torch`` version.  A model file records it as ``trained``."""
    return {"git": git_state(), "device": device_name(device), "threads": torch.get_num_threads(),
            "torch": str(torch.__version__)}


def preset_hash(config: dict) -> str:
    """SHA-256 of the validated preset (defaults filled, keys sorted): equal presets, equal hash."""
    return hashlib.sha256(yaml.safe_dump(dict(config), sort_keys=True).encode()).hexdigest()


def data_files(config: dict, dataset: str) -> list[Path]:
    """The original files a dataset is read from (see :mod:`benchmark.data`)."""
    root = Path(config["data_root"])
    if dataset in IDX_SOURCES:
        folder = root / IDX_SOURCES[dataset][0]
        return [folder / name for split in IDX_FILES.values() for name in split]
    if dataset == "cifar10":
        return [root / CIFAR_ARCHIVE]
    if dataset == "celebahq":
        try:
            return celebahq_files(root)
        except DataError:
            return [root / CELEBAHQ_FOLDER]
    return [root / CELEBA_ZIP, root / CELEBA_PARTITION]


@functools.lru_cache(maxsize=None)
def _md5(path: Path, size: int, mtime: float) -> str:
    return md5_file(path)


def data_checksums(config: dict, dataset: str) -> dict[str, str]:
    """``{file path: md5}`` of the dataset's original files; ``"missing"`` for a file not there
    (e.g. a CIFAR-10 folder unpacked by hand).  Each file is hashed once per process."""
    sums = {}
    for path in data_files(config, dataset):
        if path.exists():
            stat = path.stat()
            sums[str(path)] = _md5(path, stat.st_size, stat.st_mtime)
        else:
            sums[str(path)] = "missing"
    return sums


def feature_weights_sha256(config: dict, dataset: str) -> str:
    """SHA-256 of the preset's feature-extractor weights for ``dataset`` (``"missing"`` if absent)."""
    path = paths.feature_weights(config, dataset)
    return sha256_file(path) if path.exists() else "missing"


def provenance(config: dict, datasets: list[str] | None = None) -> dict:
    """Everything that identifies a result: ``git`` (commit, dirty), ``versions``, ``device``,
    ``threads``, ``preset`` (name, sha256), and per dataset its ``data`` md5s, ``feature_weights`` SHA-256
    and whether those are the pinned features (``features_pinned``: false for a classifier trained
    here for settings with no pinned file, whose FIDs are on another scale; ``datasets`` defaults
    to every dataset of the preset)."""
    datasets = list(config["datasets"]) if datasets is None else datasets
    return {
        "git": git_state(),
        "versions": package_versions(),
        "device": device_name(config["device"]),
        "threads": torch.get_num_threads(),
        "preset": {"name": config["preset"], "sha256": preset_hash(config)},
        "features": config["evaluation"]["features"],
        "deterministic": config["deterministic"],
        "data": {d: data_checksums(config, d) for d in datasets},
        "feature_weights_sha256": {d: feature_weights_sha256(config, d) for d in datasets},
        "features_pinned": {d: features_pinned(config, d) for d in datasets},
    }


PIPELINE_CHECK_NOTE = "pipeline check, numbers meaningless"


def pipeline_check_note(config: dict) -> str:
    """``"pipeline check, numbers meaningless; "`` for a preset with ``pipeline_check: true``, else ``""``."""
    return f"{PIPELINE_CHECK_NOTE}; " if config["pipeline_check"] else ""


UNPINNED_FEATURES_NOTE = "classifier not the pinned one: FIDs on another scale"


def unpinned_features_note(config: dict) -> str:
    """``"classifier not the pinned one: FIDs on another scale (<datasets>); "`` when the preset's
    features of a dataset it evaluates are not the pinned ones
    (:func:`benchmark.metrics.registry.features_pinned`), else ``""``."""
    unpinned = [d for d in evaluated_datasets(config) if not features_pinned(config, d)]
    return f"{UNPINNED_FEATURES_NOTE} ({', '.join(unpinned)}); " if unpinned else ""


def provenance_note(config: dict) -> str:
    """``[pipeline check, numbers meaningless; ][classifier not the pinned one: ...; ]commit <12 hex>[
    (dirty)], preset sha256 <12 hex>[, deterministic GPU algorithms]``: the provenance line of every caption."""
    state = git_state()
    dirty = " (dirty)" if state["dirty"] else ""
    mode = ", deterministic GPU algorithms" if config["deterministic"] else ""
    return (f"{pipeline_check_note(config)}{unpinned_features_note(config)}commit {state['commit'][:12]}{dirty}, "
            f"preset sha256 {preset_hash(config)[:12]}{mode}")
