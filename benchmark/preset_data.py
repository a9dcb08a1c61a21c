"""Where a preset's dataset files are: found and checked before the first job that reads them, and
again by that job (``prepare_data``).

A preset reads each dataset's original files from the first folder that holds that dataset's, in
this order: ``data_root`` (project-local; downloads land there), the folder named by the environment
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


def dataset_root(config: dict, dataset: str) -> Path | None:
    """The first of :func:`candidate_roots` that holds every original file of ``dataset`` (each
    dataset is looked for on its own, e.g. ``<GLF_SHARED_DATA>/fashion-mnist/``); ``None`` when none does."""
    return next((root for root in candidate_roots(config) if not missing_files(dataset, root)), None)


def find_data_roots(config: dict, datasets: list[str],
                    online: Callable[[str], bool] = host_answers) -> dict[str, Path]:
    """The folder each of ``datasets`` is read from (see the module docstring): its
    :func:`dataset_root`, else ``data_root`` when the preset downloads and ``online(url)`` says its
    download host answers.  The IDX files found are checked against their checksums.

    Raises :class:`DataError` with one message naming the missing files of the datasets found
    nowhere (only those) and both fixes (a folder via ``GLF_SHARED_DATA``, or a download with
    internet), or the corrupt file."""
    own = Path(config["data_root"])
    roots: dict[str, Path] = {}
    for dataset in (d for d in datasets if d in FILE_DATASETS):
        found = dataset_root(config, dataset)
        if found is not None:
            _check_idx_checksums([dataset], found)
            roots[dataset] = found
    absent = [d for d in datasets if d in FILE_DATASETS and d not in roots]
    manual = [d for d in absent if download_url(d) is None]
    unreachable = [url for url in dict.fromkeys(download_url(d) for d in absent if download_url(d)) if not online(url)]
    if not absent or (config["download"] and not manual and not unreachable):
        return {**roots, **{d: own for d in absent}}
    missing = [path for d in absent for path in missing_files(d, own)]
    searched = ", ".join(str(r) for r in candidate_roots(config))
    reasons = []
    if manual:
        reasons.append(f"{', '.join(manual)} cannot be downloaded: get it by hand (README, Reproducing the paper)")
    if unreachable and config["download"]:
        reasons.append(f"no connection to {', '.join(unreachable)} (offline?)")
    if not config["download"]:
        reasons.append("the preset does not download (download: false)")
    raise DataError(
        f"dataset files not found: {', '.join(str(p) for p in missing)} (searched {searched}, each dataset in its "
        f"own folder); {'; '.join(reasons)}. Fix one of: (1) run with internet and download: true (add --config "
        f"download=true), which fetches them into {own}/ with pinned checksums; (2) put the original files in a "
        f"folder (layout in benchmark/data.py, e.g. <folder>/fashion-mnist/train-images-idx3-ubyte.gz) and set "
        f"{DATA_ENV}=<folder>.")


def _check_idx_checksums(datasets: list[str], root: Path) -> None:
    for dataset in datasets:
        if dataset in data.IDX_SOURCES:
            for split in data.SPLITS:
                for name in data.IDX_FILES[split]:
                    data.read_verified_gz(root / data.IDX_SOURCES[dataset][0] / name, dataset)
