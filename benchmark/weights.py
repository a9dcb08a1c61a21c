"""Pinned weights files: found at a local path or downloaded, always checked by SHA-256."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from benchmark.errors import UserError


class WeightsError(UserError, RuntimeError):
    """A weights file is missing, or its checksum differs from the pinned one."""


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Return the SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str) -> str:
    """Return the SHA-256 of ``path`` after checking it equals ``expected``; raise
    :class:`WeightsError` naming both hashes otherwise."""
    actual = sha256_file(path)
    if actual != expected:
        raise WeightsError(f"checksum mismatch for {path}: expected sha256 {expected}, but the file "
                           f"has sha256 {actual}. Delete it and put the original file there.")
    return actual


def pinned_file(path: str | os.PathLike, url: str, sha256: str, download: bool, how_to_point: str) -> Path:
    """Return ``path`` once its SHA-256 equals ``sha256``, downloading ``url`` there first when the
    file is missing and ``download`` is set.  A missing file raises :class:`WeightsError` saying
    where to download it, where to put it and ``how_to_point`` (the option naming another path)."""
    path = Path(path)
    if not path.exists():
        if not download:
            raise WeightsError(f"weights not found at {path}. Download {url} (sha256 {sha256}) and put it "
                               f"at {path}, or {how_to_point}.")
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(url, str(path), progress=True)
    verify_sha256(path, sha256)
    return path
