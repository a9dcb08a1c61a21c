"""``python -m benchmark.commands.write_results_readme --config P``: write ``<results_dir>/README.md``,
the preset's results in words, from the files of its results folder (see
:mod:`benchmark.results_readme`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.joblog import announce
from benchmark.results_readme import results_readme

PAPER_PRESET = Path(__file__).resolve().parents[2] / "workflow" / "config" / "paper.yaml"


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    announce("benchmark.commands.write_results_readme")
    config = load_config(args.config)
    folder = Path(config["results_dir"])
    target = folder / "README.md"
    atomic_write_text(target, results_readme(config, load_config(PAPER_PRESET), folder))
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
