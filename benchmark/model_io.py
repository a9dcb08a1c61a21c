"""Saving and loading trained models with the facts needed to rebuild them."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from benchmark.atomic import atomic_torch_save
from benchmark.paths import redo_hint
from benchmark.torch_files import load_torch_file
from models import build_model
from models.base import GenerativeModel, ModelSpec


def save_model(path: str | Path, model: GenerativeModel, method: str, meta: dict) -> None:
    """Write ``model`` (method name, spec, weights, ``meta``) to ``path`` atomically."""
    atomic_torch_save({"method": method, "spec": asdict(model.spec),
                       "state_dict": model.state_dict(), "meta": meta}, path)


def load_model(path: str | Path, device: torch.device | str = "cpu") -> tuple[GenerativeModel, dict]:
    """Rebuild the model saved at ``path`` on ``device``, in eval mode; return it and its meta.

    The file is loaded without running code (a pickled payload is refused); a missing, truncated
    or hostile file raises an error naming it and the command that redoes it.
    """
    payload = load_torch_file(path, "model file", redo_hint(path), map_location=device)
    model = build_model(payload["method"], ModelSpec(**payload["spec"]))
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval(), payload["meta"]
