"""``python -m benchmark.commands.train``: train one (model, dataset, seed) run of a preset.

Writes into the run directory: ``train_checkpoint.pt`` each epoch, ``train_log.csv``,
``train_status.json`` and ``model.pt`` (the last finite model; for a diverged run the model of
the last completed epoch).  Re-running an interrupted command resumes it.
"""
from __future__ import annotations

import sys

from benchmark.cli import reports_errors
from benchmark.evaluation import fid_tracker
from benchmark.joblog import announce
from benchmark.runs import load_run, run_arguments
from benchmark.stages import train_run


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = run_arguments(__doc__.splitlines()[0])
    parser.add_argument("--track-fid", action="store_true",
                        help="log the FID under each sampler every evaluation.eval_every epochs (Figures 3 and 4, the FID curve)")
    args = parser.parse_args(argv)
    announce("benchmark.commands.train")
    config, run, run_dir = load_run(args)
    progress = config["progress"] and not args.no_progress
    callbacks = (fid_tracker(config, run, progress),) if args.track_fid else ()
    result = train_run(config, run, run_dir, progress=progress, epoch_callbacks=callbacks)
    print(f"{run.model} on {run.dataset} (seed {run.seed}): {result.status} after {result.epochs_done} epochs"
          + (f", diverged at epoch {result.diverged_at_epoch}" if result.diverged else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
