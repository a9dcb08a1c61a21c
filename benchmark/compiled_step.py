"""The training step compiled by ``torch.compile``: on CUDA, captured in CUDA graphs.

GLF's step is a few hundred small kernels; launched one by one from Python it keeps an H100
about 1% busy.  :func:`compiled_train_step` hands the whole ``train_step`` (forward, backward and
the optimiser step) to ``torch.compile``; on CUDA with mode ``reduce-overhead`` the compiled
pieces are replayed as CUDA graphs, so a step costs a handful of launches.  The step computes the
same losses and updates as eager (to float tolerance, tested in tests/test_compiled_step.py); the
model, its optimisers and therefore checkpoints are untouched.  Eager remains the CPU path (its
resume is bit-identical); the preset switch is ``compile_step`` (see :func:`use_compiled_step`).
"""
from __future__ import annotations

from typing import Callable

import torch

from models.base import Trainable

StepFn = Callable[[torch.Tensor, list, torch.Tensor | None], dict[str, torch.Tensor]]


def use_compiled_step(setting: str | bool, device: torch.device) -> bool:
    """Whether the preset's ``compile_step`` (``auto``, ``true`` or ``false``) compiles on
    ``device``: ``auto`` compiles on CUDA only."""
    if setting not in ("auto", True, False):
        raise ValueError(f"compile_step is {setting!r}; set it to auto, true or false")
    return setting is True or (setting == "auto" and device.type == "cuda")


def compiled_train_step(module: Trainable, device: torch.device, backend: str = "inductor") -> StepFn:
    """``module.train_step`` compiled for ``device``; returns a function with its signature
    ``(batch (B, ...), optimizers, index (B,) | None) -> {name: scalar tensor}``.

    On CUDA the inductor backend uses mode ``reduce-overhead`` (CUDA graphs); every call marks a
    new step and returns copies of the losses, since a graph's outputs are overwritten by its next
    replay.  ``backend`` is torch.compile's (``aot_eager`` traces the same graphs without code
    generation: the fast check on CPU)."""
    mode = "reduce-overhead" if device.type == "cuda" and backend == "inductor" else None
    compiled = torch.compile(module.train_step, backend=backend, mode=mode)

    def step(batch: torch.Tensor, optimizers: list, index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if mode is not None:
            torch.compiler.cudagraph_mark_step_begin()
        return {name: value.clone() for name, value in compiled(batch, optimizers, index).items()}

    return step
