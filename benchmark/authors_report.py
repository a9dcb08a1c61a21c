"""The result of the check against the authors' code (:mod:`benchmark.authors_comparison`):
per-seed rows, mean ± sd per side, Welch's t test (suite vs authors) per metric and a verdict on
the FIDs, written as ``<stem>.csv`` (long format, one row per seed, then the mean, sd, Welch t
and p rows) and ``<stem>.md`` (the tables, the verdict, the run-time changes made to their code
and the provenance)."""
from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path

from scipy import stats

from benchmark.atomic import atomic_write_text
from benchmark.authors_code import AUTHORS_PATCHES, Patch
from benchmark.claim_statistics import ALPHA, UNKNOWN

SIDES = ("authors", "suite")
# metric key -> (title, format): every number in its own units (KID with classifier features is
# tens, with Inception features hundredths: four significant digits either way)
METRICS = {"fid": ("FID", ".1f"), "kid": ("KID", ".4g"), "prd_f8": ("PRD F8", ".3f"), "prd_f1_8": ("PRD F1/8", ".3f")}
COLUMNS = ("kind", "side", "seed", "status", *METRICS, "train_seconds", "seconds_per_epoch", "final_recon", "final_nll")
NUMERIC = tuple(c for c in COLUMNS if c not in ("kind", "side", "seed", "status"))


