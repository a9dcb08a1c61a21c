"""The training step compiled by ``torch.compile``: on CUDA, captured in CUDA graphs, and checked
against eager on the first batch so that it can never take a run down.

GLF's step is a few hundred small kernels; launched one by one from Python it keeps an H100
about 1% busy.  :func:`compiled_train_step` hands the whole ``train_step`` (forward, backward and
the optimiser step) to ``torch.compile``; on CUDA with inductor the compiled pieces are replayed
as CUDA graphs (mode ``reduce-overhead``), so a step costs a handful of launches.  The step
computes the same losses and updates as eager (to float tolerance, tested in
tests/test_compiled_step.py); the model, its optimisers and therefore checkpoints are untouched.

The compiled step is a :class:`CheckedStep`: when compiling or its first call raises, or its
losses on the first batch differ from eager's on the same batch and weights by more than
:data:`LOSS_TOLERANCE`, it says so in one line and the run goes on with the eager step.  Eager
remains the CPU path (its resume is bit-identical); the preset switch is ``compile_step`` (see
:func:`use_compiled_step`).
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
from tqdm import tqdm

from benchmark.errors import ConfigError
from models.base import Trainable

StepFn = Callable[[torch.Tensor, list, torch.Tensor | None], dict[str, torch.Tensor]]

# (rtol, atol) of the compiled step's first-batch losses against eager's, by autocast dtype: float32
# kernels fused in another order differ by ~1e-6 relative; bfloat16 keeps ~3 significant digits.
LOSS_TOLERANCE = {torch.float32: (1e-4, 1e-4), torch.bfloat16: (2e-2, 1e-2)}


def use_compiled_step(setting: str | bool, device: torch.device) -> bool:
    """Whether the preset's ``compile_step`` (``auto``, ``true`` or ``false``) compiles on
    ``device``: ``auto`` compiles on CUDA only."""
    if setting not in ("auto", True, False):
        raise ConfigError(f"compile_step is {setting!r}; set it to auto, true or false")
    return setting is True or (setting == "auto" and device.type == "cuda")


def ran_compiled(step: StepFn | None) -> bool:
    """Whether ``step`` (a trainer's step function, ``None`` for the module's own) ran compiled:
    a :class:`CheckedStep` whose compiled step passed its first-batch check."""
    return isinstance(step, CheckedStep) and step.compiled


class CheckedStep:
    """A compiled training step that falls back to ``module.train_step`` (eager) for good when
    compiling or its first call raises, or when its first-batch losses differ from eager's.

    Called like :meth:`Trainable.train_step`: ``(batch (B, ...), optimizers, index (B,) | None) ->
    {name: scalar tensor}``.  The first call runs the compiled step, restores the parameters,
    buffers, optimiser states and RNG it started from, and runs the eager step on the same batch:
    the run takes exactly one (eager) update there, and the two steps' losses are compared.
    ``compiled`` says whether the steps after the first run compiled; ``log`` receives the one
    line that says so, or why not."""

    def __init__(self, module: Trainable, compiled: StepFn | None, log: Callable[[str], None] = tqdm.write,
                 compile_error: Exception | None = None):
        self.module = module
        self.compiled_step = compiled
        self.log = log
        self.compiled = False
        self.checked = False
        if compile_error is not None:
            self._fall_back(f"compiling the training step raised {_one_line(compile_error)}")

    def __call__(self, batch: torch.Tensor, optimizers: list, index: torch.Tensor | None = None
                 ) -> dict[str, torch.Tensor]:
        if self.checked:
            step = self.compiled_step if self.compiled else self.module.train_step
            return step(batch, optimizers, index)
        self.checked = True
        return self._first_step(batch, optimizers, index)

    def _first_step(self, batch: torch.Tensor, optimizers: list, index: torch.Tensor | None
                    ) -> dict[str, torch.Tensor]:
        weights = {name: value.detach().clone() for name, value in self.module.state_dict().items()}
        states = [copy.deepcopy(opt.state_dict()) for opt in optimizers]
        failure = None
        with torch.random.fork_rng(devices=[batch.device] if batch.device.type == "cuda" else []):
            try:
                compiled = {name: value.detach().float() for name, value in
                            self.compiled_step(batch, optimizers, index).items()}
            except Exception as err:  # noqa: BLE001 (any failure of the compiler falls back to eager)
                failure = f"the first compiled step raised {_one_line(err)}"
        self.module.load_state_dict(weights)  # in place: parameters keep their storage (CUDA graphs)
        for opt, state in zip(optimizers, states):
            opt.load_state_dict(state)
        eager = self.module.train_step(batch, optimizers, index)
        if failure is None:
            failure = _loss_difference(compiled, eager, batch.device.type)
        if failure is None:
            self.compiled = True
            rtol, atol = _tolerance(batch.device.type)
            self.log(f"training step: compiled (its first-batch losses match eager's within rtol {rtol:g}, "
                     f"atol {atol:g})")
        else:
            self._fall_back(failure)
        return eager

    def _fall_back(self, reason: str) -> None:
        self.checked = True
        self.compiled = False
        self.log(f"training step: eager ({reason})")


def _one_line(err: Exception) -> str:
    """``Type: first line of the message`` of an exception."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _tolerance(device_type: str) -> tuple[float, float]:
    """The (rtol, atol) of :data:`LOSS_TOLERANCE` for the autocast in effect on ``device_type``."""
    dtype = torch.get_autocast_dtype(device_type) if torch.is_autocast_enabled(device_type) else torch.float32
    return LOSS_TOLERANCE.get(dtype, LOSS_TOLERANCE[torch.bfloat16])


