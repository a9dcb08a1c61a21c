"""Saving and loading trained models with the facts needed to rebuild them.

A model file holds its method, spec, weights and a record (``meta``) of the run that made it
(:func:`run_record`: model, dataset, seed, a hash of its settings and of the training code) and
the SHA-256 of its weights (``weights_sha256``), which binds the record to these weights: weights
put under another file's record, or a record put over other weights, are refused on load."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from benchmark.atomic import atomic_torch_save
from benchmark.code_identity import training_code_sha256
from benchmark.config import RunConfig
from benchmark.errors import FileMismatchError
from benchmark.paths import redo_hint
from benchmark.runs import run_sha256
from benchmark.torch_files import load_torch_file, move_aside
from benchmark.weight_hash import state_mismatch, state_sha256
from models import build_model
from models.base import GenerativeModel, ModelSpec

RECORDED = ("model", "dataset", "seed", "run_sha256", "code_sha256")  # what a model file must share with its run


class ModelMismatchError(FileMismatchError):
    """A model file's weights do not fit its model, or not its record; the file was moved aside."""


def run_record(run: RunConfig) -> dict:
    """What a model file of ``run`` records about it: model, dataset, seed, ``run_sha256``
    (:func:`benchmark.runs.run_sha256`) and ``code_sha256`` (the training code,
    :func:`benchmark.code_identity.training_code_sha256`)."""
    return {"model": run.model, "dataset": run.dataset, "seed": run.seed, "run_sha256": run_sha256(run),
            "code_sha256": training_code_sha256()}


def save_model(path: str | Path, model: GenerativeModel, method: str, meta: dict) -> None:
    """Write ``model`` (method name, spec, weights, ``meta`` with the weights' ``weights_sha256``
    added) to ``path`` atomically."""
    state = model.state_dict()
    atomic_torch_save({"method": method, "spec": asdict(model.spec), "state_dict": state,
                       "meta": {**meta, "weights_sha256": state_sha256(state)}}, path)


def check_run(path: str | Path, method: str, meta: dict, run: RunConfig) -> None:
    """Raise :class:`FileMismatchError` naming the model file at ``path`` and what differs when its ``method``
    and ``meta`` (:data:`RECORDED`) are not those of ``run``."""
    found = {"method": method, **{key: meta.get(key) for key in RECORDED}}
    wanted = {"method": run.method, **run_record(run)}
    differ = [f"{key} {found[key]!r}, this run's {wanted[key]!r}" for key in ("method", "model", "dataset", "seed")
              if found[key] != wanted[key]]
    if not differ and found["run_sha256"] != wanted["run_sha256"]:
        differ = ["made under other settings or another preset: run_sha256 differs" if found["run_sha256"]
                  else "it records no run_sha256"]
    if not differ and found["code_sha256"] != wanted["code_sha256"]:
        differ = ["trained by other code (models/ or the training modules changed since): code_sha256 differs"
                  if found["code_sha256"] else "it records no code_sha256 (trained before the training code was recorded)"]
    if differ:
        raise FileMismatchError(f"model file {path} belongs to another run ({'; '.join(differ)}); it was not used. "
                                f"{redo_hint(path)}")


def _refuse(path: Path, run: RunConfig | None, problem: str) -> ModelMismatchError:
    """The one-line error for a model file whose weights do not fit: moves it aside first."""
    who = f"run {run.model}/{run.dataset}/seed{run.seed}: " if run is not None else ""
    kept = move_aside(path, ".mismatch")
    return ModelMismatchError(f"{who}model file {path} {problem}; moved aside to {kept}. {redo_hint(path)}")


def load_model(path: str | Path, device: torch.device | str = "cpu",
               run: RunConfig | None = None) -> tuple[GenerativeModel, dict]:
    """Rebuild the model saved at ``path`` on ``device``, in eval mode; return it and its meta.

    The file is loaded without running code (a pickled payload is refused); a missing, truncated
    or hostile file raises an error naming it and the command that redoes it; with ``run``, a file
    of another method, model, dataset, seed, settings or training code is refused
    (:func:`check_run`), and so is a file that records no ``weights_sha256``.  Weights that are not those the record names (``weights_sha256``) or do
    not fit the model (a key or shape of another architecture) raise :class:`ModelMismatchError`
    naming the run, the file and the mismatch, after the file is moved aside (``.mismatch``).
    """
    path = Path(path)
    payload = load_torch_file(path, "model file", redo_hint(path), map_location=device)
    meta = payload["meta"]
    if run is not None:
        check_run(path, payload["method"], meta, run)
    if "weights_sha256" not in meta:
        raise FileMismatchError(f"model file {path} records no weights_sha256 (written before model files recorded "
                         f"their weights); it was not used. {redo_hint(path)}")
    found = state_sha256(payload["state_dict"])
    if meta["weights_sha256"] != found:
        raise _refuse(path, run, f"holds weights that are not those its record names (weights_sha256 "
                                 f"{meta['weights_sha256']}, the weights' {found})")
    model = build_model(payload["method"], ModelSpec(**payload["spec"]))
    mismatch = state_mismatch(model, payload["state_dict"])
    if mismatch:
        raise _refuse(path, run, f"does not fit model {payload['method']!r} ({mismatch})")
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval(), meta
