"""Choosing the torch device and the per-device speed settings."""
from __future__ import annotations

import torch


def pick_device(preference: str = "auto") -> torch.device:
    """Return ``cuda`` when ``preference`` is ``auto`` and a GPU exists, else the named device."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {preference!r} requested but CUDA is not available; use 'auto' or 'cpu'")
    return device
