"""``python -m benchmark.commands.figures --config P NAME...``: Figures 3 and 4, the FID curve and the sample-grid
montages (``samples_<dataset>``) of a preset's runs, written to its results_dir (see
:mod:`benchmark.figures`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark import results
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.fid_curve_figure import fid_curve_figure
from benchmark.figures import PANELS, sample_montage, training_curves
from benchmark.joblog import announce


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("figures", nargs="+", help="figure3, figure4, fid_curve, or samples_<dataset>")
    args = parser.parse_args(argv)
    announce("benchmark.commands.figures")
    config = load_config(args.config)
    unknown = [n for n in args.figures if n not in PANELS and n != "fid_curve" and not n.startswith("samples_")]
    if unknown:
        parser.error(f"unknown figure {unknown[0]!r}; choose figure3, figure4, fid_curve or samples_<dataset>")
    found = results.load(config)
    out = Path(config["results_dir"])
    for name in args.figures:
        outputs = (training_curves(found, name, out) if name in PANELS
                   else fid_curve_figure(found, out) if name == "fid_curve"
                   else sample_montage(found, name.removeprefix("samples_"), out))
        print(*outputs, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