def _loss_difference(compiled: dict[str, torch.Tensor], eager: dict[str, torch.Tensor], device_type: str
                     ) -> str | None:
    """``None`` when the compiled step logged the same losses (scalars) as eager within tolerance;
    else the reason, naming the first loss that differs and both values."""
    if compiled.keys() != eager.keys():
        return f"the compiled step logged {sorted(compiled)}, eager {sorted(eager)}"
    rtol, atol = _tolerance(device_type)
    for name, value in eager.items():
        if not torch.isclose(compiled[name], value.detach().float(), rtol=rtol, atol=atol).all():
            return (f"on the first batch the compiled step's {name} is {compiled[name].item():.6g}, eager's "
                    f"{value.item():.6g}: beyond rtol {rtol:g}, atol {atol:g}")
    return None


VARIANTS = ("losses", "whole")  # what torch.compile takes: the losses (forward + backward) or the whole step


def step_variant(setting: str | bool, device: torch.device) -> str | None:
    """The compiled-step variant the preset's ``compile_step`` asks for on ``device``: ``None``
    (eager), ``losses`` (``auto`` on CUDA, ``true``) or ``whole`` (``whole``: forward, backward and
    the optimiser step in the compiled graphs, on every device)."""
    if setting == "whole":
        return "whole"
    return "losses" if use_compiled_step(setting, device) else None


def _capturable(optimizers: list, device: torch.device) -> None:
    """Switch every Adam group to the traceable multi-tensor update (``foreach``; ``capturable``
    on CUDA, where the update runs inside CUDA graphs and its step counts live on the GPU); the
    update is the same Adam.  Groups (re)loaded from a checkpoint are switched again."""
    capture = device.type == "cuda"
    for opt in optimizers:
        for group in opt.param_groups:
            if group.get("fused") or not group.get("foreach") or group.get("capturable") != capture:
                group.update(fused=None, foreach=True, capturable=capture)
                for param in group["params"]:
                    state = opt.state.get(param, {})
                    if "step" in state:
                        step = state["step"]
                        state["step"] = (step.to(param.device, torch.float32) if capture
                                         else step.detach().to("cpu", torch.float32))


def compiled_train_step(module: Trainable, device: torch.device, backend: str = "inductor",
                        variant: str = "losses") -> StepFn:
    """The step of :meth:`Trainable.train_step` with ``module.losses`` and its backward compiled
    for ``device``, as a :class:`CheckedStep`; returns a function with that signature ``(batch
    (B, ...), optimizers, index (B,) | None) -> {name: scalar tensor}``.

    Dynamo does not trace the fused Adam kernel (it is ``torch.compiler.disable``d), so the
    optimisers run as they are: one fused kernel per parameter group.  On CUDA the inductor
    backend replays the forward and backward graphs as CUDA graphs; every call marks a new step
    and returns copies of the losses, since a graph's outputs are overwritten by its next replay.
    Inductor draws random numbers as eager does (``fallback_random``), so the compiled step takes
    eager's steps.  ``backend`` is torch.compile's (``aot_eager`` traces the same graphs without
    code generation: the fast check on CPU; tests pass a failing one).  Methods with their own
    ``train_step`` (several networks or optimisers per step) keep their eager step.

    ``variant`` ``whole`` compiles the optimiser step too: the Adam groups switch to the
    multi-tensor, capturable update (:func:`_capturable`), which inductor fuses into a few kernels
    replayed in the CUDA graphs with the rest, instead of one fused kernel launch per group."""
    if variant not in VARIANTS:
        raise ValueError(f"compiled-step variant {variant!r} is not one of {VARIANTS}")
    if type(module).train_step is not Trainable.train_step:
        return module.train_step
    graphs = device.type == "cuda" and backend == "inductor"
    options = {"fallback_random": True, "triton.cudagraphs": graphs} if backend == "inductor" else None
    if variant == "whole":
        return _whole_step(module, device, backend, options, graphs)
    try:
        losses = torch.compile(module.losses, backend=backend, options=options)
    except Exception as err:  # noqa: BLE001 (an unknown backend, a broken install: train eagerly)
        return CheckedStep(module, None, compile_error=err)

    def step(batch: torch.Tensor, optimizers: list, index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        if graphs:
            torch.compiler.cudagraph_mark_step_begin()
        logged = losses(batch)
        logged["loss"].backward()
        for opt in optimizers:
            opt.step()
        return {name: value.detach().clone() for name, value in logged.items()}

    return CheckedStep(module, step)


def _whole_step(module: Trainable, device: torch.device, backend: str, options: dict | None, graphs: bool
                ) -> CheckedStep:
    """The ``whole`` variant of :func:`compiled_train_step`: ``module.train_step`` itself (zeroing,
    forward, backward and the optimiser step) under one ``torch.compile`` (Dynamo splits it at the
    backward), as a :class:`CheckedStep`."""
    try:
        compiled = torch.compile(module.train_step, backend=backend, options=options)
    except Exception as err:  # noqa: BLE001 (an unknown backend, a broken install: train eagerly)
        return CheckedStep(module, None, compile_error=err)

    def step(batch: torch.Tensor, optimizers: list, index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        _capturable(optimizers, device)
        if graphs:
            torch.compiler.cudagraph_mark_step_begin()
        return {name: value.detach().clone() for name, value in compiled(batch, optimizers, index).items()}

    return CheckedStep(module, step)
