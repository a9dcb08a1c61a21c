"""The one reader of what runs leave on disk: metrics, per-epoch logs, status and selection files.

:func:`load` reads every (model, dataset, seed) of a preset once into :class:`Results`; tables,
figures, claims and the report take what it returns and open no run file themselves.

One rule decides a run's status (:func:`run_status`): ``diverged`` when any of its status files
(stage 1, stage 2) or its metrics file says so, else ``completed`` when its metrics file or its
stage-1 status file says so, else ``not run``.  A diverged run's metrics are never used as
numbers.  A file that exists but cannot be read (empty, truncated, not JSON or CSV) raises
:class:`ResultsFileError` naming the file and the command that redoes it.

Summaries over seeds (:class:`Summary`: the finished seeds' values, the count of diverged ones,
mean, sample standard deviation with ddof 1, unknown for one seed) are what tables and claims
both use.

:func:`training_warnings` reads in a run's per-epoch logs whether its method trained as it needs
(a learned decoder scale that has settled, a second stage that has not collapsed); tables print
what it finds beside the numbers.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark import paths
from benchmark.config import evaluation_settings, evaluation_sha256, model_seeds, model_settings
from benchmark.data import dataset_info
from benchmark.errors import UserError
from benchmark.floors import FLOORS
from benchmark.metrics_check import metrics_problem
from benchmark.paths import SELECTION_FILE
from benchmark.sensitivity import Point, evaluation_config, metrics_file, points
from benchmark.torch_files import load_torch_file
from benchmark.variants import variant_models
from benchmark.weights import sha256_file
from models.sampling import SAMPLING_PROTOCOLS

COMPLETED, DIVERGED, NOT_RUN = "completed", "diverged", "not run"
GAMMA_SETTLED_RATIO = 1.1  # a learned gamma_x over 1.1 x the scale its fit supports has not settled
STAGE2_COLLAPSE_NATS = 0.1  # a trained second stage with a smaller KL passes its noise on unchanged
REFERENCE_DIR = Path(__file__).resolve().parent.parent / "workflow" / "reference"


class ResultsFileError(UserError, ValueError):
    """A run's file exists but cannot be read; the message names it and how to redo it."""


