"""``python -m benchmark.commands.repeat_run``: train one run of a preset several times afresh and
compare the weights, with the preset's ``deterministic`` switch set as asked.

    python -m benchmark.commands.repeat_run --config P --model glf --dataset fashion --seed 0 \
        --deterministic true --repeats 2 --out results/repeat_deterministic.csv

Each repeat trains in a new temporary run folder (nothing of the preset's runs is touched).  Writes
one CSV row per repeat (deterministic, repeat, seconds, status, compiled, weights_sha256) and exits
1 when ``--expect-equal`` is given and the repeats' weights differ.  Run it once per setting (the
cuBLAS setting is read when CUDA starts, so each setting needs its own process); the seconds of the
two settings give the speed cost of the deterministic mode.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import load_config, resolve_run
from benchmark.joblog import announce
from benchmark.model_io import load_model
from benchmark.stages import train_run
from benchmark.weight_hash import state_sha256


def repeat_rows(config: dict, model: str, dataset: str, seed: int, repeats: int) -> list[dict]:
    """Train ``model`` on ``dataset`` with ``seed`` ``repeats`` times, each in a fresh folder; one
    row per repeat with its seconds, status, whether it ran compiled and its weights' SHA-256."""
    run = resolve_run(config, model, dataset, seed)
    rows = []
    for repeat in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            result = train_run(config, run, Path(tmp), progress=False)
            seconds = time.perf_counter() - started
            trained, _ = load_model(Path(tmp) / "model.pt", "cpu")
            rows.append({"deterministic": config["deterministic"], "repeat": repeat, "seconds": round(seconds, 3),
                         "status": result.status, "compiled": result.compiled,
                         "weights_sha256": state_sha256(trained.state_dict())})
    return rows


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deterministic", required=True, choices=["true", "false"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--expect-equal", action="store_true", help="exit 1 when the repeats' weights differ")
    parser.add_argument("--out", type=Path, required=True, help="CSV file of the repeats")
    args = parser.parse_args(argv)
    announce("benchmark.commands.repeat_run")
    config = {**load_config(args.config), "deterministic": args.deterministic == "true"}
    table = pd.DataFrame(repeat_rows(config, args.model, args.dataset, args.seed, args.repeats))
    atomic_write_text(args.out, table.to_csv(index=False))
    print(table.to_string(index=False))
    equal = table["weights_sha256"].nunique() == 1
    print(f"{args.repeats} repeats, deterministic {args.deterministic}: weights "
          f"{'equal' if equal else 'differ'}; written {args.out}")
    return 1 if args.expect_equal and not equal else 0


if __name__ == "__main__":
    sys.exit(main())
