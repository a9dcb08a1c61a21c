"""``python -m benchmark.commands.prepare_data``: verify a dataset's original files (downloading them when
the preset allows) and cache its train and test splits as uint8 tensors."""
from __future__ import annotations

import argparse
import json
import sys

from benchmark import paths
from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import ConfigError, load_config
from benchmark.data import SPLITS
from benchmark.joblog import announce
from benchmark.runs import load_split


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--dataset", required=True)
    args = parser.parse_args(argv)
    announce("benchmark.commands.prepare_data")
    config = load_config(args.config)
    if args.dataset not in config["datasets"]:
        raise ConfigError(f"dataset {args.dataset!r} is not in the preset; it has {sorted(config['datasets'])}")
    summary = {"dataset": args.dataset, "crop": config["datasets"][args.dataset]["crop"]}
    for split in SPLITS:
        data = load_split(config, args.dataset, split)
        summary[split] = {"images": len(data), "shape": list(data.images.shape[1:])}
        print(f"{args.dataset} {split}: {len(data)} images of shape {tuple(data.images.shape[1:])}")
    atomic_write_text(paths.data_ready(config, args.dataset), json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
