"""Choosing the torch device and the per-device speed settings."""
from __future__ import annotations

import torch

from benchmark.data import to_float


def pick_device(preference: str | torch.device = "auto") -> torch.device:
    """Return ``cuda`` when ``preference`` is ``auto`` and a GPU exists, else the named device."""
    if str(preference) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {preference!r} requested but CUDA is not available; use 'auto' or 'cpu'")
    return device


def tune_for_speed(device: torch.device) -> None:
    """On CUDA, let cuDNN pick the fastest convolution algorithms for the fixed batch shapes."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True


def image_batch_transform(device: torch.device):
    """uint8 ``(B, C, S, S)`` -> float in [0, 1]; channels-last on CUDA, where convolutions are faster."""
    if device.type == "cuda":
        return lambda batch: to_float(batch).contiguous(memory_format=torch.channels_last)
    return to_float
