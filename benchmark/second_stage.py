"""``python -m benchmark.second_stage``: fit or train the second stage of a two-stage method.

Reads ``model.pt`` from the run directory, encodes the training images, fits the second stage
(a closed-form fit such as RAE's GMM, or a second network trained with the same trainer, as in
Two-Stage VAE and GLANN) and writes ``model_stage2.pt`` plus ``stage2_log.csv`` and
``stage2_status.json``.  A diverged first stage is passed on unchanged, marked as such.
"""
from __future__ import annotations

import json
import sys

import torch

from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import ConfigError
from benchmark.device import pick_device
from benchmark.joblog import announce
from benchmark.data import md5_file
from benchmark.model_io import load_model, save_model
from benchmark.run_lock import run_lock
from benchmark.runs import load_run, load_training_images, run_arguments
from benchmark.trainer import Trainer, write_log_csv


def second_stage_run(config: dict, run, run_dir, progress: bool = True) -> dict:
    """Fit/train the second stage of ``run`` (holding the run's lock, seeded before anything
    random) and save ``model_stage2.pt``; return its status dict."""
    with run_lock(run_dir):
        return _second_stage_locked(config, run, run_dir, progress)


def _second_stage_locked(config: dict, run, run_dir, progress: bool) -> dict:
    torch.manual_seed(run.seed)
    device = pick_device(config["device"])
    model, meta = load_model(run_dir / "model.pt", device)
    kind = type(model).second_stage
    if kind is None:
        raise ConfigError(f"method {run.method!r} of model {run.model!r} has no second stage")
    status = {"status": meta["status"], "kind": kind, "epochs_done": 0}
    if meta["status"] == "completed":
        latents = model.training_latents(load_training_images(config, run).images)
        if kind == "fit":
            write_log_csv(run_dir / "stage2_log.csv", [model.fit_second_stage(latents, run.seed)])
        else:
            identity = {"model": run.model, "method": run.method, "stage1_md5": md5_file(run_dir / "model.pt")}
            result = Trainer(model.second_stage_module(), latents.detach(), run.second_stage, run_dir,
                             stage="stage2", device=device, progress=progress, identity=identity).run()
            status.update(status=result.status, epochs_done=result.epochs_done)
    save_model(run_dir / "model_stage2.pt", model, run.method, {**meta, "second_stage": status})
    atomic_write_text(run_dir / "stage2_status.json", json.dumps(status, indent=2))
    return status


@reports_errors
def main(argv: list[str] | None = None) -> int:
    args = run_arguments(__doc__.splitlines()[0]).parse_args(argv)
    announce("benchmark.second_stage")
    config, run, run_dir = load_run(args)
    status = second_stage_run(config, run, run_dir, progress=config["progress"] and not args.no_progress)
    print(f"{run.model} on {run.dataset} (seed {run.seed}): second stage ({status['kind']}) {status['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
