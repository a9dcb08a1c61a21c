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
    """The step of :meth:`Trainable.train_step` with ``module.losses`` and its backward compiled
    for ``device``; returns a function with that signature ``(batch (B, ...), optimizers,
    index (B,) | None) -> {name: scalar tensor}``.

    Dynamo does not trace the fused Adam kernel (it is ``torch.compiler.disable``d), so the
    optimisers run as they are: one fused kernel per parameter group.  On CUDA the inductor
    backend uses mode ``reduce-overhead`` (the forward and backward graphs are replayed as CUDA
    graphs); every call marks a new step and returns copies of the losses, since a graph's
    outputs are overwritten by its next replay.  ``backend`` is torch.compile's (``aot_eager``
    traces the same graphs without code generation: the fast check on CPU).  Methods with their
    own ``train_step`` (several networks or optimisers per step) keep their eager step."""
    if type(module).train_step is not Trainable.train_step:
        return module.train_step
    mode = "reduce-overhead" if device.type == "cuda" and backend == "inductor" else None
    losses = torch.compile(module.losses, backend=backend, mode=mode)

    def step(batch: torch.Tensor, optimizers: list, index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        if mode is not None:
            torch.compiler.cudagraph_mark_step_begin()
        logged = losses(batch)
        logged["loss"].backward()
        for opt in optimizers:
            opt.step()
        return {name: value.detach().clone() for name, value in logged.items()}

    return step
