"""``results/<preset>/README.md``: a preset's results in words, written from the files the workflow
leaves in its results folder (``runs.csv``, ``table1.csv``, ``claims.csv``, ``provenance.json``),
never typed by hand.

:func:`results_readme` gives Table 1's mean ± sd with each row's seed count under each sampler,
the reference rows, each claim's verdict and what may and may not be concluded (the features,
the datasets, the fraction of the paper's epochs, the seed counts), with the commit the numbers
were evaluated at and the date the text was written.  Without ``runs.csv`` (a folder rendered
before it existed) it says that per-run values are not available.
"""
from __future__ import annotations

import datetime
import json
from pathlib import Path

import pandas as pd

from benchmark.claim_statistics import TESTS
from benchmark.config import resolve_run
from benchmark.metrics.pinned_classifiers import pinned_classifier
from benchmark.metrics.registry import classifier_key
from benchmark.provenance import PIPELINE_CHECK_NOTE, git_state
from benchmark.run_table import read_runs
from benchmark.table_format import markdown_text

SAMPLERS = ("eval", "authors")


def _cell(row: pd.Series, key: str) -> str:
    """``mean ± sd (n)`` of a Table 1 row's ``key``; the value alone with one seed."""
    mean, sd = row.get(f"{key}_mean"), row.get(f"{key}_std")
    if pd.isna(mean):
        return row["status"] if row["status"] != "ok" else "--"
    spread = "" if pd.isna(sd) else f" ± {sd:.1f}"
    return f"{mean:.1f}{spread}"


def table1_lines(table1: pd.DataFrame) -> list[str]:
    """Markdown lines: per model and dataset its seeds and FID under the preset's sampler and each
    uniform sampler, then the reference rows (one value each)."""
    models = table1[~table1["model"].str.startswith("@floor/") & table1["status"].ne("cited")
                    & table1["status"].ne("not transcribed")]
    lines = ["| model | dataset | seeds | FID | " + " | ".join(f"FID ({s} sampler)" for s in SAMPLERS) + " |",
             "|---|---|---|---|" + "---|" * len(SAMPLERS)]
    for _, row in models.iterrows():
        seeds = "0" if pd.isna(row["n_seeds"]) else str(int(row["n_seeds"]))
        lines.append(f"| {markdown_text(row['label'])} | {row['dataset']} | {seeds} | {_cell(row, 'fid')} | "
                     + " | ".join(_cell(row, f"fid_{s}") for s in SAMPLERS) + " |")
    floors = table1[table1["model"].str.startswith("@floor/")]
    if len(floors):
        lines += ["", "Reference rows (the same evaluation, one value each): " + "; ".join(
            f"{row['label']} on {row['dataset']}: {row['fid_mean']:.1f}" for _, row in floors.iterrows()
            if pd.notna(row["fid_mean"])) + "."]
    return lines


def claim_lines(claims: pd.DataFrame) -> list[str]:
    """Markdown lines: each claim's overall verdict per dataset, after a warning when the claims
    were decided before the one-seed test was corrected (their evidence names no test of
    :data:`benchmark.claim_statistics.TESTS`: a one-seed side then borrowed the other's spread)."""
    overall = claims[claims["part"] == "overall"].fillna({"dataset": ""})
    evidence = " ".join(claims["evidence"].fillna(""))
    lines = []
    if "Welch t" in evidence and not any(name in evidence for name in TESTS):
        lines += ["These verdicts were decided by the earlier test, in which a side with one seed borrowed the other "
                  "side's spread and degrees of freedom (it overstates the confidence of those comparisons); the "
                  "runs are not on disk to re-decide them, so they are re-decided at the next validation run.", ""]
    lines += ["| claim | dataset | verdict | statement |", "|---|---|---|---|"]
    lines += [f"| {row['claim']} | {row['dataset']} | {row['verdict']} | {markdown_text(row['subject'])} |"
              for _, row in overall.iterrows()]
    return lines


