"""Running the stages of one (model, dataset, seed) run in its run folder: stage-1 training
(``model.pt``) and the second stage of two-stage methods (``model_stage2.pt``).  The train,
second-stage and penalty-selection commands call these; each holds the run's lock and seeds torch
before anything random, so a fresh run repeats exactly.  A stage's status file is written only
after its model file is whole, and its finished checkpoint is then deleted: a forced redo trains
from scratch (:meth:`benchmark.trainer.Trainer.run`)."""
from __future__ import annotations

import json

import torch

from benchmark.atomic import atomic_write_text
from benchmark.compiled_step import compiled_train_step, step_variant
from benchmark.config import ConfigError
from benchmark.data import md5_file
from benchmark.device import image_batch_transform, pick_device, tune_for_speed
from benchmark.code_identity import training_code_sha256
from benchmark.model_io import load_model, run_record, save_model
from benchmark.provenance import process_provenance
from benchmark.run_lock import run_lock
from benchmark.runs import load_training_images, run_identity, with_num_train
from benchmark.torch_files import load_torch_file
from benchmark.trainer import Trainer, write_log_csv
from models import build_model


def train_run(config: dict, run, run_dir, progress: bool = True, epoch_callbacks=()):
    """Train stage 1 of ``run`` in ``run_dir`` (holding its lock) and save ``model.pt``; return
    the TrainResult.  The seed is set before anything random, so a fresh run repeats exactly."""
    with run_lock(run_dir):
        return _train_locked(config, run, run_dir, progress, epoch_callbacks)


def _train_locked(config: dict, run, run_dir, progress: bool, epoch_callbacks):
    torch.manual_seed(run.seed)
    device = pick_device(config["device"])
    tune_for_speed(device, config["deterministic"])
    record = run_record(run)
    images = load_training_images(config, run).images
    run = with_num_train(run, images.shape[0])
    model = build_model(run.method, run.spec)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    variant = step_variant(config["compile_step"], device)
    step = compiled_train_step(model, device, variant=variant) if variant else None
    trainer = Trainer(model, images, run.train, run_dir, stage="train", device=device,
                      batch_transform=image_batch_transform(device), epoch_callbacks=epoch_callbacks,
                      progress=progress, bf16=config["precision"] == "bf16",
                      identity=run_identity(config, run, images), step=step)

    def save(result):
        if result.diverged and trainer.checkpoint_path.exists():
            model.load_state_dict(load_torch_file(trainer.checkpoint_path, "checkpoint", "", device)["module"])
        save_model(run_dir / "model.pt", model, run.method,
                   {**record, "status": result.status, "epochs": result.epochs_done,
                    "diverged_at_epoch": result.diverged_at_epoch, "compiled": result.compiled,
                    "trained": process_provenance(str(device))})

    return trainer.run(finish=save)


def second_stage_run(config: dict, run, run_dir, progress: bool = True) -> dict:
    """Fit/train the second stage of ``run`` (holding the run's lock, seeded before anything
    random) and save ``model_stage2.pt``; return its status dict."""
    with run_lock(run_dir):
        return _second_stage_locked(config, run, run_dir, progress)


def _second_stage_locked(config: dict, run, run_dir, progress: bool) -> dict:
    torch.manual_seed(run.seed)
    device = pick_device(config["device"])  # does not start CUDA: the deterministic mode can follow
    tune_for_speed(device, config["deterministic"])
    model, meta = load_model(run_dir / "model.pt", device, run)
    kind = type(model).second_stage
    if kind is None:
        raise ConfigError(f"method {run.method!r} of model {run.model!r} has no second stage")
    status = {"status": meta["status"], "kind": kind, "epochs_done": 0}
    (run_dir / "stage2_status.json").unlink(missing_ok=True)

    def save(result=None):
        if result is not None:
            status.update(status=result.status, epochs_done=result.epochs_done)
        save_model(run_dir / "model_stage2.pt", model, run.method, {**meta, "second_stage": status})

    if meta["status"] == "completed" and kind != "fit":
        latents = model.training_latents(load_training_images(config, run).images)
        identity = {"model": run.model, "method": run.method, "stage1_md5": md5_file(run_dir / "model.pt"),
                    "code_sha256": training_code_sha256()}
        Trainer(model.second_stage_module(), latents.detach(), run.second_stage, run_dir, stage="stage2",
                device=device, progress=progress, identity=identity).run(finish=save)
    else:
        if meta["status"] == "completed":
            latents = model.training_latents(load_training_images(config, run).images)
            write_log_csv(run_dir / "stage2_log.csv", [model.fit_second_stage(latents, run.seed)])
        save()
    atomic_write_text(run_dir / "stage2_status.json", json.dumps(status, indent=2))
    return status
