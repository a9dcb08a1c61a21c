"""What every command-line entry point shares: user errors end as one clear line, exit code 2;
any other exception is a bug and ends with its traceback."""
from __future__ import annotations

import errno
import functools
import sys
from typing import Callable

from benchmark.errors import UserError
from benchmark.trainer import TrainingInterrupted

# The suite's own errors (a bad preset, missing data or weights, a run's file that cannot be used, a
# busy run; benchmark.errors) and a file the suite names as missing; never a bare ValueError, which
# is a bug's and keeps its traceback.
USER_ERRORS = (UserError, FileNotFoundError)


def file_problem(err: OSError) -> str:
    """One line for an operating-system error on a file: which file (both of a rename), what went
    wrong, the fix."""
    where = " -> ".join(str(name) for name in (err.filename, err.filename2) if name is not None)
    if isinstance(err, PermissionError):
        fix = ("make its folder writable, or set the preset's results_dir, runs_dir or cache_dir to a "
               "folder you can write")
    elif err.errno == errno.ENOSPC:
        fix = "free space on its disk, or set the preset's results_dir, runs_dir or cache_dir to another disk"
    else:
        fix = "check the disk and the path"
    return f"cannot use {where or 'a file the operating system did not name'}: {err.strerror or err}; {fix}"


def reports_errors(main: Callable[[list[str] | None], int | None]) -> Callable[[list[str] | None], int]:
    """Wrap a ``main(argv)`` so that a user error (:data:`USER_ERRORS`, or a file the operating
    system refuses) prints ``error: <message>`` to stderr and returns 2 instead of a traceback;
    Ctrl-C in training prints its one line (where it stopped, where the next run resumes) and returns 130."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        try:
            return main(argv) or 0
        except TrainingInterrupted as err:
            print(err, file=sys.stderr, flush=True)
            return 130
        except USER_ERRORS as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except OSError as err:  # a folder of the preset not writable, a full or read-only disk
            print(f"error: {file_problem(err)}", file=sys.stderr)
            return 2

    return run
