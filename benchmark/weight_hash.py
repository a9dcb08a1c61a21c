"""The SHA-256 of a trained model's weights: equal for two runs exactly when every parameter and
buffer is equal bit for bit (the check that a run repeats, and what binds a model file's record to
its weights); and whether a state dict fits a model at all."""
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


def state_mismatch(module: torch.nn.Module, state: dict[str, torch.Tensor]) -> str | None:
    """The first difference between ``module``'s state dict and ``state`` (a key missing from
    either, or a shape) as ``name: ...``; ``None`` when ``state`` fits ``module``."""
    own = module.state_dict()
    for name in dict.fromkeys([*own, *state]):
        if name not in state:
            return f"{name}: missing from the file"
        if name not in own:
            return f"{name}: not in the model"
        if tuple(own[name].shape) != tuple(state[name].shape):
            return f"{name}: {tuple(state[name].shape)} in the file, {tuple(own[name].shape)} in the model"
    return None
