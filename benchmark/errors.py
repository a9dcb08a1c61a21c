"""The suite's own errors for input a user can fix: the command-line entry points
(:mod:`benchmark.cli`) print them as one line and exit 2; any other exception is a bug and keeps
its traceback."""
from __future__ import annotations


class UserError(Exception):
    """Bad input the user can fix (a preset, a data, weights or run file, a busy run); the message
    names the problem, the file or key and the fix."""


class ConfigError(UserError, ValueError):
    """The preset does not match the schema or names something that does not exist."""


class FileMismatchError(UserError, ValueError):
    """A file loads but is not the one this step needs (another run's model, samples of another
    dataset or protocol, a classifier of other images); the message names it and how to redo it."""
