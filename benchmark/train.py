"""``python -m benchmark.train``: train one (model, dataset, seed) run of a preset.

Writes into the run directory: ``train_checkpoint.pt`` each epoch, ``train_log.csv``,
``train_status.json`` and ``model.pt`` (the last finite model; for a diverged run the model of
the last completed epoch).  Re-running an interrupted command resumes it.
"""
from __future__ import annotations

import sys

import torch

from benchmark.cli import reports_errors
from benchmark.compiled_step import compiled_train_step, use_compiled_step
from benchmark.device import image_batch_transform, pick_device, tune_for_speed
from benchmark.evaluation import fid_tracker
from benchmark.joblog import announce
from benchmark.model_io import save_model
from benchmark.run_lock import run_lock
from benchmark.runs import load_run, load_training_images, run_arguments, run_identity, with_num_train
from benchmark.torch_files import load_torch_file
from benchmark.trainer import Trainer
from models import build_model


def train_run(config: dict, run, run_dir, progress: bool = True, epoch_callbacks=()):
    """Train stage 1 of ``run`` in ``run_dir`` (holding its lock) and save ``model.pt``; return
    the TrainResult.  The seed is set before anything random, so a fresh run repeats exactly."""
    with run_lock(run_dir):
        return _train_locked(config, run, run_dir, progress, epoch_callbacks)


def _train_locked(config: dict, run, run_dir, progress: bool, epoch_callbacks):
    torch.manual_seed(run.seed)
    device = pick_device(config["device"])
    tune_for_speed(device)
    images = load_training_images(config, run).images
    run = with_num_train(run, images.shape[0])
    model = build_model(run.method, run.spec)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    step = compiled_train_step(model, device) if use_compiled_step(config["compile_step"], device) else None
    trainer = Trainer(model, images, run.train, run_dir, stage="train", device=device,
                      batch_transform=image_batch_transform(device), epoch_callbacks=epoch_callbacks,
                      progress=progress, bf16=config["precision"] == "bf16",
                      identity=run_identity(config, run, images), step=step)
    result = trainer.run()
    if result.diverged and trainer.checkpoint_path.exists():
        model.load_state_dict(load_torch_file(trainer.checkpoint_path, "checkpoint", "", device)["module"])
    save_model(run_dir / "model.pt", model, run.method,
               {"model": run.model, "dataset": run.dataset, "seed": run.seed, "status": result.status,
                "epochs": result.epochs_done, "diverged_at_epoch": result.diverged_at_epoch})
    return result


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = run_arguments(__doc__.splitlines()[0])
    parser.add_argument("--track-fid", action="store_true",
                        help="log an FID every evaluation.eval_every epochs (Figures 3 and 4)")
    args = parser.parse_args(argv)
    announce("benchmark.train")
    config, run, run_dir = load_run(args)
    progress = config["progress"] and not args.no_progress
    callbacks = (fid_tracker(config, run.dataset, run.seed, progress),) if args.track_fid else ()
    result = train_run(config, run, run_dir, progress=progress, epoch_callbacks=callbacks)
    print(f"{run.model} on {run.dataset} (seed {run.seed}): {result.status} after {result.epochs_done} epochs"
          + (f", diverged at epoch {result.diverged_at_epoch}" if result.diverged else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
