"""``python -m benchmark.commands.select_penalty``: pick a model's z_penalty from its ``z_penalty_grid``.

For each grid value, trains the model (both stages) on its training split less the last
``evaluation.holdout_images`` images, in ``<run_dir>/grid/z_penalty=<value>``, samples as many
images under the preset's sampling protocol (:func:`benchmark.config.sampling_protocol`), and
computes their FID against the held-out training images.  The test split is never read.  Writes ``<run_dir>/selection.json``:
``{"values", "holdout_fids", "chosen", "holdout_images", "sampling"}`` with ``chosen`` the value of
the lowest FID (a diverged candidate scores infinity).  The run itself then trains on the full
training split with the chosen value (:func:`benchmark.runs.load_run` applies it).
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

from benchmark import paths
from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import ConfigError, load_config, model_settings, resolve_run, sampling_protocol
from benchmark.device import pick_device
from benchmark.evaluation import extractor_for
from benchmark.joblog import announce
from benchmark.metrics.fid import fid_from_features, real_features_and_statistics
from benchmark.model_io import load_model
from benchmark.paths import SELECTION_FILE
from benchmark.runs import held_out_images, run_arguments, with_params
from benchmark.sampling import generate
from benchmark.stages import second_stage_run, train_run


def lowest(fids: dict[float, float]) -> float:
    """The value whose FID is lowest (the first such value on ties)."""
    return min(fids, key=lambda value: fids[value])


def candidate_fid(config: dict, run, run_dir: Path, extractor, statistics, progress: bool) -> float:
    """Train one grid candidate (both stages) in ``run_dir`` and return the FID of its samples
    (under the preset's sampling protocol) against the held-out statistics ``(mu, sigma)``;
    infinity when it diverged."""
    train_run(config, run, run_dir, progress=progress)
    second_stage_run(config, run, run_dir, progress=progress)
    model, meta = load_model(run_dir / "model_stage2.pt", pick_device(config["device"]), run)
    if meta["second_stage"]["status"] != "completed":
        return math.inf
    evaluation = config["evaluation"]
    images = generate(model, run.holdout_images, run.seed, evaluation["batch_size"],
                      protocol=sampling_protocol(config, run.model))
    return fid_from_features(extractor.features(images, evaluation["batch_size"]), *statistics)


def select(config: dict, model: str, dataset: str, seed: int, run_dir: Path, progress: bool = False) -> dict:
    """Score every value of ``models.<model>.z_penalty_grid`` on held-out training images, write
    and return the selection (see the module)."""
    values = model_settings(config, model)["z_penalty_grid"]
    run = dataclasses.replace(resolve_run(config, model, dataset, seed),
                              holdout_images=config["evaluation"]["holdout_images"])
    extractor = extractor_for(config, dataset)
    _, mu, sigma = real_features_and_statistics(held_out_images(config, run).images, extractor,
                                                config["cache_dir"], config["evaluation"]["batch_size"])
    fids = {value: candidate_fid(config, with_params(run, z_penalty=value), run_dir / "grid" / f"z_penalty={value}",
                                 extractor, (mu, sigma), progress) for value in values}
    selection = {"values": values, "holdout_fids": [fids[v] for v in values], "chosen": lowest(fids),
                 "holdout_images": run.holdout_images, "sampling": sampling_protocol(config, model)}
    atomic_write_text(Path(run_dir) / SELECTION_FILE, json.dumps(selection, indent=2) + "\n")
    return selection


@reports_errors
def main(argv: list[str] | None = None) -> int:
    args = run_arguments(__doc__.splitlines()[0]).parse_args(argv)
    announce("benchmark.commands.select_penalty")
    config = load_config(args.config)
    if "z_penalty_grid" not in model_settings(config, args.model):
        raise ConfigError(f"model {args.model!r} has no z_penalty_grid in {args.config}; add one to search z_penalty")
    run_dir = args.run_dir or paths.run_dir(config, args.dataset, args.model, args.seed)
    selection = select(config, args.model, args.dataset, args.seed, run_dir,
                       progress=config["progress"] and not args.no_progress)
    print(f"{args.model} on {args.dataset} (seed {args.seed}): z_penalty {selection['chosen']} "
          f"(held-out FIDs {dict(zip(selection['values'], selection['holdout_fids']))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
