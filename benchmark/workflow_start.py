"""What the workflow says and checks before its first job: the line naming the preset, its results
folder and its device; whether the preset needs a GPU this machine lacks; requested targets that lie
outside the preset's results folder; folders the jobs must write that this process cannot."""
from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Iterable

import torch

PERF_CSV = Path("results") / "perf.csv"  # the committed timings (python -m benchmark.commands.perf)
FORCE_CPU = "--config device=cpu"


def visible_gpus() -> int:
    """How many CUDA GPUs this process sees (``CUDA_VISIBLE_DEVICES`` applies)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def device_text(config: dict, gpus: int) -> str:
    """The device the preset's jobs train on here, e.g. ``"cuda (2 GPUs)"`` or ``"cpu (auto: no GPU found)"``."""
    device = config["device"]
    if device == "auto":
        return f"cuda ({gpus} GPU{'s' if gpus > 1 else ''})" if gpus else "cpu (auto: no GPU found)"
    return device


def banner(config: dict, gpus: int) -> str:
    """The first line of every run: preset, results folder, device."""
    return (f"glf-bench: preset {config['preset']}, results in {config['results_dir']}/, "
            f"device {device_text(config, gpus)}")


def requires_gpu(config: dict) -> bool:
    """Whether the preset is sized for GPUs: it asks each job for a GPU (``resources.gpus_per_job``)
    and does not force the CPU (``device`` is ``auto`` or ``cuda``)."""
    return config["resources"]["gpus_per_job"] > 0 and config["device"] != "cpu"


def measured_gpu_hours(perf_csv: Path = PERF_CSV) -> str | None:
    """The paper preset's GPU-hours as a committed perf table estimates them from timings on a GPU,
    e.g. ``"about 41.5 GPU-hours (NVIDIA H100, results/perf.csv)"``; ``None`` when no GPU row has one."""
    if not perf_csv.is_file():
        return None
    with perf_csv.open(newline="") as handle:
        for row in csv.DictReader(handle):
            device, hours = row.get("device") or "", row.get("paper_preset_hours_estimate") or ""
            if hours and not device.startswith("cpu"):
                return f"about {float(hours):,.1f} GPU-hours ({device}, {perf_csv})"
    return None


def no_gpu_message(config: dict, perf_csv: Path = PERF_CSV) -> str:
    """The one message a run of a GPU-sized preset on a machine without a GPU stops with: what the
    preset needs, the pipeline check that runs here, and the switch that forces the CPU."""
    hours = measured_gpu_hours(perf_csv) or "GPU-hours not measured (no GPU timing in results/perf.csv)"
    return (f"preset {config['preset']} is sized for GPUs (device: {config['device']}, "
            f"resources.gpus_per_job: {config['resources']['gpus_per_job']}; {hours}) and this machine has "
            f"none, so no job was started. For the pipeline check on a CPU run `make smoke`; to train this "
            f"preset on the CPU anyway add `{FORCE_CPU}`.")


def foreign_target_message(config: dict, targets: list[str], made: list[str]) -> str | None:
    """A message for the requested file ``targets`` that lie in the folder above the preset's
    ``results_dir`` but outside it (and outside its runs and cache folders), e.g.
    ``results/table1.csv`` under the smoke preset (``results/smoke``), naming that folder and some
    of the ``made`` files; ``None`` when every target is the preset's."""
    results_dir = Path(config["results_dir"])
    if len(results_dir.parts) < 2:  # the preset writes the top folder itself: no other preset's folder to confuse
        return None
    own = [results_dir, Path(config["runs_dir"]), Path(config["cache_dir"])]
    foreign = [t for t in targets if results_dir.parent in Path(t).parents
               and not any(folder in (Path(t), *Path(t).parents) for folder in own)]
    if not foreign:
        return None
    shown = ", ".join(made[:4]) + (f" and {len(made) - 4} more" if len(made) > 4 else "")
    return (f"{', '.join(foreign)}: not made by preset {config['preset']}, whose results go to {results_dir}/ "
            f"(it makes all, {shown}). Name a file there, or choose the preset that writes there with "
            f"`--configfile workflow/config/<preset>.yaml` after the targets.")


def unwritable_message(files: Iterable[str | os.PathLike]) -> str | None:
    """One line naming the folders that hold (or, not there yet, would hold) ``files`` (the outputs
    and logs of the jobs to run) where this process may not create, replace or delete a file: the
    nearest existing folder of each, with the fix; ``None`` when every one is writable.  Snakemake
    deletes and writes those files itself and would fail there with a PermissionError traceback."""
    refused = set()
    for folder in {Path(f).parent for f in files}:
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not os.access(existing, os.W_OK | os.X_OK):
            refused.add(str(existing))
    if not refused:
        return None
    return (f"cannot write in {', '.join(sorted(refused))}: permission denied (the jobs to run write or replace "
            f"files there); make {'it' if len(refused) == 1 else 'them'} writable (chmod u+w), or set the preset's "
            f"results_dir or runs_dir to a folder you can write")
