"""``python -m benchmark.commands.tables --config P NAME...``: Tables 1-6, paper_vs_ours and the
perf table of a preset's runs, written to its results_dir (see :mod:`benchmark.tables`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark import results
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.joblog import announce
from benchmark.tables import TABLES


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("tables", nargs="+", choices=sorted(TABLES))
    args = parser.parse_args(argv)
    announce("benchmark.commands.tables")
    config = load_config(args.config)
    found = results.load(config)
    for name in args.tables:
        for path in TABLES[name](found, Path(config["results_dir"])):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