def curve_lines(folder: Path) -> list[str]:
    """Markdown lines of the FID curve (``fid_curve_table.csv``, ``fid_curve_claims.csv``): each
    model's FID at each tracked epoch under each sampler (and the earlier budget's rows), then
    claim 1's verdict per part at each epoch, and whether it changes with the budget."""
    table = pd.read_csv(folder / "fid_curve_table.csv")
    claims = pd.read_csv(folder / "fid_curve_claims.csv")

    def cell(row, sampler):
        mean, sd = row[f"{sampler}_mean"], row[f"{sampler}_std"]
        return "--" if pd.isna(mean) else f"{mean:.1f}" + ("" if pd.isna(sd) else f" ± {sd:.1f}")

    lines = ["| model | budget | epoch | seeds | " + " | ".join(f"FID ({s} sampler)" for s in SAMPLERS) + " |",
             "|---|---|---|---|" + "---|" * len(SAMPLERS)]
    lines += [f"| {markdown_text(row['label'])} | {row['budget']} | {int(row['epoch'])} | {int(row['n_seeds'])} | "
              + " | ".join(cell(row, s) for s in SAMPLERS) + " |" for _, row in table.iterrows()]
    lines += ["", "Claim 1 at each tracked epoch (fid_curve_claims.csv; the claims' statistics, Holm over the parts "
              "of one epoch and sampler):", "", "| epoch | part | " + " | ".join(f"under {s}" for s in SAMPLERS)
              + " | verdict |", "|---|---|" + "---|" * len(SAMPLERS) + "---|"]
    lines += [f"| {int(row['epoch'])} | {markdown_text(row['part'])} | " + " | ".join(row[s] for s in SAMPLERS)
              + f" | {row['verdict']} |" for _, row in claims.iterrows()]
    changes = [f"{part}: " + " → ".join(f"{v} (epoch {int(e)})" for e, v in zip(group["epoch"], group["verdict"]))
               for part, group in claims.groupby("part", sort=False) if group["verdict"].nunique() > 1]
    lines += ["", f"The verdict changes with the budget for {'; '.join(changes)}." if changes
              else "The verdict of each part is the same at every tracked epoch."]
    return lines


def epochs_fraction(config: dict, paper: dict, table1: pd.DataFrame) -> list[str]:
    """Per Table 1 model and dataset with a paper epoch count: this preset's stage-1 epochs as a
    fraction of the paper preset's."""
    found = []
    for model, dataset in dict.fromkeys(zip(table1["model"], table1["dataset"])):
        if model not in config["models"] or model not in paper["models"] or dataset not in paper["datasets"]:
            continue
        ours = resolve_run(config, model, dataset, config["seeds"][0]).train.epochs
        theirs = resolve_run(paper, model, dataset, paper["seeds"][0]).train.epochs
        found.append(f"{config['models'][model].get('label', model)} {ours}/{theirs}")
    return found


def classifier_lines(config: dict, provenance: dict) -> list[str]:
    """Per dataset scored with the offline classifier, a bullet saying whether the weights the
    folder's provenance records are the pinned file (:mod:`benchmark.metrics.pinned_classifiers`):
    FIDs of other weights are on another scale than those of presets scored with the pinned one."""
    if config["evaluation"]["features"] != "classifier":
        return []
    lines = []
    for dataset, sha256 in provenance.get("feature_weights_sha256", {}).items():
        pinned = pinned_classifier(dataset, classifier_key(config, dataset))
        if pinned is None:
            lines.append(f"- {dataset}: scored with a classifier that is not pinned (sha256 {sha256[:12]}): its "
                         f"FIDs are on their own scale.")
        elif pinned.sha256 != sha256:
            lines.append(f"- {dataset}: scored with classifier weights sha256 {sha256[:12]}, not the pinned file "
                         f"({pinned.sha256[:12]}, {pinned.path.name}): these FIDs are on another scale than those "
                         f"of presets scored with the pinned file and may not be compared with them.")
        else:
            lines.append(f"- {dataset}: scored with the pinned classifier ({pinned.path.name}, sha256 "
                         f"{sha256[:12]}), as is every preset with these classifier settings.")
    return lines


def conclusions(config: dict, paper: dict, table1: pd.DataFrame, has_runs: bool) -> list[str]:
    """Bullet lines on what may and may not be concluded, from the data: features, datasets,
    epochs against the paper's, seed counts, per-run values."""
    models = table1[~table1["model"].str.startswith("@floor/") & table1["n_seeds"].notna()]
    datasets = sorted(set(models["dataset"]))
    counts = sorted({int(n) for n in models["n_seeds"]})
    features = ", ".join(sorted(set(models["features"].dropna()))) or config["evaluation"]["features"]
    epochs = epochs_fraction(config, paper, models)
    lines = [
        f"- Features: {features}. FIDs on these features are on their own scale: they may be compared with each "
        f"other within this folder, not with the paper's Inception FIDs.",
        f"- Datasets: {', '.join(datasets)} ({'one dataset' if len(datasets) == 1 else f'{len(datasets)} datasets'}); "
        f"nothing here speaks for the paper's other datasets.",
        f"- Seeds per row: {', '.join(map(str, counts))} (the `seeds` column above). A row of one seed has no "
        f"spread: the claims test it against a sample by the one-seed prediction test, or by the margin rule "
        f"when both rows have one seed (claims.md names each row's test).",
    ]
    missing = [paper["models"][m]["label"] for m in paper["table1"]["models"] if m not in config["table1"]["models"]]
    if missing:
        lines.append(f"- Table 1 here holds {len(config['table1']['models'])} of the paper preset's "
                     f"{len(paper['table1']['models'])} rows: claims 1 and 7 compare GLF with these rows only, not "
                     f"with {', '.join(missing)}.")
    if epochs:
        lines.append(f"- Stage-1 epochs, this preset / the paper preset: {', '.join(epochs)}. A ranking at this "
                     f"budget need not be the ranking at the paper's.")
    lines.append("- Per-run values (each seed's FID, KID, PRD, timing and hashes) are in runs.csv; every mean above "
                 "can be recomputed from it." if has_runs else
                 "- Per-run values are not available for this older run (no runs.csv was written, and its runs are "
                 "not on disk); they come with the next validation run of this preset.")
    return lines