def _unreadable(path: Path, problem: str) -> ResultsFileError:
    return ResultsFileError(f"{path} is unreadable ({problem}). {paths.redo_hint(path)}")


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``; ``None`` when the file does not exist.  Raises
    :class:`ResultsFileError` when it is empty, not JSON or not an object."""
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _unreadable(path, "empty file" if path.stat().st_size == 0 else f"not JSON: {err}") from None
    if not isinstance(value, dict):
        raise _unreadable(path, f"a JSON {type(value).__name__}, not an object")
    return value


METRIC_NUMBERS = ("fid", "kid", "prd_f8", "prd_f1_8", "num_samples",
                  *(f"fid_{protocol}" for protocol in SAMPLING_PROTOCOLS))  # numbers wherever present


def read_metrics(path: Path, config: dict, model: str | None, dataset: str | None = None) -> dict | None:
    """The metrics file at ``path`` (:func:`read_json`) of the preset's ``model`` (``None``: a
    reference row), checked: made under the preset's evaluation settings (its
    ``evaluation_sha256``, :func:`benchmark.config.evaluation_sha256`; a file older than that
    record must name no other value of these settings), its ``status`` is
    ``completed`` or ``diverged``, each of :data:`METRIC_NUMBERS` it holds is a finite number and
    it fits the preset on ``dataset`` (:func:`benchmark.metrics_check.metrics_problem`: ranges,
    dataset, features and their weights, sampler).  Raises :class:`ResultsFileError` naming the file, the key and the value otherwise, so that no
    table ever prints or ranks a null, a string, an infinite FID or a number of other settings."""
    metrics = read_json(path)
    if metrics is None:
        return None
    expected, settings = evaluation_sha256(config, model), evaluation_settings(config, model)
    if "evaluation_sha256" in metrics:
        stale = metrics["evaluation_sha256"] != expected
    else:  # written before metrics files recorded the hash: judged by the settings it names
        stale = any(metrics[key] != value for key, value in settings.items() if key in metrics)
    if stale:
        settings = ", ".join(f"{k} {v}" for k, v in settings.items())
        raise ResultsFileError(
            f"{path} was made under other evaluation settings than the preset's ({settings}; its "
            f"evaluation_sha256 is {metrics.get('evaluation_sha256', 'not recorded')}, the preset's {expected}). "
            f"Evaluate it again: {paths.redo_hint(path)}")
    if metrics.get("status", COMPLETED) not in (COMPLETED, DIVERGED):
        raise _unreadable(path, f"'status' is {metrics['status']!r}, not {COMPLETED!r} or {DIVERGED!r}")
    for key in METRIC_NUMBERS:
        value = metrics.get(key)
        if key in metrics and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                   and math.isfinite(value)):
            raise _unreadable(path, f"'{key}' is {json.dumps(value)}, not a finite number")
    problem = metrics_problem(metrics, config, model, dataset)
    if problem:
        raise ResultsFileError(f"{path} does not fit the preset ({problem}); no table reads it. "
                               f"{paths.redo_hint(path)}")
    return metrics


def read_log(path: Path) -> pd.DataFrame | None:
    """A per-epoch log (one row per epoch, an ``epoch`` column); ``None`` when the file does not
    exist or holds no epoch yet.  Raises :class:`ResultsFileError` when it is empty (the trainer
    always writes a header), not a CSV with an ``epoch`` column, or holds a value that is no number
    (a blank cell is a missing value)."""
    if not path.exists():
        return None
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise _unreadable(path, "empty file" if path.stat().st_size == 0 else f"not a CSV: {err}") from None
    if "epoch" not in frame.columns:
        raise _unreadable(path, f"no 'epoch' column (columns: {list(frame.columns)})")
    if not len(frame):
        return None
    for column in frame.columns:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column][numbers.isna() & frame[column].notna()]
        if len(bad):
            raise _unreadable(path, f"column '{column}' holds {bad.iloc[0]!r}, not a number")
    return frame


def training_warnings(log: pd.DataFrame | None, stage2_log: pd.DataFrame | None, values_per_item: int) -> list[str]:
    """What a run's last logged epoch says its method did not train as it needs, as short phrases
    (empty when nothing): a learned decoder scale ``gamma_x`` (stage-1 log column) more than
    :data:`GAMMA_SETTLED_RATIO` times sqrt(recon / values_per_item), the scale that minimises the
    Gaussian loss for the same reconstruction error (``recon``: squared error summed per item), so
    still on its way down; a trained second stage whose ``kl`` (stage-2 log column, nats per item)
    is under :data:`STAGE2_COLLAPSE_NATS`: collapsed, its posterior is its prior."""
    found = []
    if log is not None and {"gamma_x", "recon"} <= set(log.columns):
        last = log.iloc[-1]
        supported = math.sqrt(float(last["recon"]) / values_per_item)
        if float(last["gamma_x"]) > GAMMA_SETTLED_RATIO * supported:
            found.append(f"gamma_x not settled ({float(last['gamma_x']):.3f} after {int(last['epoch'])} epochs, "
                         f"its reconstruction error supports {supported:.3f})")
    if stage2_log is not None and "kl" in stage2_log.columns:
        kl = float(stage2_log["kl"].iloc[-1])
        if kl < STAGE2_COLLAPSE_NATS:
            found.append(f"stage 2 collapsed (KL {kl:.3f} nats < {STAGE2_COLLAPSE_NATS})")
    return found


def run_status(train: dict | None, stage2: dict | None, metrics: dict | None) -> str:
    """The status of a run from its stage-1 and stage-2 status files and its metrics file (each
    ``None`` when absent): ``diverged`` if any says so, ``completed`` if the metrics or stage-1
    status say so, else ``not run``."""
    found = [d.get("status") for d in (train, stage2, metrics) if d is not None]
    if DIVERGED in found:
        return DIVERGED
    if (metrics is not None and metrics.get("status", COMPLETED) == COMPLETED) or \
            (train is not None and train.get("status") == COMPLETED):
        return COMPLETED
    return NOT_RUN


@dataclass(frozen=True)
class Run:
    """One (model, dataset, seed) as found on disk.  ``metrics`` is ``None`` until it is
    evaluated; ``log`` and ``stage2_log`` hold one row per finished epoch (``None`` when absent);
    ``selection`` is the penalty search's choice (RAE), if any."""

    model: str
    dataset: str
    seed: int
    status: str
    diverged_at_epoch: int | None
    metrics: dict | None
    log: pd.DataFrame | None
    stage2_log: pd.DataFrame | None
    selection: dict | None = None

    @property
    def finished(self) -> bool:
        """Completed and evaluated: its metrics are numbers to use."""
        return self.status == COMPLETED and self.metrics is not None


@dataclass(frozen=True)
class ModelFile:
    """A run's final model file as a reviewer checks it: its ``meta`` record (run_sha256,
    code_sha256, epochs, ``trained`` provenance when recorded; :mod:`benchmark.model_io`) and the
    file's ``sha256``."""

    path: Path
    meta: dict
    sha256: str


def read_model_file(path: Path) -> ModelFile | None:
    """The model file at ``path`` (its ``meta`` and sha256), ``None`` when it does not exist.  Raises
    :class:`benchmark.torch_files.UnreadableFileError` naming the file when it is corrupt."""
    if not path.exists():
        return None
    payload = load_torch_file(path, "model file", paths.redo_hint(path))
    meta = payload.get("meta") if isinstance(payload, dict) else None
    if not isinstance(meta, dict):
        raise _unreadable(path, "no 'meta' record")
    return ModelFile(path, meta, sha256_file(path))


