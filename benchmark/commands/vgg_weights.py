"""``python -m benchmark.commands.vgg_weights [--path P] [--download]``: check (or download) the pinned
VGG16 weights of the perceptual loss, e.g. on a submit host with internet before jobs run on
compute nodes without it."""
from __future__ import annotations

import argparse
import sys

from benchmark.cli import reports_errors
from models.perceptual import VGG16_SHA256, VGG16_URL, WEIGHTS_ENV, verified_weights


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check (or download) the pinned VGG16 weights.")
    parser.add_argument("--path", default=None, help=f"weights file (default ${WEIGHTS_ENV} or torch.hub's cache)")
    parser.add_argument("--download", action="store_true", help=f"download {VGG16_URL} if missing")
    args = parser.parse_args(argv)
    path = verified_weights(args.path, download=args.download)
    print(f"{path}: sha256 {VGG16_SHA256} verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