def sensitivity_line(columns: pd.Index) -> str:
    """The bullet pointing to sensitivity.md; a table written before its verdict said whether a
    change reorders the claim's two rows (an ``exceeds_gap`` column) is named as the older one."""
    if "reorders" in columns:
        return "- How far each protocol switch moves FID, and whether it reorders a claim's two rows: sensitivity.md."
    return ("- How far each protocol switch moves FID: sensitivity.md, an older table whose verdict says only "
            "whether a change exceeds the claim's gap, in either direction (a change that widens a lead "
            "exceeds it too); it does not say whether the two rows change order.")


def run_commit_line(runs: pd.DataFrame) -> str:
    """One sentence: the commits the runs of ``runs.csv`` were trained and evaluated at, with how
    many runs each (a ``-dirty`` commit had uncommitted changes)."""
    def counted(column: str) -> str:
        counts = runs[column].fillna("unknown").astype(str).value_counts()
        return ", ".join(f"{commit[:12]} ({'dirty, ' if commit.endswith('-dirty') else ''}{n} of {len(runs)} runs)"
                         for commit, n in counts.items())
    return (f"Its runs (runs.csv): trained at {counted('trained_commit')}; evaluated at "
            f"{counted('evaluated_commit')}. A dirty commit had uncommitted changes.")


def curve_section(folder: Path) -> list[str]:
    """The "FID against epochs" section of a folder with ``fid_curve_table.csv``, else no lines."""
    if not (folder / "fid_curve_table.csv").exists():
        return []
    return ["## FID against epochs (fid_curve.png, fid_curve_table.csv; each seed's points: fid_curve_points.csv)",
            "", *curve_lines(folder), ""]


def figures_section(folder: Path) -> list[str]:
    """The "Figures" section naming Figures 3 and 4 where the folder holds them, else no lines."""
    drawn = [name for name in ("figure3", "figure4") if (folder / f"{name}.png").exists()]
    if not drawn:
        return []
    return ["## Figures", "", *[f"- {name}.png (its caption: {name}.txt; one-column: {name}_column.png)"
                                for name in drawn], ""]


def results_readme(config: dict, paper: dict, folder: Path) -> str:
    """The README text of the results ``folder`` of preset ``config`` (``paper``: the paper preset,
    for the epochs it sets): written from ``table1.csv``, ``claims.csv``, ``provenance.json`` and,
    when present, ``runs.csv``."""
    table1 = pd.read_csv(folder / "table1.csv")
    claims = pd.read_csv(folder / "claims.csv", dtype={"claim": str})
    provenance = json.loads((folder / "provenance.json").read_text())
    git = provenance.get("git", {})
    has_runs = (folder / "runs.csv").exists()
    written = git_state()
    return "\n".join([
        f"# Results of preset `{config['preset']}`", "",
        *([f"**{PIPELINE_CHECK_NOTE.capitalize()}**: this preset only checks that the pipeline runs end "
           f"to end (tiny data and epochs); no number below says anything about the methods.", ""]
          if config["pipeline_check"] else []),
        f"Written by `python -m benchmark.commands.write_results_readme` on {datetime.date.today().isoformat()} "
        f"at commit {written['commit'][:12]}{' (dirty)' if written['dirty'] else ''} from the files of this "
        f"folder; the folder's provenance.json records commit {str(git.get('commit', 'unknown'))[:12]}"
        f"{' (dirty)' if git.get('dirty') else ''}, device {provenance.get('device') or 'unknown'}."
        + (f" {run_commit_line(read_runs(folder / 'runs.csv'))}" if has_runs else ""), "",
        "## Table 1 (table1.csv)", "",
        f"FID, mean ± sd over each row's finished seeds; `FID` is under the preset's sampler "
        f"({config['evaluation']['sampling']}).", "", *table1_lines(table1), "",
        "## Claims (claims.csv, claims.md)", "", *claim_lines(claims), "",
        *curve_section(folder), *figures_section(folder),
        "## What may and may not be concluded", "", *conclusions(config, paper, table1, has_runs),
        *classifier_lines(config, provenance),
        *([sensitivity_line(pd.read_csv(folder / "sensitivity.csv", nrows=0).columns)]
          if (folder / "sensitivity.md").exists() else []), ""])