def read_run(config: dict, dataset: str, model: str, seed: int) -> Run | None:
    """The run's files read once; ``None`` when it left nothing on disk."""
    run_dir = paths.run_dir(config, dataset, model, seed)
    metrics = read_metrics(paths.metrics(config, dataset, model, seed), config, model, dataset)
    train, stage2 = read_json(run_dir / "train_status.json"), read_json(run_dir / "stage2_status.json")
    log, stage2_log = read_log(run_dir / "train_log.csv"), read_log(run_dir / "stage2_log.csv")
    if metrics is None and train is None and stage2 is None and log is None:
        return None
    return Run(model, dataset, seed, run_status(train, stage2, metrics), (train or {}).get("diverged_at_epoch"),
               metrics, log, stage2_log, read_json(run_dir / SELECTION_FILE))


@dataclass(frozen=True)
class Summary:
    """A metric of one model over seeds: the finished seeds' values and how many seeds diverged;
    ``missing`` says why there is no value when there is none (``not run``, ``not evaluated``, ...),
    ``unit`` is printed after the numbers (e.g. ``s/epoch``)."""

    name: str
    values: list[float]
    diverged: int = 0
    missing: str = NOT_RUN
    unit: str = ""

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof 1); NaN (unknown) with fewer than two seeds."""
        return float(np.std(self.values, ddof=1)) if self.n > 1 else math.nan

    @property
    def status(self) -> str:
        """``ok`` with a finished seed, else ``diverged`` when a seed diverged, else why there is
        no value (``missing``: ``not run`` only when no run left a file)."""
        return "ok" if self.values else DIVERGED if self.diverged else self.missing

    def describe(self, digits: int = 2) -> str:
        """``name: mean ± std unit (n seeds, k diverged)``; the spread only with two or more seeds;
        without a value, why (diverged, else ``missing``)."""
        if not self.values:
            return f"{self.name}: {DIVERGED if self.diverged else self.missing}"
        spread = f" ± {self.std:.{digits}f}" if self.n > 1 else ""
        unit = f" {self.unit}" if self.unit else ""
        extra = f", {self.diverged} diverged" if self.diverged else ""
        return f"{self.name}: {self.mean:.{digits}f}{spread}{unit} ({self.n} seed{'s' if self.n > 1 else ''}{extra})"


@dataclass
class Results:
    """Every run of a preset found on disk, keyed by (model, dataset), plus the preset itself."""

    config: dict
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)
    floors: dict[tuple[str, str], dict] = field(default_factory=dict)  # (dataset, kind) -> metrics
    points: list[tuple[Point, list[float]]] = field(default_factory=list)  # sensitivity: FID per finished seed

    def of(self, model: str, dataset: str) -> list[Run]:
        """The runs found of ``model`` on ``dataset`` (one per seed on disk, possibly none)."""
        return self.runs.get((model, dataset), [])

    def model_file(self, run: Run) -> ModelFile | None:
        """The final model file of ``run`` (after its second stage when its method has one;
        :func:`read_model_file`), ``None`` when absent."""
        return read_model_file(paths.final_model(self.config, run.dataset, run.model, run.seed))

    def seed_counts(self, models: list[str], datasets: list[str], key: str = "fid") -> str:
        """How many finished seeds hold ``key`` in each (model, dataset), from the files found:
        ``"GLF 3, VAE 1 (1 diverged), RAE not run"`` (the dataset after each label when there are
        several)."""
        parts = []
        for model in models:
            for dataset in datasets:
                summary = self.summary(model, dataset, key)
                where = f" on {dataset}" if len(datasets) > 1 else ""
                count = str(summary.n) if summary.values else summary.status
                extra = f" ({summary.diverged} diverged)" if summary.diverged and summary.values else ""
                parts.append(f"{self.label(model)}{where} {count}{extra}")
        return ", ".join(parts)

    def label(self, model: str) -> str:
        """The model's (or variant run's) label in the preset (its name when it has none)."""
        return model_settings(self.config, model).get("label", model)

    def summary(self, model: str, dataset: str, key: str, name: str | None = None) -> Summary:
        """The final metric ``key`` over the finished seeds, with the count of diverged seeds and,
        without a value, why not.  A finished seed whose metrics lack ``key`` while another's hold
        it raises :class:`ResultsFileError` naming its file: a seed is never silently dropped."""
        runs = self.of(model, dataset)
        finished = [r for r in runs if r.finished]
        lacking = [r for r in finished if key not in r.metrics]
        if lacking and len(lacking) < len(finished):
            path = paths.metrics(self.config, dataset, model, lacking[0].seed)
            raise ResultsFileError(f"{path} lacks '{key}', which the other seeds of {model} on {dataset} hold; "
                                   f"no seed is left out of a mean. {paths.redo_hint(path)}")
        values = [float(r.metrics[key]) for r in finished if key in r.metrics]
        if not runs:
            missing = NOT_RUN
        elif any(r.finished for r in runs):
            missing = f"no {key} in its metrics"
        elif any(r.status == COMPLETED for r in runs):
            missing = "trained, not evaluated"
        else:
            missing = "not finished"
        return Summary(name or self.label(model), values, sum(r.status == DIVERGED for r in runs), missing)

    def curves(self, model: str, dataset: str) -> tuple[pd.DataFrame | None, int | None]:
        """The stage-1 log averaged over seeds per epoch (``None`` without one), and the epoch
        at which a seed diverged (the first one's; ``None`` when none did)."""
        runs = self.of(model, dataset)
        logs = [r.log for r in runs if r.log is not None]
        diverged = next((r.diverged_at_epoch for r in runs if r.status == DIVERGED), None)
        if not logs:
            return None, diverged
        return pd.concat(logs).groupby("epoch", as_index=False).mean(numeric_only=True), diverged

    def curve_spread(self, model: str, dataset: str) -> pd.DataFrame | None:
        """Per epoch of the stage-1 logs: the standard deviation over seeds (ddof 1; nan where one
        seed logged the value) of each logged column, and ``seeds``, how many seeds logged the
        epoch; ``None`` without a log."""
        logs = [r.log for r in self.of(model, dataset) if r.log is not None]
        if not logs:
            return None
        grouped = pd.concat(logs).groupby("epoch")
        return grouped.std(numeric_only=True).assign(seeds=grouped.size()).reset_index()

    def warnings(self, model: str, dataset: str) -> list[str]:
        """:func:`training_warnings` of each finished seed of ``model`` on ``dataset``, each
        prefixed with its seed (``"seed 0: stage 2 collapsed (...)"``); empty when none."""
        shape = dataset_info(dataset).shape
        return [f"seed {run.seed}: {found}" for run in self.of(model, dataset) if run.finished
                for found in training_warnings(run.log, run.stage2_log, math.prod(shape))]

    def seconds_per_epoch(self, model: str, dataset: str) -> Summary:
        """Each seed's mean seconds per stage-1 epoch (seeds whose log has no ``seconds`` are left
        out), with the count of diverged seeds (so that a run diverged before its first logged
        epoch reads "diverged", not "not run")."""
        runs = self.of(model, dataset)
        values = [float(r.log["seconds"].mean()) for r in runs if r.log is not None and "seconds" in r.log.columns]
        return Summary(self.label(model), values, sum(r.status == DIVERGED for r in runs),
                       missing="no timed epoch" if runs else NOT_RUN, unit="s/epoch")


def load(config: dict) -> Results:
    """Read every (model or variant run, dataset, seed) of the preset that left a file under
    ``runs_dir``, the reference rows (:mod:`benchmark.floors`) evaluated on its datasets and the
    FIDs of every point of its ``sensitivity`` block (:mod:`benchmark.sensitivity`)."""
    results = Results(config)
    for model in [*config["models"], *variant_models(config)]:
        for dataset in config["datasets"]:
            found = [read_run(config, dataset, model, seed) for seed in model_seeds(config, model)]
            if any(found):
                results.runs[(model, dataset)] = [r for r in found if r is not None]
    for dataset in config["datasets"]:
        for kind in FLOORS:
            metrics = read_metrics(paths.floor_metrics(config, dataset, kind), config, None, dataset)
            if metrics is not None:
                results.floors[(dataset, kind)] = metrics
    for point in points(config):
        if point.fid_variant == config["evaluation"]["fid_variant"]:
            found = [r.metrics for r in results.of(point.run, point.dataset) if r.finished]
        else:  # evaluated once more under another FID resize: files of their own
            variant = evaluation_config(config, "fid_variant", point.fid_variant)
            found = [m for m in (read_metrics(metrics_file(config, point, seed), variant, point.run, point.dataset)
                                 for seed in model_seeds(config, point.run))
                     if m is not None and m.get("status") == COMPLETED]
        results.points.append((point, [float(m[point.fid_key]) for m in found if point.fid_key in m]))
    return results


def read_reference(name: str) -> pd.DataFrame:
    """A table of published numbers, ``workflow/reference/<name>.csv`` (its source in a column)."""
    return pd.read_csv(REFERENCE_DIR / f"{name}.csv")


def read_measurements(folder: str | Path) -> pd.DataFrame:
    """Every ``perf*.csv`` of ``python -m benchmark.commands.perf`` in ``folder`` as one table."""
    return pd.concat([pd.read_csv(p) for p in sorted(Path(folder).glob("perf*.csv"))], ignore_index=True)
