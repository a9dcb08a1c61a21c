"""``python -m benchmark.commands.second_stage``: fit or train the second stage of a two-stage method.

Reads ``model.pt`` from the run directory, encodes the training images, fits the second stage
(a closed-form fit such as RAE's GMM, or a second network trained with the same trainer, as in
Two-Stage VAE and GLANN) and writes ``model_stage2.pt`` plus ``stage2_log.csv`` and
``stage2_status.json``.  A diverged first stage is passed on unchanged, marked as such.
"""
from __future__ import annotations

import sys

from benchmark.cli import reports_errors
from benchmark.joblog import announce
from benchmark.runs import load_run, run_arguments
from benchmark.stages import second_stage_run


@reports_errors
def main(argv: list[str] | None = None) -> int:
    args = run_arguments(__doc__.splitlines()[0]).parse_args(argv)
    announce("benchmark.commands.second_stage")
    config, run, run_dir = load_run(args)
    status = second_stage_run(config, run, run_dir, progress=config["progress"] and not args.no_progress)
    print(f"{run.model} on {run.dataset} (seed {run.seed}): second stage ({status['kind']}) {status['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
