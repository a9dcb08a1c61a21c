"""Where a preset's dataset files are, found and checked when the workflow is planned, before any job.

A preset reads its original dataset files from the first folder that holds all of them, in this
order: ``data_root`` (project-local; downloads land there), the folder named by the environment
variable ``GLF_SHARED_DATA``, then each of ``data_root_fallbacks`` (e.g. ``../shared/data``).
When none holds them and the preset says ``download: true``, they are downloaded into
``data_root`` with pinned checksums, if the download host answers.  Otherwise one message names
both fixes.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from benchmark import data
from benchmark.data import DataError

DATA_ENV = "GLF_SHARED_DATA"
FILE_DATASETS = (*data.IDX_SOURCES, "cifar10", "celeba")  # the datasets read from original files


def missing_files(dataset: str, root: Path) -> list[Path]:
    """The original files of ``dataset`` (both splits) that ``root`` lacks; a folder stands for
    the files it may replace (CIFAR-10's extracted batches, CelebA's extracted images)."""
    if dataset in data.IDX_SOURCES:
        folder = root / data.IDX_SOURCES[dataset][0]
        return [folder / name for split in data.SPLITS for name in data.IDX_FILES[split] if not (folder / name).is_file()]
    if dataset == "cifar10":
        folder = root / "cifar10"
        present = (folder / data.CIFAR_ARCHIVE).is_file() or (folder / data.CIFAR_FOLDER).is_dir()
        return [] if present else [folder / data.CIFAR_ARCHIVE]
    if dataset == "celeba":
        folder = root / "celeba"
        images = (folder / data.CELEBA_ZIP).is_file() or (folder / data.CELEBA_FOLDER).is_dir()
        return ([] if images else [folder / data.CELEBA_ZIP]) + \
            ([] if (folder / data.CELEBA_PARTITION).is_file() else [folder / data.CELEBA_PARTITION])
    return []  # synthetic data needs no file


def download_url(dataset: str) -> str | None:
    """The first URL a dataset is downloaded from; ``None`` when it cannot be downloaded (CelebA,
    whose Google Drive quota fails) or needs no file."""
    if dataset in data.IDX_SOURCES:
        return data.IDX_SOURCES[dataset][1].mirrors[0]
    if dataset == "cifar10":
        return data.tv_datasets.CIFAR10.url
    return None


def host_answers(url: str, timeout: float = 5.0) -> bool:
    """Whether a TCP connection to the host of ``url`` opens within ``timeout`` seconds."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def candidate_roots(config: dict) -> list[Path]:
    """The folders searched for the dataset files, in order: ``data_root``, ``$GLF_SHARED_DATA``
    (when set), then ``data_root_fallbacks``."""
    env = os.environ.get(DATA_ENV)
    roots = [config["data_root"], *([env] if env else []), *config["data_root_fallbacks"]]
    return [Path(r) for r in dict.fromkeys(roots)]


def find_data_root(config: dict, online: Callable[[str], bool] = host_answers) -> Path:
    """The folder the preset's datasets are read from (see the module docstring): the first of
    :func:`candidate_roots` that holds every file of every dataset of the preset, else
    ``data_root`` when the preset downloads and ``online(url)`` says each download host answers.
    The IDX files found are checked against their checksums.

    Raises :class:`DataError` with one message naming every missing file and both fixes (a folder
    via ``GLF_SHARED_DATA``, or a download with internet), or the corrupt file."""
    datasets = [d for d in config["datasets"] if d in FILE_DATASETS]
    roots = candidate_roots(config)
    for root in roots:
        if not any(missing_files(d, root) for d in datasets):
            _check_idx_checksums(datasets, root)
            return root
    own = Path(config["data_root"])
    missing = [path for d in datasets for path in missing_files(d, own)]
    manual = [d for d in datasets if missing_files(d, own) and download_url(d) is None]
    hosts = [download_url(d) for d in datasets if missing_files(d, own) and download_url(d)]
    unreachable = [url for url in dict.fromkeys(hosts) if not online(url)]
    if config["download"] and not manual and not unreachable:
        return own
    searched = ", ".join(str(r) for r in roots)
    reasons = []
    if manual:
        reasons.append(f"{', '.join(manual)} cannot be downloaded: get it by hand (README, Reproducing the paper)")
    if unreachable and config["download"]:
        reasons.append(f"no connection to {', '.join(unreachable)} (offline?)")
    if not config["download"]:
        reasons.append("the preset does not download (download: false)")
    raise DataError(
        f"dataset files not found: {', '.join(str(p) for p in missing)} (searched {searched}); "
        f"{'; '.join(reasons)}. Fix one of: (1) run with internet and download: true (add --config download=true), "
        f"which fetches them into {own}/ with pinned checksums; (2) put the original files in a folder (layout in "
        f"benchmark/data.py, e.g. <folder>/fashion-mnist/train-images-idx3-ubyte.gz) and set {DATA_ENV}=<folder>.")


def _check_idx_checksums(datasets: list[str], root: Path) -> None:
    for dataset in datasets:
        if dataset in data.IDX_SOURCES:
            for split in data.SPLITS:
                for name in data.IDX_FILES[split]:
                    data.read_verified_gz(root / data.IDX_SOURCES[dataset][0] / name, dataset)
