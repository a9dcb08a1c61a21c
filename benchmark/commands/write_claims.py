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
from benchmark.config import load_config, table1_datasets
from benchmark.joblog import announce
from benchmark.provenance import provenance_note
from benchmark.table_format import markdown_frame, markdown_text, with_pipeline_check_mark

NOISE_RULE = (f"Verdicts: `{stats.HOLDS}`, `{stats.FAILS}`, `{stats.UNKNOWN}`, `{stats.BY_PROTOCOL}` (true by the "
              f"preset's settings, not judged). A difference between two models counts when a t test rejects "
              f"equal means, the comparisons of each claim adjusted together by Holm–Bonferroni to a family-wise "
              f"error of {stats.ALPHA:.0%} (each row names its threshold), and the gap exceeds "
              f"{stats.MIN_MARGIN:.0%} of the larger mean. The test depends on the seeds each side holds, and the "
              f"`test` column names the one each row used: {stats.WELCH} (Welch–Satterthwaite degrees of freedom) "
              f"with two or more seeds on each side; the {stats.ONE_SEED} with one seed x against n >= 2 "
              f"(t = (x - mean) / (s·sqrt(1 + 1/n)), n - 1 degrees of freedom: the sample's own spread, never "
              f"lent to the other side); with one seed each there is no test, only the {stats.MARGIN_RULE}: the gap "
              f"must exceed {stats.SINGLE_SEED_MARGIN:.0%} of the larger mean. A model with "
              f"diverged seeds is judged on its finished ones (the diverged count shown); one whose every seed "
              f"diverged loses to a finished one. A missing model or a difference within the noise gives "
              f"`{stats.UNKNOWN}`. Curves (latent norm, log-det, NLL, tracked FID) need {claims.MIN_CURVE_POINTS} "
              f"points and are judged per seed; seeds that disagree give `{stats.UNKNOWN}`. Every FID is compared "
              f"under one sampler for all models, once under each uniform protocol ({', '.join(claims.PROTOCOLS)}: the "
              f"FIDs `fid_eval`, `fid_authors` of every metrics file); a part holds or fails only when both agree, "
              f"else `{stats.DEPENDS} (...)` names each protocol's answer; a tracked FID counts under the protocol its "
              f"runs sample with only. \"No better\" (claim 3's learnable variance) holds when the FID is worse "
              f"beyond the noise or equivalent by two one-sided tests (TOST, each the row's t test) within "
              f"±{stats.EQUIVALENCE_MARGIN:.0%} of the best fixed beta's mean; else `{stats.UNKNOWN}` (too little "
              f"power). The parts of combined findings (claim 4's beta steps, claim 3's learnable variance) are in "
              f"their claim's Holm family.")


def tests_used(evidence: str) -> str:
    """The tests a row's evidence names (:data:`benchmark.claim_statistics.TESTS`), ``"; "``-joined in
    that order; ``"-"`` for a row decided without one (a curve, a missing model, a preset setting)."""
    return "; ".join(name for name in stats.TESTS if name in evidence) or "-"


def claims_markdown(config: dict, table: pd.DataFrame, seeds: str) -> str:
    """The claims report: a summary (one verdict per claim and dataset) then every part's evidence
    and the test it used (:func:`tests_used`); ``seeds`` says how many seeds each model holds."""
    overall = table[table["part"] == "overall"]
    summary = overall[["claim", "dataset", "verdict", "subject"]].rename(columns={"subject": "statement"})
    lines = [f"# The paper's claims, checked on preset `{config['preset']}`", "",
             f"features: {config['evaluation']['features']}; finished seeds per Table 1 model: {seeds}; "
             f"{provenance_note(config)}", "",
             NOISE_RULE, "", "## Summary", "", markdown_frame(summary).to_markdown(index=False), ""]
    for claim, rows in table[table["part"] != "overall"].groupby("claim", sort=False):
        rows = rows.assign(test=rows["evidence"].map(tests_used))
        lines += [f"## Claim {claim}: {markdown_text(claims.CLAIMS[claim])}", "",
                  markdown_frame(rows[["part", "dataset", "subject", "test", "evidence", "verdict"]]).to_markdown(index=False),
                  ""]
    return "\n".join(lines)


def write_claims(config: dict) -> list[Path]:
    """Check every claim on the preset's runs; write and return ``claims.csv`` and ``claims.md``."""
    found = results.load(config)
    table = claims.check_claims(found)
    seeds = found.seed_counts(config["table1"]["models"], table1_datasets(config))
    csv_path, md_path = paths.results(config, "claims.csv"), paths.results(config, "claims.md")
    atomic_write_text(csv_path, with_pipeline_check_mark(table, config["pipeline_check"]).to_csv(index=False))
    atomic_write_text(md_path, claims_markdown(config, table, seeds))
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
