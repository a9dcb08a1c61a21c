"""Reading files written by ``torch.save`` without letting them run code, and with messages that
name the file and the fix when they are truncated, corrupt or hostile; moving bad files aside."""
from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from benchmark.errors import UserError


class UnreadableFileError(UserError, ValueError):
    """A torch file is truncated, corrupt, or holds objects that loading would have to execute."""


def load_torch_file(path: str | os.PathLike, what: str, fix: str,
                    map_location: torch.device | str = "cpu") -> Any:
    """Return the object saved at ``path`` (tensors, numbers, strings, lists, dicts, ``None``).

    Loads with ``weights_only=True``, so a pickled payload is refused instead of run.  Raises
    :class:`UnreadableFileError` whose message names ``what`` (e.g. "model file"), ``path`` and
    ``fix`` (what the user should do); :class:`FileNotFoundError` when the file does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist. {fix}")
    if not zipfile.is_zipfile(path):
        raise UnreadableFileError(f"{what} {path} is truncated or not a torch file. {fix}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        detail = next((line for line in str(err).splitlines() if "Unsupported global" in line), "")
        raise UnreadableFileError(f"{what} {path} holds Python objects other than tensors, numbers and "
                                  f"strings; it was not loaded because loading it could run code "
                                  f"({detail.strip() or 'not a plain torch file'}). Only use files written "
                                  f"by this suite. {fix}") from None
    except (RuntimeError, EOFError, OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise UnreadableFileError(f"{what} {path} is corrupt ({str(err).splitlines()[0]}). {fix}") from None


def move_aside(path: str | os.PathLike, suffix: str = ".corrupt") -> Path:
    """Rename ``path`` to ``<name><suffix>`` (replacing an older one) and return the new path."""
    path = Path(path)
    target = path.with_name(path.name + suffix)
    os.replace(path, target)
    return target


def set_aside(path: str | os.PathLike, problem: str, then: str) -> str:
    """Move the bad file at ``path`` aside (``<name>.corrupt``); return one line for the user:
    ``problem``, where the file went and ``then`` (what happens instead).  A file that another
    process has already moved aside is left to it."""
    try:
        where = f"Moved aside to {move_aside(path)}"
    except FileNotFoundError:
        where = "Another process has moved it aside"
    return f"{problem.strip()} {where}; {then}"
