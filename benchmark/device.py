"""Choosing the torch device, the per-device speed settings and the repeatable (deterministic) mode."""
from __future__ import annotations

import os

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


CUBLAS_WORKSPACE = ":4096:8"  # the cuBLAS workspace setting that makes its GEMMs repeatable


def make_deterministic() -> None:
    """Make this process's runs repeatable on a GPU: deterministic algorithms everywhere (an op
    without one raises), cuDNN deterministic without benchmarking, and cuBLAS's fixed workspace
    (``CUBLAS_WORKSPACE_CONFIG``, read when CUDA initialises: call this before any CUDA work)."""
    if torch.cuda.is_initialized() and os.environ.get("CUBLAS_WORKSPACE_CONFIG") != CUBLAS_WORKSPACE:
        raise RuntimeError("deterministic: CUDA was initialised before CUBLAS_WORKSPACE_CONFIG was set; "
                           "call make_deterministic before any CUDA work")
    os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def tune_for_speed(device: torch.device, deterministic: bool = False) -> None:
    """The preset's speed settings for ``device``: with ``deterministic`` the repeatable mode of
    :func:`make_deterministic`; else, on CUDA, cuDNN picks the fastest convolution algorithms for
    the fixed batch shapes."""
    if deterministic:
        make_deterministic()
    elif device.type == "cuda":
        torch.backends.cudnn.benchmark = True


def image_batch_transform(device: torch.device):
    """uint8 ``(B, C, S, S)`` -> float in [0, 1]; channels-last on CUDA, where convolutions are faster."""
    if device.type == "cuda":
        return lambda batch: to_float(batch).contiguous(memory_format=torch.channels_last)
    return to_float
