"""``python -m benchmark.commands.perf``: how fast the suite trains and evaluates, against a naive loop.

Writes ``results/perf.csv`` (``results/perf_gpu.csv`` on a GPU) and prints the table; what is
measured and how is described in :mod:`benchmark.perf`.  ``--budget-seconds`` (default 60) sizes
every timing so that the measurements together take about that long (compiling and first epochs
come on top; 0 keeps ``--repeats``, ``--min-steps`` and ``--min-seconds`` as given).
``--variants`` times the training step variants side by side (``train_variant`` rows);
``--profile FILE`` writes torch.profiler's top ops of a few steps of each method and variant.
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
from benchmark.perf import (
    SHAPES,
    STEP_VARIANTS,
    budget_settings,
    measure,
    output_name,
    profile_summary,
    timing_count,
)


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
    parser.add_argument("--budget-seconds", type=float, default=60.0,
                        help="seconds for all measurements together (0: --repeats/--min-* as given)")
    parser.add_argument("--variants", nargs="*", default=[], choices=list(STEP_VARIANTS),
                        help="training step variants timed side by side as train_variant rows (default none)")
    parser.add_argument("--layouts", nargs="+", default=["channels_last"], choices=["channels_last", "contiguous"],
                        help="memory layouts of the models in the variant timings (CUDA)")
    parser.add_argument("--tasks", nargs="*", default=["train", "features", "prd", "evaluate"],
                        choices=["train", "features", "prd", "evaluate"], help="the other timings to take")
    parser.add_argument("--backend", default="inductor",
                        help="torch.compile backend of the variants (aot_eager: a quick check on CPU)")
    parser.add_argument("--profile", type=Path, help="write torch.profiler's top ops per method and variant here")
    parser.add_argument("--profile-steps", type=int, default=20, help="steps profiled per method and variant")
    parser.add_argument("--out-dir", type=Path, default=Path("results"))
    parser.add_argument("--paper-config", default="workflow/config/paper.yaml")
    args = parser.parse_args(argv)
    announce("benchmark.commands.perf")
    if args.images < 2 * args.batch_size:
        parser.error("--images must be at least twice --batch-size")
    device = pick_device(args.device)
    timing = {"repeats": args.repeats, "min_seconds": args.min_seconds, "min_steps": args.min_steps}
    if args.budget_seconds > 0:
        timing = budget_settings(args.budget_seconds, timing_count(args.shapes, tuple(args.variants), tuple(args.layouts),
                                                               tuple(args.tasks)))
        timing["min_steps"] = min(timing["min_steps"], args.min_steps)
    table = measure(device, args.images, args.batch_size, timing["repeats"], args.shapes, args.classifier_images,
                    args.inception_images, args.prd_features, args.evaluate_samples, timing["min_steps"],
                    timing["min_seconds"], {"auto": "auto", "true": True, "false": False}[args.compile],
                    load_config(args.paper_config), tuple(args.variants), tuple(args.layouts), tuple(args.tasks),
                    args.backend)
    out = args.out_dir / output_name(device)
    atomic_write_text(out, table.to_csv(index=False))
    print(table.to_string(index=False))
    print(f"written {out}")
    if args.profile:
        summaries = [profile_summary(method, variant, device, args.batch_size, args.profile_steps,
                                     backend=args.backend)
                     for method in ("glf", "vae") for variant in args.variants or ["eager"]]
        atomic_write_text(args.profile, "\n".join(summaries))
        print(f"written {args.profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
