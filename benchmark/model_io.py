"""Saving and loading trained models with the facts needed to rebuild them."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from benchmark.atomic import atomic_torch_save
from benchmark.config import RunConfig
from benchmark.errors import FileMismatchError
from benchmark.paths import redo_hint
from benchmark.runs import run_sha256
from benchmark.torch_files import load_torch_file
from models import build_model
from models.base import GenerativeModel, ModelSpec


def save_model(path: str | Path, model: GenerativeModel, method: str, meta: dict) -> None:
    """Write ``model`` (method name, spec, weights, ``meta``) to ``path`` atomically."""
    atomic_torch_save({"method": method, "spec": asdict(model.spec),
                       "state_dict": model.state_dict(), "meta": meta}, path)


def check_run(path: str | Path, method: str, meta: dict, run: RunConfig) -> None:
    """Raise :class:`FileMismatchError` naming the model file at ``path`` and what differs when its ``method``
    and ``meta`` (model, dataset, seed, ``run_sha256``) are not those of ``run``."""
    found = {"method": method, **{key: meta.get(key) for key in ("model", "dataset", "seed", "run_sha256")}}
    wanted = {"method": run.method, "model": run.model, "dataset": run.dataset, "seed": run.seed,
              "run_sha256": run_sha256(run)}
    differ = [f"{key} {found[key]!r}, this run's {wanted[key]!r}" for key in ("method", "model", "dataset", "seed")
              if found[key] != wanted[key]]
    if not differ and found["run_sha256"] != wanted["run_sha256"]:
        differ = ["made under other settings or another preset: run_sha256 differs" if found["run_sha256"]
                  else "it records no run_sha256"]
    if differ:
        raise FileMismatchError(f"model file {path} belongs to another run ({'; '.join(differ)}); it was not used. "
                                f"{redo_hint(path)}")


def load_model(path: str | Path, device: torch.device | str = "cpu",
               run: RunConfig | None = None) -> tuple[GenerativeModel, dict]:
    """Rebuild the model saved at ``path`` on ``device``, in eval mode; return it and its meta.

    The file is loaded without running code (a pickled payload is refused); a missing, truncated
    or hostile file raises an error naming it and the command that redoes it; with ``run``, a file
    of another method, model, dataset, seed or settings is refused (:func:`check_run`).
    """
    payload = load_torch_file(path, "model file", redo_hint(path), map_location=device)
    if run is not None:
        check_run(path, payload["method"], payload["meta"], run)
    model = build_model(payload["method"], ModelSpec(**payload["spec"]))
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval(), payload["meta"]
