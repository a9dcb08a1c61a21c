"""``python -m benchmark.commands.write_provenance --config P --out results/provenance.json``: record the
commit, library versions, device, preset hash, data checksums and feature weights of a preset."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.joblog import announce
from benchmark.provenance import provenance


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    announce("benchmark.commands.write_provenance")
    record = provenance(load_config(args.config))
    atomic_write_text(args.out, json.dumps(record, indent=2) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
