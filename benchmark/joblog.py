"""The first line every command prints: where it runs (its log then shows a SLURM job id)."""
from __future__ import annotations

import os
import socket


def announce(command: str) -> None:
    """Print ``command``, the SLURM job id (``none`` outside SLURM) and the host to stdout."""
    print(f"{command}: SLURM_JOB_ID={os.environ.get('SLURM_JOB_ID', 'none')} host={socket.gethostname()}",
          flush=True)
