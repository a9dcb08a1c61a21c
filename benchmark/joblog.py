"""A job's log: its first line (which job, when, where: a SLURM job id or ``none``, the host), and
the old logs set aside before a workflow's jobs start, so that no log is ever shown as a job's
own that an earlier run wrote."""
from __future__ import annotations

import os
import shlex
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

PREVIOUS_SUFFIX = ".previous"


def announce(command: str) -> None:
    """Print the job's first log line to stdout: ``command`` with its arguments (model, dataset,
    seed: the job), the start time (UTC), the SLURM job id (``none`` outside SLURM), host and pid."""
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{shlex.join([command, *sys.argv[1:]])}: started {started} "
          f"SLURM_JOB_ID={os.environ.get('SLURM_JOB_ID', 'none')} host={socket.gethostname()} pid={os.getpid()}",
          flush=True)


def set_aside(logs: Iterable[str | os.PathLike]) -> list[Path]:
    """Rename each existing file of ``logs`` to ``<name>.previous`` (replacing an older one) and
    return the new paths: a job whose submission fails then has no log, never an earlier run's."""
    moved = []
    for log in map(Path, logs):
        if log.is_file():
            moved.append(log.replace(log.with_name(log.name + PREVIOUS_SUFFIX)))
    return moved
