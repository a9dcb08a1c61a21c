"""``python -m benchmark.commands.plan_summary PLAN``: print the summary of a ``snakemake -n`` plan
saved in the file PLAN (jobs per rule, datasets, models, estimate, warnings last)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cli import reports_errors
from benchmark.dry_run import summary


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path, help="the saved output of snakemake -n")
    args = parser.parse_args(argv)
    print(summary(args.plan.read_text(), args.plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
