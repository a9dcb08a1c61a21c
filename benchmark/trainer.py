"""The trainer: epochs over an in-memory tensor, atomic per-epoch checkpoints, exact resume.

A run directory holds ``<stage>_checkpoint.pt`` (rewritten atomically after every epoch),
``<stage>_log.csv`` (one row per epoch: mean of every logged loss, seconds, learning rate) and,
when the run ends, ``<stage>_status.json`` (``completed`` or ``diverged`` with the epoch).
Re-running an interrupted run continues from its last checkpoint; on CPU the result is
bit-identical to an uninterrupted run (model, optimiser, scheduler and RNG states are restored).
A checkpoint records the run's identity (train settings plus what the caller passes: method,
model spec, data checksum, training code, ...): a checkpoint of another identity, an unreadable
one, or one whose weights do not fit the model, is never resumed; the run starts afresh and says
why.  Given the step that saves the stage's model file, the trainer writes the status file after
it and then deletes the checkpoint (see :meth:`Trainer.run`).  A loss that turns NaN/inf, or whose size in any
step grows beyond ``EXPLOSION_FACTOR`` times the run's reference loss (the loss of its very first
step: the untrained model on the first batch, before any update; kept in the checkpoint), ends
the run as ``diverged``, in the first epoch too.
"""
from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch
from tqdm import tqdm

from benchmark.atomic import atomic_torch_save, atomic_write_text
from benchmark.compiled_step import ran_compiled
from benchmark.progress import EpochProgress
from benchmark.torch_files import UnreadableFileError, load_torch_file, move_aside
from benchmark.weight_hash import state_mismatch
from models.base import Trainable

EpochCallback = Callable[[Trainable, int], dict[str, float]]
EXPLOSION_FACTOR = 1e6  # a step's |loss| this many times the reference loss's (at least 1) counts as diverged


@dataclass
class TrainSettings:
    """Optimisation settings of one training stage."""

    epochs: int
    batch_size: int
    lr: float
    lr_milestones: list[int] = field(default_factory=list)
    lr_gamma: float = 0.5
    seed: int = 0
    lr_factors: list[float] = field(default_factory=list)  # one per milestone; empty: lr_gamma each

    def lr_factor(self, epoch: int) -> float:
        """The learning-rate multiplier in ``epoch`` (0-based): the product of the factors of the
        milestones reached (each milestone multiplies the lr from then on)."""
        factors = self.lr_factors or [self.lr_gamma] * len(self.lr_milestones)
        return math.prod(f for m, f in zip(self.lr_milestones, factors) if epoch >= m)


@dataclass
class TrainResult:
    """How a stage ended: ``status`` is ``completed`` or ``diverged``; ``epochs_done`` counts the
    epochs that finished with finite losses; ``compiled`` says whether this process's steps ran
    compiled (see :mod:`benchmark.compiled_step`; a compiled step that fell back ran eager)."""

    status: str
    epochs_done: int
    diverged_at_epoch: int | None = None
    compiled: bool = False

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


class Diverged(Exception):
    """Raised at the end of an epoch when a loss became NaN or infinite, or exploded."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during an epoch: its message says where, and where the next run resumes."""

    def __init__(self, stage: str, epoch: int, saved: int):
        resume = f"resumes from the checkpoint of epoch {saved}" if saved else "starts afresh (no epoch finished)"
        super().__init__(f"{stage}: interrupted at epoch {epoch}; the next run {resume}")


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    """``key: old -> new`` for every (nested) key whose value differs between two dicts."""
    found = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            found += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            found.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return found


def write_log_csv(path: Path, rows: list[dict]) -> None:
    """Write per-epoch rows (dicts, columns = ``epoch`` then the union of keys in first-seen
    order) atomically; with no rows the file still has its header."""
    columns: list[str] = ["epoch"]
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


