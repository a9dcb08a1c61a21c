"""What every command-line entry point shares: user errors end as one clear line, exit code 2."""
from __future__ import annotations

import functools
import sys
from typing import Callable

from benchmark.config import ConfigError
from benchmark.data import DataError
from benchmark.weights import WeightsError

USER_ERRORS = (ConfigError, DataError, WeightsError, FileNotFoundError, ValueError)


def reports_errors(main: Callable[[list[str] | None], int | None]) -> Callable[[list[str] | None], int]:
    """Wrap a ``main(argv)`` so that a user error (bad preset, missing data or weights, bad value)
    prints ``error: <message>`` to stderr and returns 2 instead of a traceback."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        try:
            return main(argv) or 0
        except USER_ERRORS as err:
            print(f"error: {err}", file=sys.stderr)
            return 2

    return run
