"""``python -m benchmark.commands.write_runs --config P``: write ``<results_dir>/runs.csv``, every
run's values and hashes (see :mod:`benchmark.run_table`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark import results
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.joblog import announce
from benchmark.run_table import write_runs


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    announce("benchmark.commands.write_runs")
    config = load_config(args.config)
    print(write_runs(results.load(config), Path(config["results_dir"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