class Trainer:
    """Trains ``module`` on ``data`` (a tensor, first dimension = examples) for ``settings.epochs``.

    ``batch_transform`` maps an indexed slice of ``data`` to the float batch the module expects
    (e.g. uint8 images -> [0, 1]).  ``bf16`` runs the steps under bfloat16 autocast.  ``epoch_callbacks`` run after each epoch and may add columns
    (e.g. an intermediate FID) to that epoch's log row.  ``identity`` (plain values) says what
    is trained on what; with the settings it must match a checkpoint for the run to resume it.
    ``step`` replaces ``module.train_step`` with a function of the same signature (e.g.
    :func:`benchmark.compiled_step.compiled_train_step`; the status file records whether it ran
    compiled).  Each epoch is reported with its loss (and any FID a callback logged): a tqdm bar
    with ``progress``, else one line (:class:`benchmark.progress.EpochProgress`).
    """

    def __init__(self, module: Trainable, data: torch.Tensor, settings: TrainSettings, run_dir: Path,
                 stage: str = "train", device: torch.device | str = "cpu",
                 batch_transform: Callable[[torch.Tensor], torch.Tensor] = lambda t: t,
                 epoch_callbacks: tuple[EpochCallback, ...] = (), progress: bool = True, bf16: bool = False,
                 identity: dict | None = None,
                 step: Callable[..., dict[str, torch.Tensor]] | None = None):
        if settings.epochs < 0 or settings.batch_size < 1:
            raise ValueError(f"bad train settings {settings}: epochs must be >= 0 and batch_size >= 1")
        self.module = module.to(device)
        self.device = torch.device(device)
        self.data = data.to(self.device)
        self.settings = settings
        self.identity = {"settings": asdict(settings), **(identity or {})}
        self.run_dir = Path(run_dir)
        self.stage = stage
        self.batch_transform = batch_transform
        self.epoch_callbacks = epoch_callbacks
        self.progress = progress
        self.bf16 = bf16
        self.step = step or self.module.train_step
        self.optimizers = module.configure_optimizers(settings.lr)
        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, settings.lr_factor)
                           for opt in self.optimizers]
        self.shuffle = torch.Generator().manual_seed(settings.seed)
        self.rows: list[dict] = []
        self.epoch = 0
        self.reference_loss: float | None = None  # the loss of the run's first step (see the module doc)

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / f"{self.stage}_checkpoint.pt"

    @property
    def log_path(self) -> Path:
        return self.run_dir / f"{self.stage}_log.csv"

    @property
    def status_path(self) -> Path:
        return self.run_dir / f"{self.stage}_status.json"

    def _save_checkpoint(self) -> None:
        atomic_torch_save({
            "epoch": self.epoch,
            "module": self.module.state_dict(),
            "optimizers": [opt.state_dict() for opt in self.optimizers],
            "schedulers": [sch.state_dict() for sch in self.schedulers],
            "shuffle": self.shuffle.get_state(),
            "rng": _rng_state(),
            "rows": self.rows,
            "reference_loss": self.reference_loss,
            "identity": self.identity,
        }, self.checkpoint_path)

    def _resumable_state(self) -> dict | None:
        """The checkpoint's state when it belongs to this run; ``None`` (saying why) when the run
        must start afresh: no checkpoint, an unreadable one (moved aside), or another identity."""
        if not self.checkpoint_path.exists():
            return None
        try:
            state = load_torch_file(self.checkpoint_path, "checkpoint", "", map_location=self.device)
        except UnreadableFileError as err:
            tqdm.write(f"{self.stage}: starting afresh: {err} Moved aside to {move_aside(self.checkpoint_path)}.")
            return None
        changed = _differences(state.get("identity", {}), self.identity)
        if changed:
            kept = move_aside(self.checkpoint_path, ".previous")
            code = " (the training code changed)" if any(c.startswith("code_sha256:") for c in changed) else ""
            tqdm.write(f"{self.stage}: starting afresh: {self.checkpoint_path} belongs to another run{code} "
                       f"({'; '.join(changed)}); kept as {kept}")
            return None
        mismatch = state_mismatch(self.module, state.get("module", {}))
        if mismatch:
            kept = move_aside(self.checkpoint_path, ".mismatch")
            tqdm.write(f"{self.stage}: starting afresh: {self.checkpoint_path} of run {self.run_dir} does not fit "
                       f"the model ({mismatch}); moved aside to {kept}")
            return None
        return state

    def _resume(self, state: dict) -> None:
        self.module.load_state_dict(state["module"])
        for opt, opt_state in zip(self.optimizers, state["optimizers"]):
            opt.load_state_dict(opt_state)
        for sch, sch_state in zip(self.schedulers, state["schedulers"]):
            sch.load_state_dict(sch_state)
        self.shuffle.set_state(state["shuffle"])
        _set_rng_state(state["rng"])
        self.rows = state["rows"]
        self.epoch = state["epoch"]
        # Checkpoints written before the reference was recorded judge against their first epoch's loss.
        self.reference_loss = state.get("reference_loss", self.rows[0]["loss"] if self.rows else None)

    def _run_epoch(self) -> dict[str, float]:
        """One pass over the data.  Losses are summed, and the largest ``|loss|`` of a step kept, on
        the device and read once at the end; the first step of a fresh run gives the reference loss."""
        self.module.train()
        n = self.data.shape[0]
        batch_size = min(self.settings.batch_size, n)
        order = torch.randperm(n, generator=self.shuffle).to(self.device)
        sums: dict[str, torch.Tensor] = {}
        batches = n // batch_size
        reference, peak = None, torch.zeros((), device=self.device)
        for b in range(batches):
            index = order[b * batch_size:(b + 1) * batch_size]
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                logged = self.step(self.batch_transform(self.data[index]), self.optimizers, index)
            size = logged["loss"].detach().float().abs()
            if self.reference_loss is None and reference is None:
                reference = size
            peak = torch.maximum(peak, size)
            for key, value in logged.items():
                sums[key] = sums[key] + value.float() if key in sums else value.float()
        if reference is not None:
            self.reference_loss = reference.item()
        means = {key: (total / batches).item() for key, total in sums.items()}
        for key, value in means.items():
            if not math.isfinite(value):
                raise Diverged(f"loss {key!r} became {value}")
        limit = EXPLOSION_FACTOR * max(abs(self.reference_loss), 1.0)
        if peak.item() > limit:
            raise Diverged(f"|loss| reached {peak.item():.3g} in a step, beyond {limit:.3g} ({EXPLOSION_FACTOR:.0e} "
                           f"x the run's reference loss {self.reference_loss:.3g})")
        return means

    def run(self, finish: Callable[[TrainResult], None] | None = None) -> TrainResult:
        """Train from scratch or from the last checkpoint; return how the stage ended.

        ``finish(result)`` writes the stage's model file: it runs before the status file is
        written (a status file never names a model file that is not whole; the old one is removed
        when training starts), and once it has returned the checkpoint is deleted, so that a later
        run of this stage (a forced redo) trains from scratch instead of saving the same weights."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.status_path.unlink(missing_ok=True)
        state = self._resumable_state()
        if state is not None:
            self._resume(state)
            tqdm.write(f"{self.stage}: resumed from epoch {self.epoch}")
        else:
            torch.manual_seed(self.settings.seed)
        result = TrainResult("completed", self.epoch)
        bar = EpochProgress(self.stage, self.settings.epochs, self.progress, done=self.epoch)
        saved = self.epoch  # the epoch of the last checkpoint written
        try:
            for _ in range(self.epoch, self.settings.epochs):
                started = time.perf_counter()
                try:
                    row = self._run_epoch()
                except Diverged as err:
                    result = TrainResult("diverged", self.epoch, self.epoch + 1)
                    tqdm.write(f"{self.stage}: diverged at epoch {self.epoch + 1}: {err}")
                    break
                seconds = time.perf_counter() - started
                lr = self.optimizers[0].param_groups[0]["lr"]
                for sch in self.schedulers:
                    sch.step()
                self.epoch += 1
                row = {"epoch": self.epoch, **row, "seconds": seconds, "lr": lr}
                for callback in self.epoch_callbacks:
                    row.update(callback(self.module, self.epoch))
                bar.epoch_done(loss=f"{row['loss']:.4g}", **{key: f"{value:.2f}" for key, value in row.items()
                                                             if key.startswith("fid")})
                self.rows.append(row)
                self._save_checkpoint()
                saved = self.epoch
                write_log_csv(self.log_path, self.rows)
                result = TrainResult("completed", self.epoch)
        except KeyboardInterrupt:
            bar.close()
            raise TrainingInterrupted(self.stage, saved + 1, saved) from None
        bar.close()
        result.compiled = ran_compiled(self.step)
        write_log_csv(self.log_path, self.rows)
        if finish is not None:
            finish(result)
        atomic_write_text(self.status_path, json.dumps(asdict(result), indent=2))
        if finish is not None:
            self.checkpoint_path.unlink(missing_ok=True)
        return result