def finite(values) -> list[float]:
    """The finite numbers among ``values`` (``None`` and nan dropped), as floats."""
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1) of the finite ``values``; nan where undefined."""
    values = finite(values)
    mean = statistics.fmean(values) if values else math.nan
    return mean, statistics.stdev(values) if len(values) > 1 else math.nan


def welch(authors: list[float], suite: list[float]) -> tuple[float, float]:
    """Welch's unequal-variance t test of the suite's values against the authors': (t, two-sided
    p); t > 0 when the suite's mean is higher; nan unless both sides have two finite values and
    some spread."""
    a, b = finite(authors), finite(suite)
    if len(a) < 2 or len(b) < 2 or statistics.variance(a) + statistics.variance(b) == 0:
        return math.nan, math.nan
    result = stats.ttest_ind(b, a, equal_var=False)
    return float(result.statistic), float(result.pvalue)


def summary(rows: list[dict]) -> dict[str, dict]:
    """Per metric of :data:`METRICS` and training figure: ``{"authors": (mean, sd), "suite": (mean,
    sd), "welch": (t, p)}`` over the rows of each side."""
    by_side = {side: [r for r in rows if r["side"] == side] for side in SIDES}
    out = {}
    for key in NUMERIC:
        values = {side: [r.get(key, math.nan) for r in by_side[side]] for side in SIDES}
        out[key] = {**{side: mean_sd(values[side]) for side in SIDES}, "welch": welch(values["authors"], values["suite"])}
    return out


def csv_text(rows: list[dict]) -> str:
    """The long-format CSV: each (side, seed) row, then per side its mean and sd rows, then the
    Welch t and p rows (side ``suite-authors``)."""
    numbers = summary(rows)
    table = [{"kind": "seed", **row} for row in rows]
    for index, kind in enumerate(("mean", "sd")):
        table += [{"kind": kind, "side": side, **{k: numbers[k][side][index] for k in NUMERIC}} for side in SIDES]
    for index, kind in enumerate(("welch_t", "welch_p")):
        table.append({"kind": kind, "side": "suite-authors", **{k: numbers[k]["welch"][index] for k in NUMERIC}})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()


def _number(value: float, spec: str = ".1f") -> str:
    return "—" if value is None or not math.isfinite(value) else format(value, spec)


def verdict(authors: list[float], suite: list[float], metric: str = "FID") -> str:
    """What the seeds say of the suite's ``metric`` (lower is better) against the authors': "worse
    by X" or "better by X" when Welch's test separates the means at ``ALPHA``; "within the authors'
    seed spread" when it does not and the suite's mean lies within the authors' seeds' range; else
    "not enough evidence" (also with fewer than two seeds a side), each with its numbers."""
    a, b = finite(authors), finite(suite)
    if len(a) < 2 or len(b) < 2:
        return f"{UNKNOWN}: {len(a)} authors' and {len(b)} suite seeds with a {metric}; two a side are needed"
    (am, _), (sm, _) = mean_sd(a), mean_sd(b)
    _, p = welch(a, b)
    numbers = f"suite {sm:.1f} against the authors' {am:.1f} (seeds {min(a):.1f} to {max(a):.1f}), Welch p = {_number(p, '.3f')}"
    if math.isfinite(p) and p < ALPHA:
        return f"{'worse' if sm > am else 'better'} by {abs(sm - am):.1f} {metric}: {numbers}"
    if min(a) <= sm <= max(a):
        return f"within the authors' seed spread: {numbers}"
    return f"{UNKNOWN}: the suite's mean lies outside the authors' seeds but the test does not separate them: {numbers}"


def _patch_lines(patches: tuple[Patch, ...], defect: bool) -> list[str]:
    return [f"- `{p.file}`: {p.why}" for p in patches if p.defect == defect and p.old != p.new]


def markdown_text(rows: list[dict], context: dict[str, str], fid_label: str = "FID") -> str:
    """The report: per-seed FIDs with mean ± sd and the :func:`verdict` on them, every metric's
    means and Welch test (each in its own units), the changes made to the authors' code (defects
    first) and ``context`` (settings, provenance: the suite's commit, the classifier's SHA-256) as
    a list."""
    numbers = summary(rows)
    seeds = sorted({r["seed"] for r in rows})
    lines = ["# The authors' train_glf.py against the suite's GLF", "",
             "Both trained at the same settings on the same images, both drawn by the suite's sampler under the "
             "authors' protocol (train-mode BatchNorm, batches of 500, each image min-max stretched), both scored "
             "by the suite's evaluator against the test split.  Welch's t test compares the suite's seeds with "
             "the authors' (t > 0: the suite's mean is higher; for FID and KID higher is worse).", "",
             f"| run | {' | '.join(f'seed {s}' for s in seeds)} | mean ± sd |",
             "|---|" + "---|" * (len(seeds) + 1)]
    for side in SIDES:
        by_seed = {r["seed"]: r for r in rows if r["side"] == side}
        cells = [_number(by_seed[s]["fid"]) if s in by_seed else "—" for s in seeds]
        mean, sd = numbers["fid"][side]
        name = "authors' train_glf.py" if side == "authors" else "suite GLF"
        lines.append(f"| {name} | {' | '.join(cells)} | {_number(mean)} ± {_number(sd)} |")
    fids = {side: [r.get("fid", math.nan) for r in rows if r["side"] == side] for side in SIDES}
    lines += ["", f"**Verdict ({fid_label}):** {verdict(fids['authors'], fids['suite'])}.", "",
              f"{fid_label} per seed above.  Every metric in its own units, mean ± sd (authors; suite) and "
              f"Welch's test:", "", "| metric | authors | suite | Welch t | p |", "|---|---|---|---|---|"]
    titles = {**METRICS, "seconds_per_epoch": ("training s/epoch (authors: the script's wall time, start-up included)", ".1f"),
              "final_recon": ("last-epoch reconstruction loss", ".2f"), "final_nll": ("last-epoch NLL", ".2f")}
    for key, (title, spec) in titles.items():
        (am, asd), (sm, ssd), (t, p) = numbers[key]["authors"], numbers[key]["suite"], numbers[key]["welch"]
        lines.append(f"| {fid_label if key == 'fid' else title} | {_number(am, spec)} ± {_number(asd, spec)} | "
                     f"{_number(sm, spec)} ± {_number(ssd, spec)} | {_number(t, '.2f')} | {_number(p, '.3f')} |")
    lines += ["", "## Changes made to the authors' code at run time (in a scratch copy)", "",
              "Defects of the released code that stop it from running here:", "", *_patch_lines(AUTHORS_PATCHES, True),
              "", "Run settings:", "", *_patch_lines(AUTHORS_PATCHES, False), "",
              "## Settings and provenance", "", *[f"- {key}: {value}" for key, value in context.items()], ""]
    return "\n".join(lines)


def write_report(rows: list[dict], context: dict[str, str], stem: Path, fid_label: str = "FID") -> list[Path]:
    """Write ``<stem>.csv`` and ``<stem>.md`` (atomically); return their paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = [stem.with_suffix(".csv"), stem.with_suffix(".md")]
    atomic_write_text(written[0], csv_text(rows))
    atomic_write_text(written[1], markdown_text(rows, context, fid_label))
    return written
