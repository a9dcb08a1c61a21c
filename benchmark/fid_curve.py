"""FID against training epochs (the preset's ``figures.fid_curve``): the tracked FID of each model
under each uniform sampler, as mean and sd over seeds at each tracked epoch; claim 1's GLF-vs-
baseline parts decided at each tracked epoch with the claims' own statistics; and the same
protocol's earlier budget (``figures.fid_curve.earlier``: another preset's committed Table 1)
beside it.  The figure itself is drawn by :mod:`benchmark.figures`; the tables are written by
:func:`fid_curve_tables`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.claim_statistics import across_protocols, compare_lower, holm
from benchmark.config import CONFIGS_DIR, ConfigError, load_config, resolve_run
from benchmark.provenance import provenance_note
from benchmark.results import DIVERGED, Results, Summary
from benchmark.table_format import Table, decimals, write_table
from models.sampling import SAMPLING_PROTOCOLS


def tracked_column(protocol: str) -> str:
    """The train-log column of the FID tracked under ``protocol`` (``fid_eval``, ``fid_authors``)."""
    return f"fid_{protocol}"


def tracked_points(results: Results, model: str, dataset: str) -> pd.DataFrame:
    """One row per (seed, epoch) that tracked an FID under every protocol: ``seed``, ``epoch`` and
    one ``fid_<protocol>`` column each; a diverged run counts up to its divergence."""
    columns = [tracked_column(p) for p in SAMPLING_PROTOCOLS]
    frames = [run.log.dropna(subset=columns)[["epoch", *columns]].assign(seed=run.seed)
              for run in results.of(model, dataset)
              if run.log is not None and set(columns) <= set(run.log.columns)]
    if not frames:
        return pd.DataFrame(columns=["seed", "epoch", *columns])
    return pd.concat(frames, ignore_index=True)[["seed", "epoch", *columns]]


def epoch_summary(results: Results, model: str, dataset: str, epoch: int, protocol: str) -> Summary:
    """The tracked FID of ``model`` under ``protocol`` at ``epoch`` over the seeds that reached it
    (a :class:`Summary`: its statistics are the claims'); seeds that diverged before it counted."""
    points = tracked_points(results, model, dataset)
    values = points.loc[points["epoch"] == epoch, tracked_column(protocol)].tolist()
    diverged = sum(run.status == DIVERGED and (run.diverged_at_epoch or 0) <= epoch
                   for run in results.of(model, dataset))
    return Summary(f"{results.label(model)} at epoch {epoch}", [float(v) for v in values], diverged,
                   missing="no tracked FID at this epoch")


def curve_epochs(results: Results) -> list[int]:
    """The epochs at which any model of ``figures.fid_curve`` tracked an FID, ascending."""
    spec = results.config["figures"]["fid_curve"]
    found = {int(e) for m in spec["models"] for e in tracked_points(results, m, spec["dataset"])["epoch"]}
    return sorted(found)


@dataclass(frozen=True)
class EarlierBudget:
    """Another preset's final FIDs of the same models (its committed ``table1_long.csv``): the same
    protocol at an earlier budget.  ``rows``: model, epochs, n_seeds and mean/sd per protocol;
    ``comparable`` False (with ``why``) when its features' weights are not this preset's."""

    preset: str
    rows: pd.DataFrame
    comparable: bool
    why: str = ""


def earlier_budget(config: dict, ours_sha256: str | None) -> EarlierBudget | None:
    """The preset named by ``figures.fid_curve.earlier`` read from its results folder (``None``
    when the figure names none); ``ours_sha256`` is this preset's feature weights' SHA-256
    (from its metrics), compared with the one the earlier preset's provenance records."""
    spec = config["figures"]["fid_curve"]
    name = spec.get("earlier")
    if name is None:
        return None
    earlier = load_config(CONFIGS_DIR / f"{name}.yaml")
    folder = Path(earlier["results_dir"])
    table, provenance = folder / "table1_long.csv", folder / "provenance.json"
    if not table.exists():
        return EarlierBudget(name, pd.DataFrame(), False, f"{table} is not there (render that preset's tables)")
    long = pd.read_csv(table)
    long = long[long["model"].isin(spec["models"]) & (long["dataset"] == spec["dataset"])].copy()
    long["epochs"] = [resolve_run(earlier, m, spec["dataset"], 0).train.epochs for m in long["model"]]
    theirs = json.loads(provenance.read_text())["feature_weights_sha256"].get(spec["dataset"]) \
        if provenance.exists() else None
    if theirs is None or theirs != ours_sha256:
        why = (f"its features' weights (sha256 {str(theirs)[:12]}) are not this preset's "
               f"({str(ours_sha256)[:12]}): another FID scale")
        return EarlierBudget(name, long, False, why)
    return EarlierBudget(name, long, True)


def features_sha256(results: Results) -> str | None:
    """The features' weights SHA-256 recorded by the fid_curve models' metrics files (``None``
    when none is evaluated yet)."""
    spec = results.config["figures"]["fid_curve"]
    found = {run.metrics.get("features_sha256") for m in spec["models"] for run in results.of(m, spec["dataset"])
             if run.metrics}
    return next(iter(found)) if len(found) == 1 else None


def earlier_of(results: Results) -> EarlierBudget | None:
    """The earlier budget of the preset's fid_curve (:func:`earlier_budget`), judged against the
    features its own runs were scored with."""
    return earlier_budget(results.config, features_sha256(results))


def curve_frame(results: Results) -> pd.DataFrame:
    """The table's numbers: one row per (model, epoch) with ``n_seeds`` and ``<protocol>_mean`` /
    ``<protocol>_std`` per protocol, this preset's tracked epochs first, then the earlier budget's
    final FIDs (``budget`` names the preset each row comes from)."""
    config = results.config
    spec = config["figures"]["fid_curve"]
    rows = []
    for model in spec["models"]:
        for epoch in curve_epochs(results):
            summaries = {p: epoch_summary(results, model, spec["dataset"], epoch, p) for p in SAMPLING_PROTOCOLS}
            if not any(s.values for s in summaries.values()):
                continue
            row = {"model": model, "label": results.label(model), "budget": config["preset"], "epoch": epoch,
                   "n_seeds": summaries[SAMPLING_PROTOCOLS[0]].n}
            for protocol, summary in summaries.items():
                row.update({f"{protocol}_mean": summary.mean, f"{protocol}_std": summary.std})
            rows.append(row)
    earlier = earlier_of(results)
    if earlier is not None and earlier.comparable:
        for _, line in earlier.rows.iterrows():
            row = {"model": line["model"], "label": line["label"], "budget": earlier.preset,
                   "epoch": int(line["epochs"]), "n_seeds": int(line["n_seeds"])}
            for protocol in SAMPLING_PROTOCOLS:
                row.update({f"{protocol}_mean": line[f"fid_{protocol}_mean"],
                            f"{protocol}_std": line[f"fid_{protocol}_std"]})
            rows.append(row)
    return pd.DataFrame(rows, columns=["model", "label", "budget", "epoch", "n_seeds",
                                       *[f"{p}_{s}" for p in SAMPLING_PROTOCOLS for s in ("mean", "std")]])


def verdict_frame(results: Results) -> pd.DataFrame:
    """Claim 1's parts for the fid_curve models at each tracked epoch: GLF vs each other model,
    decided under each protocol by the claims' test (:func:`compare_lower`, Holm over the parts of
    one epoch and protocol, as claim 1's family) and across protocols (:func:`across_protocols`).
    One row per (epoch, part): the verdict under each protocol, the combined one and the evidence."""
    config = results.config
    spec = config["figures"]["fid_curve"]
    glf = next((m for m in spec["models"] if config["models"][m]["method"] == "glf"), None)
    if glf is None:
        return pd.DataFrame(columns=["epoch", "part", *SAMPLING_PROTOCOLS, "verdict", "evidence"])
    others = [m for m in spec["models"] if m != glf]
    rows = []
    for epoch in curve_epochs(results):
        decided = {}
        for protocol in SAMPLING_PROTOCOLS:
            ours = epoch_summary(results, glf, spec["dataset"], epoch, protocol)
            decided[protocol] = holm([compare_lower(ours, epoch_summary(results, m, spec["dataset"], epoch, protocol))
                                      for m in others])
        for i, model in enumerate(others):
            findings = {p: decided[p][i] for p in SAMPLING_PROTOCOLS}
            combined = across_protocols(findings)
            rows.append({"epoch": epoch, "part": f"GLF vs {results.label(model)}",
                         **{p: f.verdict for p, f in findings.items()},
                         "verdict": combined.verdict, "evidence": combined.evidence})
    return pd.DataFrame(rows, columns=["epoch", "part", *SAMPLING_PROTOCOLS, "verdict", "evidence"])


def _cell(mean: float, std: float, digits: int) -> str:
    if pd.isna(mean):
        return "--"
    return f"{mean:.{digits}f}" + ("" if pd.isna(std) else f" ± {std:.{digits}f}")


def _tracking(config: dict) -> str:
    """How each tracked point was measured, for the captions."""
    evaluation = config["evaluation"]
    return (f"{evaluation['eval_samples']} samples under each uniform sampler, {evaluation['features']} "
            "features")


def curve_table(results: Results) -> Table:
    """The FID table: a row per model and tracked epoch (and per earlier-budget row), mean ± sd
    per sampler, the seeds each row holds."""
    config = results.config
    spec = config["figures"]["fid_curve"]
    data = curve_frame(results)
    digits = decimals(data[[f"{p}_mean" for p in SAMPLING_PROTOCOLS]].to_numpy().ravel()) if len(data) else 1
    display = pd.DataFrame({
        "Model": data["label"], "Budget": data["budget"], "Epoch": data["epoch"].astype(str),
        "Seeds": data["n_seeds"].astype(str),
        **{f"FID ({p})": [_cell(m, s, digits) for m, s in zip(data[f"{p}_mean"], data[f"{p}_std"])]
           for p in SAMPLING_PROTOCOLS}})
    earlier = earlier_of(results)
    earlier_note = ("" if earlier is None else
                    f" Rows of budget {earlier.preset}: that preset's final FIDs (its table1_long.csv), the same "
                    f"protocol trained for fewer epochs (its own LR schedule)." if earlier.comparable else
                    f" {earlier.preset}'s final FIDs are not shown: {earlier.why}.")
    caption = (f"FID against training epochs on {spec['dataset']} (preset {config['preset']}), tracked every "
               f"{config['evaluation']['eval_every']} epochs from {_tracking(config)}; mean ± sd over the seeds "
               f"each row holds (sample sd, ddof 1).{earlier_note} {provenance_note(config)}.")
    return Table(display, caption, "fid-curve", data=data)


def points_table(results: Results) -> Table:
    """Every tracked point the curve table summarizes: one row per (model, seed, epoch) with its FID
    under each sampler, so that each mean, sd and test can be recomputed from the committed files."""
    spec = results.config["figures"]["fid_curve"]
    frames = [tracked_points(results, model, spec["dataset"]).assign(model=model, label=results.label(model))
              for model in spec["models"]]
    columns = [tracked_column(p) for p in SAMPLING_PROTOCOLS]
    data = pd.concat(frames, ignore_index=True)[["model", "label", "seed", "epoch", *columns]].astype(
        {"seed": int, "epoch": int})
    digits = decimals(data[columns].to_numpy().ravel()) if len(data) else 1
    display = pd.DataFrame({"Model": data["label"], "Seed": data["seed"].astype(str),
                            "Epoch": data["epoch"].astype(str),
                            **{f"FID ({p})": [_cell(v, float("nan"), digits) for v in data[tracked_column(p)]]
                               for p in SAMPLING_PROTOCOLS}})
    caption = (f"Each seed's tracked FID on {spec['dataset']} (preset {results.config['preset']}), the points "
               f"fid_curve_table summarizes: {_tracking(results.config)}. {provenance_note(results.config)}.")
    return Table(display, caption, "fid-curve-points", data=data)


def verdict_table(results: Results) -> Table:
    """Claim 1's GLF-vs-baseline parts at each tracked epoch (:func:`verdict_frame`)."""
    data = verdict_frame(results)
    display = data.rename(columns={"epoch": "Epoch", "part": "Part", "verdict": "Verdict", "evidence": "Evidence",
                                   **{p: f"Under {p}" for p in SAMPLING_PROTOCOLS}}).astype(str)
    caption = ("Claim 1 (GLF has a lower FID than each baseline) for the FID-curve models at each tracked epoch, "
               "decided as claims.md decides it: the claims' test of one model's seeds against another's, Holm "
               "over the parts of one epoch and sampler, holds or fails only where both samplers agree. "
               f"{provenance_note(results.config)}.")
    return Table(display, caption, "fid-curve-claims", data=data, wide=True)


def fid_curve_tables(results: Results, out: Path) -> list[Path]:
    """Write ``fid_curve_table``, ``fid_curve_points`` and ``fid_curve_claims`` (CSV, LaTeX, Markdown, HTML) to ``out``;
    raises :class:`ConfigError` for a preset without ``figures.fid_curve``."""
    if "fid_curve" not in results.config["figures"]:
        raise ConfigError(f"preset {results.config['preset']} has no figures.fid_curve, so it has no FID-curve "
                          "table: add one (dataset, models; see validation-cpu-long.yaml) or leave the table out")
    return (write_table(curve_table(results), out / "fid_curve_table")
            + write_table(points_table(results), out / "fid_curve_points")
            + write_table(verdict_table(results), out / "fid_curve_claims"))
