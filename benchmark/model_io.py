"""Saving and loading trained models with the facts needed to rebuild them."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from benchmark.atomic import atomic_torch_save
from models import build_model
from models.base import GenerativeModel, ModelSpec


def save_model(path: str | Path, model: GenerativeModel, method: str, meta: dict) -> None:
    """Write ``model`` (method name, spec, weights, ``meta``) to ``path`` atomically."""
    atomic_torch_save({"method": method, "spec": asdict(model.spec),
                       "state_dict": model.state_dict(), "meta": meta}, path)


def load_model(path: str | Path, device: torch.device | str = "cpu") -> tuple[GenerativeModel, dict]:
    """Rebuild the model saved at ``path`` on ``device``, in eval mode; return it and its meta."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist; train it first (python -m benchmark.train)")
    payload = torch.load(path, map_location=device, weights_only=False)
    model = build_model(payload["method"], ModelSpec(**payload["spec"]))
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval(), payload["meta"]
