"""The SHA-256 of a trained model's weights: equal for two runs exactly when every parameter and
buffer is equal bit for bit (the check that a run repeats)."""
from __future__ import annotations

import hashlib

import torch


def state_sha256(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over a state dict's names, dtypes, shapes and bytes (in its order)."""
    digest = hashlib.sha256()
    for name, value in state.items():
        tensor = value.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}:{value.dtype}:{tuple(value.shape)};".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()
