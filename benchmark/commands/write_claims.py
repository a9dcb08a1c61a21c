"""``python -m benchmark.commands.write_claims --config P``: check the paper's claims on a preset's runs and
write ``<results_dir>/claims.csv`` and ``claims.md`` (see :mod:`benchmark.claims`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from benchmark import claim_statistics as stats
from benchmark import claims, paths, results
from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import load_config
from benchmark.joblog import announce
from benchmark.provenance import provenance_note
from benchmark.table_format import markdown_frame, markdown_text, with_pipeline_check_mark

NOISE_RULE = (f"Verdicts: `{stats.HOLDS}`, `{stats.FAILS}`, `{stats.UNKNOWN}`, `{stats.BY_PROTOCOL}` (true by the "
              f"preset's settings, not judged). A difference between two models counts when Welch's t-test "
              f"(Welch–Satterthwaite degrees of freedom) rejects equal means, the comparisons of each claim "
              f"adjusted together by Holm–Bonferroni to a family-wise error of {stats.ALPHA:.0%} (each row names "
              f"its threshold), and the gap exceeds {stats.MIN_MARGIN:.0%} of the larger mean; with one seed on "
              f"both sides the gap must exceed {stats.SINGLE_SEED_MARGIN:.0%} of the larger mean. A model with "
              f"diverged seeds is judged on its finished ones (the diverged count shown); one whose every seed "
              f"diverged loses to a finished one. A missing model or a difference within the noise gives "
              f"`{stats.UNKNOWN}`. Curves (latent norm, log-det, NLL, tracked FID) need {claims.MIN_CURVE_POINTS} "
              f"points and are judged per seed; seeds that disagree give `{stats.UNKNOWN}`. Every FID is compared "
              f"under one sampler for all models, once under each uniform protocol ({', '.join(claims.PROTOCOLS)}: the "
              f"FIDs `fid_eval`, `fid_authors` of every metrics file); a part holds or fails only when both agree, "
              f"else `{stats.DEPENDS} (...)` names each protocol's answer; a tracked FID counts under the protocol its "
              f"runs sample with only. \"No better\" (claim 3's learnable variance) holds when the FID is worse "
              f"beyond the noise or equivalent by two one-sided Welch tests (TOST) within "
              f"±{stats.EQUIVALENCE_MARGIN:.0%} of the best fixed beta's mean; else `{stats.UNKNOWN}` (too little "
              f"power). The parts of combined findings (claim 4's beta steps, claim 3's learnable variance) are in "
              f"their claim's Holm family.")


def claims_markdown(config: dict, table: pd.DataFrame) -> str:
    """The claims report: a summary (one verdict per claim and dataset) then every part's evidence."""
    overall = table[table["part"] == "overall"]
    summary = overall[["claim", "dataset", "verdict", "subject"]].rename(columns={"subject": "statement"})
    lines = [f"# The paper's claims, checked on preset `{config['preset']}`", "",
             f"features: {config['evaluation']['features']}; seeds {config['seeds']}; {provenance_note(config)}", "",
             NOISE_RULE, "", "## Summary", "", markdown_frame(summary).to_markdown(index=False), ""]
    for claim, rows in table[table["part"] != "overall"].groupby("claim", sort=False):
        lines += [f"## Claim {claim}: {markdown_text(claims.CLAIMS[claim])}", "",
                  markdown_frame(rows[["part", "dataset", "subject", "evidence", "verdict"]]).to_markdown(index=False),
                  ""]
    return "\n".join(lines)


def write_claims(config: dict) -> list[Path]:
    """Check every claim on the preset's runs; write and return ``claims.csv`` and ``claims.md``."""
    table = claims.check_claims(results.load(config))
    csv_path, md_path = paths.results(config, "claims.csv"), paths.results(config, "claims.md")
    atomic_write_text(csv_path, with_pipeline_check_mark(table, config["pipeline_check"]).to_csv(index=False))
    atomic_write_text(md_path, claims_markdown(config, table))
    return [csv_path, md_path]


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    announce("benchmark.commands.write_claims")
    for path in write_claims(load_config(args.config)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
