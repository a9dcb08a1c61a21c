"""``python -m benchmark.commands.compare_authors``: the authors' released train_glf.py against the suite's GLF.

    python -m benchmark.commands.compare_authors --authors-code PATH [--config workflow/config/validation-cpu.yaml]
        [--seeds 0 1 2] [--device auto|cpu|cuda] [--data-root DIR] [--max-images N] [--num-samples N]

Trains both at the preset's settings of its GLF model (epochs, LR milestone, batch, latent size,
flow) on the same training images for each seed, draws ``evaluation.num_samples`` images of each
the authors' way, scores them with the preset's features and writes ``<out>.csv`` and ``<out>.md``
(default ``results/authors_vs_suite``): each seed, mean ± sd, Welch's t test, the changes made to
their code and the provenance.  PATH is a checkout of github.com/nalzok/flow-comparison; it is
copied and patched in a scratch folder, never changed.  Needs FrEIA 0.2 (``pip install -e
'.[authors]'``) and the preset's classifier (``python -m benchmark.commands.train_classifier``).
Runs go to ``<runs_dir>/compare-authors/<dataset>`` (reused when the command is repeated; a
relative folder is taken from the current one).  FrEIA, their checkout, the settings their script
takes, the runs and report folders and the data are checked before the first long step (the
classifier's training); each long step reports its epochs (a bar on a terminal, lines in a log).
``--max-images`` and ``--num-samples`` shrink a trial run; the report names them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.authors_comparison import (Comparison, compare, comparison_config, report_context, require_freia,
                                         require_writable)
from benchmark.authors_report import write_report
from benchmark.cli import reports_errors
from benchmark.joblog import announce
from benchmark.metrics.registry import FEATURES


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors-code", type=Path, required=True, help="checkout of github.com/nalzok/flow-comparison")
    parser.add_argument("--config", "--preset", dest="config", default="workflow/config/validation-cpu.yaml",
                        help="preset whose GLF settings and evaluation both sides get")
    parser.add_argument("--model", default="glf", help="the preset's GLF model")
    parser.add_argument("--dataset", default="fashion")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default: the preset's")
    parser.add_argument("--data-root", help="folder of the original dataset files (default: the preset's data_root)")
    parser.add_argument("--max-images", type=int, help="train both on the first N training images (trial runs)")
    parser.add_argument("--num-samples", type=int, help="samples per run and test images (default: the preset's)")
    parser.add_argument("--work-dir", type=Path, help="where the runs go (default <runs_dir>/compare-authors/<dataset>)")
    parser.add_argument("--out", type=Path, default=Path("results/authors_vs_suite"), help="output stem")
    args = parser.parse_args(argv)
    announce("benchmark.commands.compare_authors")
    require_freia()
    config = comparison_config(args.config, args.dataset, device=args.device, data_root=args.data_root,
                               max_images=args.max_images, num_samples=args.num_samples,
                               progress=sys.stderr.isatty())
    suffix = f"-max{args.max_images}" if args.max_images else ""
    work_dir = args.work_dir or Path(config["runs_dir"]) / "compare-authors" / f"{args.dataset}{suffix}"
    require_writable(args.out.resolve().parent, "the report's folder (--out)")
    comparison = Comparison(config, args.model, args.dataset, args.seeds, args.authors_code.resolve(),
                            work_dir.resolve())
    rows = compare(comparison, report=lambda line: print(line, flush=True))
    context = report_context(comparison)
    for path in write_report(rows, context, args.out, FEATURES[config["evaluation"]["features"]].label):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
