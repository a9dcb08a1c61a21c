"""The offline classifiers pinned in the repository, like the Inception weights: each one a file in
``workflow/weights/`` listed in ``workflow/weights/classifiers.json`` with its dataset, the key of
the preset settings it was trained by (:func:`benchmark.metrics.registry.classifier_key`), its
SHA-256, its recipe and how it was made (on the CPU, one intra-op thread).  A preset whose
classifier settings have an entry loads that file, checked by its SHA-256, and never trains one;
a classifier trained for other settings is not the pinned one, and its FIDs are on another scale."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from benchmark.weights import WeightsError, sha256_file

REPO_ROOT = Path(__file__).resolve().parents[2]
REGISTRY_FILE = REPO_ROOT / "workflow" / "weights" / "classifiers.json"


@dataclass(frozen=True)
class PinnedClassifier:
    """One pinned classifier: its ``dataset`` and settings ``key``, the committed file at ``path``,
    its ``sha256``, the ``recipe`` the file holds, and the ``threads`` and ``device`` it was trained with."""

    dataset: str
    key: str
    path: Path
    sha256: str
    recipe: dict
    threads: int
    device: str


@functools.lru_cache(maxsize=None)
def _entries(registry_file: Path) -> dict[tuple[str, str], PinnedClassifier]:
    """The pinned classifiers of ``registry_file`` by (dataset, key); a file is named relative to
    the registry's folder."""
    listed = json.loads(registry_file.read_text())["classifiers"]
    return {(e["dataset"], e["key"]): PinnedClassifier(e["dataset"], e["key"], registry_file.parent / e["file"],
                                                       e["sha256"], e["recipe"], e["threads"], e["device"])
            for e in listed}


def pinned_classifier(dataset: str, key: str) -> PinnedClassifier | None:
    """The pinned classifier of ``dataset`` trained by the settings with ``key``; ``None`` when none is."""
    return _entries(REGISTRY_FILE).get((dataset, key))


def pinned_at(path: str | Path) -> PinnedClassifier | None:
    """The pinned classifier whose file is ``path``; ``None`` for any other file."""
    resolved = Path(path).resolve()
    return next((p for p in _entries(REGISTRY_FILE).values() if p.path.resolve() == resolved), None)


def repo_path(path: Path) -> str:
    """``path`` relative to the repository root when it lies inside it (as git names it), else whole."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def verify_pinned(pinned: PinnedClassifier) -> str:
    """Return the SHA-256 of the pinned file after checking it is the pinned one; raise
    :class:`WeightsError` naming the file, both hashes and how to restore it otherwise."""
    name = repo_path(pinned.path)
    if not pinned.path.exists():
        raise WeightsError(f"the pinned classifier {name} (sha256 {pinned.sha256}) is missing; "
                           f"restore it with `git checkout -- {name}`.")
    actual = sha256_file(pinned.path)
    if actual != pinned.sha256:
        raise WeightsError(f"the pinned classifier {name} has sha256 {actual}, but {repo_path(REGISTRY_FILE)} pins "
                           f"sha256 {pinned.sha256}: the file was changed; restore it with `git checkout -- {name}`.")
    return actual
