"""``python -m benchmark.commands.sample_figure --config P NAME``: a sample figure (``figure2e``,
``figure6``): ``figures.<NAME>.samples`` samples of one model (its first seed's final model) on
one dataset, drawn under the preset's sampling protocol (``evaluation.sampling``), as one PNG grid,
8 a row, in results_dir.
A run that did not complete draws a blank tile that says so."""
from __future__ import annotations

import argparse
import sys

import torch

from benchmark import paths
from benchmark.cli import reports_errors
from benchmark.sample_png import save_png
from benchmark.config import SAMPLE_FIGURES, ConfigError, load_config, sampling_protocol
from benchmark.data import to_float
from benchmark.device import pick_device
from benchmark.joblog import announce
from benchmark.model_io import load_model
from benchmark.provenance import pipeline_check_note
from benchmark.sampling import generate

ROW = 8


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("figure", choices=SAMPLE_FIGURES)
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = parser.parse_args(argv)
    announce("benchmark.commands.sample_figure")
    config = load_config(args.config)
    if args.figure not in config["figures"]:
        raise ConfigError(f"{args.config} has no 'figures.{args.figure}'; add one (dataset, model) to draw it")
    figure, seed = config["figures"][args.figure], config["seeds"][0]
    model_file = paths.final_model(config, figure["dataset"], figure["model"], seed)
    model, meta = load_model(model_file, pick_device(config["device"]))
    status = meta.get("second_stage", meta)["status"]
    protocol = sampling_protocol(config, figure["model"])
    out = paths.results(config, f"{args.figure}.png")
    label = config["models"][figure["model"]].get("label", figure["model"])
    where = f"{pipeline_check_note(config)}{label} on {figure['dataset']}, seed {seed}, preset {config['preset']}"
    if status != "completed":
        save_png(torch.zeros(1, *model.image_shape), out, nrow=1, caption=f"{where}: {status}, no samples")
    else:
        images = generate(model, figure["samples"], seed, progress=config["progress"] and not args.no_progress,
                          protocol=protocol)
        save_png(to_float(images), out, nrow=ROW, caption=f"{where}: {len(images)} samples, {protocol} sampling")
    print(f"{out}: {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
