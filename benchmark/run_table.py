"""``runs.csv``: every trained run's values, one row per (model, dataset, seed), so that a reviewer
can recompute every table cell and claim test from the committed files.

:func:`run_rows` reads each run the results store found (Table 1's models, the figures' models
and the sensitivity variants alike; :func:`benchmark.results.load`): its status, epochs, final
FIDs (the preset's sampler and each uniform protocol), KID, PRD, mean seconds per stage-1 epoch
and the hashes that identify it (settings, training code, the commits it was trained and
evaluated at, the features' weights, the model file).  :func:`read_runs` reads the file back for
reviewers and tests, refusing a missing column, a non-numeric number or a duplicated run with
:class:`RunsFileError`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.data import dataset_info
from benchmark.errors import UserError
from benchmark.results import COMPLETED, DIVERGED, Results, Run, training_warnings

UNKNOWN = "unknown"
KEY = ["model", "dataset", "seed"]
NUMBERS = ["epochs", "fid", "fid_eval", "fid_authors", "kid", "prd_f8", "prd_f1_8", "seconds_per_epoch"]
COLUMNS = [*KEY, "status", *NUMBERS, "run_sha256", "code_sha256", "trained_commit", "evaluated_commit",
           "features_sha256", "model_sha256"]
FIDS = ("fid", "fid_eval", "fid_authors")


class RunsFileError(UserError, ValueError):
    """A ``runs.csv`` that cannot be read as the workflow writes it; the message names the problem."""


def commit_text(git: dict | None) -> str:
    """``<commit>`` of a provenance ``git`` record, ``-dirty`` appended when its tree had
    uncommitted changes; ``unknown`` when there is no record."""
    if not git or not git.get("commit"):
        return UNKNOWN
    return f"{git['commit']}{'-dirty' if git.get('dirty') else ''}"


def run_status(run: Run) -> str:
    """``finished``, ``finished, warned: <why>`` (:func:`benchmark.results.training_warnings`),
    ``diverged[ at epoch N]``, ``trained, not evaluated`` or ``not finished``."""
    if run.status == DIVERGED:
        return DIVERGED + (f" at epoch {run.diverged_at_epoch}" if run.diverged_at_epoch is not None else "")
    if run.finished:
        found = training_warnings(run.log, run.stage2_log, int(np.prod(dataset_info(run.dataset).shape)))
        return f"finished, warned: {'; '.join(found)}" if found else "finished"
    return "trained, not evaluated" if run.status == COMPLETED else "not finished"


def run_row(results: Results, run: Run) -> dict:
    """One row of ``runs.csv`` (columns :data:`COLUMNS`; a number the run lacks is NaN)."""
    model_file = results.model_file(run)
    meta = model_file.meta if model_file else {}
    metrics = run.metrics if run.finished else {}
    logged = run.log is not None and "seconds" in run.log.columns
    epochs = meta.get("epochs", int(run.log["epoch"].max()) if run.log is not None else np.nan)
    return {
        "model": run.model, "dataset": run.dataset, "seed": run.seed, "status": run_status(run), "epochs": epochs,
        **{key: float(metrics[key]) if key in metrics else np.nan for key in NUMBERS[1:-1]},
        "seconds_per_epoch": float(run.log["seconds"].mean()) if logged else np.nan,
        "run_sha256": meta.get("run_sha256", UNKNOWN), "code_sha256": meta.get("code_sha256", UNKNOWN),
        "trained_commit": commit_text((meta.get("trained") or {}).get("git")),
        "evaluated_commit": commit_text((run.metrics or {}).get("provenance", {}).get("git")),
        "features_sha256": (run.metrics or {}).get("features_sha256", UNKNOWN),
        "model_sha256": model_file.sha256 if model_file else UNKNOWN,
    }


def run_rows(results: Results) -> pd.DataFrame:
    """Every run the results store found, one row each (:func:`run_row`), in the order of the
    preset's models, datasets and seeds."""
    rows = [run_row(results, run) for runs in results.runs.values() for run in runs]
    return pd.DataFrame(rows, columns=COLUMNS)


def write_runs(results: Results, out: Path) -> Path:
    """Write ``<out>/runs.csv`` (:func:`run_rows`) atomically and return its path."""
    target = out / "runs.csv"
    atomic_write_text(target, run_rows(results).to_csv(index=False))
    return target


def read_runs(path: str | Path) -> pd.DataFrame:
    """``runs.csv`` as written by :func:`write_runs`, its numbers as floats (a blank cell: NaN, a
    run without that value).  Raises :class:`RunsFileError` naming the file and the problem when a
    column of :data:`COLUMNS` is missing, a number column holds text, or a (model, dataset, seed)
    appears twice."""
    path = Path(path)
    frame = pd.read_csv(path, dtype={"model": str, "dataset": str})
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise RunsFileError(f"{path} lacks the column(s) {', '.join(missing)}; rewrite it with the workflow "
                            f"(snakemake ... {path})")
    for column in ["seed", *NUMBERS]:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[numbers.isna() & frame[column].notna()]
        if len(bad):
            row = bad.iloc[0]
            what = "FID" if column in FIDS else "number"
            raise RunsFileError(f"{path}: '{column}' of {row['model']} on {row['dataset']} seed {row['seed']} is "
                                f"{row[column]!r}, not a {what}")
        frame[column] = numbers
    duplicated = frame[frame.duplicated(KEY, keep=False)]
    if len(duplicated):
        row = duplicated.iloc[0]
        raise RunsFileError(f"{path} holds {len(duplicated)} rows of {row['model']} on {row['dataset']} seed "
                            f"{int(row['seed'])}; one row per run")
    frame["seed"] = frame["seed"].astype(int)
    return frame
