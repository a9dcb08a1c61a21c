"""``python -m benchmark.commands.sample``: generated images, sample grids and interpolations of a model.

Reads the run's final model (after its second stage, if any) from the run folder and writes
``samples.pt`` (``evaluation.num_samples`` images), ``grid.png`` and ``interpolation.png`` there,
the two pictures under the run's sampling protocol, which their captions name.

Samples are saved as ``{"images": uint8 (N, C, S, S) or None, "status", "meta", "sampling",
"images_by_sampling"}``: ``images`` are those of the preset's one sampling protocol for every
model, ``evaluation.sampling`` (named by ``sampling``; :func:`benchmark.config.sampling_protocol`);
``images_by_sampling`` maps each protocol of :mod:`models.sampling` ("authors", "eval") to its
images (the same seed and noise), so that both FIDs can be computed.
A diverged run yields no images (``None`` everywhere), so that its table cells read "diverged"
rather than a number.
"""
from __future__ import annotations

import sys

import torch

from benchmark import paths
from benchmark.atomic import atomic_torch_save
from benchmark.cli import reports_errors
from benchmark.config import sampling_protocol
from benchmark.data import to_float
from benchmark.device import pick_device
from benchmark.joblog import announce
from benchmark.model_io import load_model
from benchmark.runs import load_run, run_arguments
from benchmark.sample_png import save_png
from benchmark.sampling import GRID_COLUMNS, INTERPOLATION_PAIRS, INTERPOLATION_STEPS, generate, interpolation
from models.sampling import SAMPLING_PROTOCOLS



@reports_errors
def main(argv: list[str] | None = None) -> int:
    args = run_arguments(__doc__.splitlines()[0]).parse_args(argv)
    announce("benchmark.commands.sample")
    config, run, run_dir = load_run(args)
    torch.manual_seed(run.seed)
    model_file = run_dir / paths.final_model(config, run.dataset, run.model, run.seed).name
    model, meta = load_model(model_file, pick_device(config["device"]), run)
    status = meta.get("second_stage", meta)["status"]
    by_sampling = dict.fromkeys(SAMPLING_PROTOCOLS)
    if status == "completed":
        by_sampling = {p: generate(model, config["evaluation"]["num_samples"], run.seed,
                                   progress=config["progress"] and not args.no_progress, protocol=p)
                       for p in SAMPLING_PROTOCOLS}
    sampling = sampling_protocol(config, run.model)
    images = by_sampling[sampling]
    out = run_dir / "samples.pt"
    atomic_torch_save({"images": images, "status": status, "meta": meta, "sampling": sampling,
                       "images_by_sampling": by_sampling}, out)
    if images is None:
        blank = torch.zeros(1, *model.image_shape)
        save_png(blank, run_dir / "grid.png", nrow=1, caption=f"{status}: no samples")
        save_png(blank, run_dir / "interpolation.png", nrow=1, caption=f"{status}: no samples")
    else:
        shown = min(100, images.shape[0])
        save_png(to_float(images[:shown]), run_dir / "grid.png", nrow=GRID_COLUMNS,
                 caption=f"seed {run.seed}, {sampling} sampling: {shown} of {images.shape[0]} samples")
        walks = interpolation(model, pairs=INTERPOLATION_PAIRS, steps=INTERPOLATION_STEPS, seed=run.seed,
                              protocol=sampling)
        save_png(walks, run_dir / "interpolation.png", nrow=INTERPOLATION_STEPS,
                 caption=f"seed {run.seed}, {sampling} sampling; each row: {INTERPOLATION_STEPS} images along a "
                         f"straight line between two noise draws, both ends included")
    print(f"{out}: {status}" + ("" if images is None else f", {images.shape[0]} samples"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
