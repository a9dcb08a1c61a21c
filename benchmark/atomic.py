"""Atomic file writes: a file either appears whole or not at all."""
from __future__ import annotations

import io
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _naming(path: Path, tmp_prefix: str) -> Iterator[None]:
    """Re-raise an operating-system error on the temporary file (refused, disk full) as the same
    error on ``path``, the file the user asked for; other errors pass unchanged."""
    try:
        yield
    except OSError as err:
        if err.filename is not None and not Path(err.filename).name.startswith(tmp_prefix):
            raise
        raise OSError(err.errno, err.strerror or str(err), str(path)) from err


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path`` (with the
    mode a plain ``open`` would give it under the umask, e.g. 0644).

    On an exception the temporary file is removed and ``path`` is left untouched; an
    operating-system error on the temporary file (a folder that cannot be written, a full disk)
    is raised naming ``path``.
    """
    path = Path(path)
    prefix = f".{path.name}."
    path.parent.mkdir(parents=True, exist_ok=True)
    with _naming(path, prefix):
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode open() would
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            yield tmp_path
            os.replace(tmp_path, path)
        finally:
            tmp_path.unlink(missing_ok=True)


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    """Save ``obj`` with ``torch.save`` so that ``path`` is never half-written.

    The object is serialised in memory first: saved to a path, ``torch.save`` writes the file's
    (here: the random temporary) name into the archive, so equal objects would get different
    bytes; from memory every save of equal objects gives the same bytes and the same hash."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
