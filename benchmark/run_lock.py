"""One process per run directory: an exclusive lock file held while a run trains."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from benchmark.errors import UserError

LOCK_NAME = ".lock"


class RunBusyError(UserError, ValueError):
    """Another process holds the run directory's lock."""


@contextmanager
def run_lock(run_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold ``<run_dir>/.lock`` (an ``flock``, released by the kernel even when the holder is
    killed) for the ``with`` block; yield the lock file's path.

    Fails at once (no waiting) with :class:`RunBusyError` naming the holder's pid when another
    process holds it.
    """
    path = Path(run_dir) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise RunBusyError(f"run directory {path.parent} is in use by another process (pid {holder}, "
                           f"lock file {path}); wait for it to end or stop it, then rerun") from None
    try:
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        handle.truncate(0)
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def lock_holder(run_dir: str | os.PathLike) -> str | None:
    """The pid (as written in the lock file, ``unknown`` when empty) of the live process that holds
    ``<run_dir>/.lock``; ``None`` when no process holds it or there is no lock file (none is made)."""
    path = Path(run_dir) / LOCK_NAME
    try:
        handle = open(path, "r")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown"
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def busy_runs(files: Iterable[str | os.PathLike]) -> list[str]:
    """One line per folder holding one of ``files`` whose run lock a live process holds (each
    folder once, sorted): ``<folder> (pid <pid>)``; empty when none is busy."""
    folders = sorted({Path(f).parent for f in files})
    return [f"{folder} (pid {pid})" for folder in folders if (pid := lock_holder(folder)) is not None]
