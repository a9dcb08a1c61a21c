"""``python -m benchmark.commands.perf``: how fast the suite trains and evaluates, against a naive loop.

Writes ``results/perf.csv`` (``results/perf_gpu.csv`` on a GPU) and prints the table; what is
measured and how is described in :mod:`benchmark.perf`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.device import pick_device
from benchmark.joblog import announce
from benchmark.perf import SHAPES, measure, output_name


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--images", type=int, default=256, help="images per training measurement")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved suite/naive repetitions (medians)")
    parser.add_argument("--classifier-images", type=int, default=1024, help="images per classifier-feature timing")
    parser.add_argument("--inception-images", type=int, default=16, help="images per Inception-feature timing")
    parser.add_argument("--prd-features", type=int, default=1000, help="features per set in the PRD timing")
    parser.add_argument("--evaluate-samples", type=int, default=10_000, help="samples in the evaluate timing")
    parser.add_argument("--min-steps", type=int, default=50, help="least steps (batches) per timing")
    parser.add_argument("--min-seconds", type=float, default=2.0, help="least seconds per timing")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES),
                        help="image shapes of the training timings")
    parser.add_argument("--compile", default="auto", choices=["auto", "true", "false"],
                        help="compiled training step for the suite (auto: on CUDA only)")
    parser.add_argument("--out-dir", type=Path, default=Path("results"))
    parser.add_argument("--paper-config", default="workflow/config/paper.yaml")
    args = parser.parse_args(argv)
    announce("benchmark.commands.perf")
    if args.images < 2 * args.batch_size:
        parser.error("--images must be at least twice --batch-size")
    device = pick_device(args.device)
    table = measure(device, args.images, args.batch_size, args.repeats, args.shapes, args.classifier_images,
                    args.inception_images, args.prd_features, args.evaluate_samples, args.min_steps,
                    args.min_seconds, {"auto": "auto", "true": True, "false": False}[args.compile],
                    load_config(args.paper_config))
    out = args.out_dir / output_name(device)
    atomic_write_text(out, table.to_csv(index=False))
    print(table.to_string(index=False))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
