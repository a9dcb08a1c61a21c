"""The SHA-256 of the code that turns a run's settings and images into weights: recorded in every
checkpoint's identity and model file, so that weights trained by other code are never resumed,
reused or sampled as this code's.

Hashed: every ``.py`` file of ``models/`` (the methods, their losses and architectures) and the
training modules of ``benchmark/`` named in :data:`TRAINING_MODULES` (the epoch loop, the stage
runner, the compiled step, the device's batch transform).  Not hashed, on purpose: what a run's
identity already pins by value (its resolved settings, ``run_sha256``; its images, ``data_md5``),
and the code that only reads, evaluates or reports weights (metrics, tables, figures, commands,
the preset's validation): an edit there re-evaluates or re-renders, it never retrains.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINING_MODULES = ("benchmark/trainer.py", "benchmark/stages.py", "benchmark/compiled_step.py", "benchmark/device.py")


def training_code_files(root: Path = ROOT) -> list[Path]:
    """The files whose text :func:`training_code_sha256` hashes, sorted: ``models/*.py`` and
    :data:`TRAINING_MODULES`, under ``root``."""
    return sorted([*(root / "models").glob("*.py"), *(root / name for name in TRAINING_MODULES)])


def code_sha256(files: list[Path], root: Path) -> str:
    """SHA-256 over each file's path relative to ``root`` and its bytes, in the given order."""
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}:{len(data)};".encode())
        digest.update(data)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def training_code_sha256() -> str:
    """The SHA-256 of the training code this process runs (:func:`training_code_files`), read once."""
    return code_sha256(training_code_files(), ROOT)
