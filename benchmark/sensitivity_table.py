"""The protocol-sensitivity table: how far each switch of the preset's ``sensitivity`` block moves
FID, beside the gap that the affected claim rests on.

For each point (model, switch, value, dataset; :mod:`benchmark.sensitivity`) it gives the FID over
the finished seeds, its change from the preset's own value and, per model and dataset, the claim
gap (:func:`claim_gap`: for GLF its lead over the best non-perceptual baseline (claim 1), for a
baseline its distance above GLF (claim 1), for GLF+perceptual its lead over GLF (claim 2))
under the preset's settings and under the point's value: an evaluation switch (the sampler, the
FID resize) applies to every model, so each model's FID under that value enters the gap; a
training switch changes this model's run only.  The verdict says whether the value reorders the
two rows (the gap's sign flips) and how the gap moves, not only whether the change is larger than
the gap (a change that widens a lead is larger than the gap too).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.claims import baselines, table1_model
from benchmark.config import table1_datasets
from benchmark.provenance import provenance_note
from benchmark.results import Results, Summary
from benchmark.table_format import Table, write_table
from benchmark.variants import EVALUATION_SWITCHES, value_text

COLUMNS = ["model", "label", "switch", "value", "preset_value", "dataset", "run", "fid_mean", "fid_std", "n_seeds",
           "change", "claim", "claim_gap", "gap_at_value", "reorders"]


def claim_gap(results: Results, model: str, fid: dict[str, float]) -> tuple[str, float]:
    """The claim ``model``'s FID takes part in and the gap it rests on, from ``fid`` (Table 1 model
    -> FID; positive: the paper's direction; NaN when a model is missing): GLF's lead over the best
    non-perceptual baseline, a baseline's distance above GLF, GLF+perceptual's lead over GLF;
    ``("", nan)`` else."""
    config = results.config
    glf = table1_model(config, "glf")
    compared = baselines(config)
    if glf is None:
        return "", np.nan
    if model == glf:
        scored = [m for m in compared if np.isfinite(fid[m])]
        best = min(scored, key=fid.get) if scored else None
        return (f"1: GLF's lead over {results.label(best)}", fid[best] - fid[glf]) if best else ("1", np.nan)
    if model in compared:
        return f"1: {results.label(model)} above GLF", fid[model] - fid[glf]
    if config["models"][model]["method"] == "glf_perceptual":
        return "2: GLF+perceptual's lead over GLF", fid[glf] - fid[model]
    return "", np.nan


def _fids_under(results: Results, point, means: dict) -> dict[str, float]:
    """Each Table 1 model's FID on the point's dataset under the point's value: the preset's
    values, with the point's own run in its model's place and, for an evaluation switch, every
    model that has a point of the same switch and value in its place too."""
    fid = {m: results.summary(m, point.dataset, "fid").mean for m in results.config["table1"]["models"]}
    for other, mean in means.items():
        model, switch, value, dataset = other
        same_value = (switch, value, dataset) == (point.switch, value_text(point.value), point.dataset)
        if same_value and (model == point.model or switch in EVALUATION_SWITCHES) and model in fid:
            fid[model] = mean
    return fid


def sensitivity_rows(results: Results) -> pd.DataFrame:
    """One row per point of the block (columns :data:`COLUMNS`; numbers numeric)."""
    config = results.config
    means = {(p.model, p.switch, value_text(p.value), p.dataset): Summary("", v).mean for p, v in results.points}
    rows = []
    for point, values in results.points:
        summary = Summary(results.label(point.model), values)
        claim, gap, gap_at_value = "", np.nan, np.nan
        if point.dataset in table1_datasets(config) and point.model in config["table1"]["models"]:
            preset_fid = {m: results.summary(m, point.dataset, "fid").mean for m in config["table1"]["models"]}
            claim, gap = claim_gap(results, point.model, preset_fid)
            gap_at_value = claim_gap(results, point.model, _fids_under(results, point, means))[1]
        rows.append({"model": point.model, "label": results.label(point.model), "switch": point.switch,
                     "value": value_text(point.value), "preset_value": point.preset, "dataset": point.dataset,
                     "run": point.run, "fid_mean": summary.mean, "fid_std": summary.std, "n_seeds": summary.n,
                     "claim": claim, "claim_gap": gap, "gap_at_value": gap_at_value})
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("change", "reorders")])
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = ["model", "switch", "dataset"]
    reference = frame[frame.preset_value].set_index(keys)["fid_mean"]
    frame["change"] = [row.fid_mean - reference.get(tuple(getattr(row, k) for k in keys), np.nan)
                       for row in frame.itertuples()]
    frame["reorders"] = [bool(np.sign(g) != np.sign(v)) if np.isfinite(g) and np.isfinite(v) and not p else np.nan
                         for g, v, p in zip(frame.claim_gap, frame.gap_at_value, frame.preset_value)]
    return frame[COLUMNS]


def _verdict(row) -> str:
    """``reorders``/``same order`` with the gap under the preset's value and under this one, or
    why there is no verdict."""
    if row.preset_value:
        return "preset's value"
    if not np.isfinite(row.change):
        return "not run"
    if not np.isfinite(row.claim_gap) or not np.isfinite(row.gap_at_value):
        return "no claim gap"
    moved = f"gap {row.claim_gap:+.1f} → {row.gap_at_value:+.1f}"
    return f"reorders ({moved})" if row.reorders else f"same order ({moved})"


def _number(value: float, signed: bool = False) -> str:
    return "" if not np.isfinite(value) else f"{value:+.1f}" if signed else f"{value:.1f}"


def sensitivity(results: Results, out: Path) -> list[Path]:
    """``sensitivity.{csv,md,tex,html}``: per model, switch, dataset and value the FID, its change
    from the preset's value, the claim gap under the preset's value and under this one, and
    whether this value reorders the two rows (:func:`_verdict`)."""
    data = sensitivity_rows(results)
    shown = pd.DataFrame({
        "model": data.label, "switch": data.switch, "dataset": data.dataset,
        "value": [f"{v} (preset)" if p else v for v, p in zip(data.value, data.preset_value)],
        "FID": [_number(m) + ("" if not np.isfinite(s) else f" ± {s:.1f}") for m, s in zip(data.fid_mean, data.fid_std)],
        "change": [_number(c, signed=True) for c in data.change],
        "claim": [c.split(":")[0] for c in data.claim],
        "gap": [_number(g, signed=True) for g in data.claim_gap],
        "verdict": [_verdict(row) for row in data.itertuples()]})
    config = results.config
    seeds = sorted({int(n) for n in data.n_seeds if n}) or [0]
    caption = (f"Protocol sensitivity: FID ({config['evaluation']['features']} features) of each model under each "
               f"value of a switch the paper leaves open, its change from the preset's value and the gap the "
               f"affected claim rests on under the preset's settings (claim 1: GLF's lead over the best baseline, "
               f"or a baseline's distance above GLF; claim 2: GLF+perceptual's lead over GLF; sensitivity.csv "
               f"names each; positive: the paper's order). The verdict gives the gap under the preset's value and under "
               f"this one (a sampler or FID resize applies to every model; a training switch to this model's run "
               f"only) and whether the two rows change order; a change larger than the gap that widens it reorders "
               f"nothing. Sampling "
               f"rows are read from every run's metrics (no retraining); other switches are variant runs. "
               f"{'One seed per value: spreads unknown' if seeds == [1] else f'{seeds[0]}-{seeds[-1]} seeds per value'}; "
               f"preset {config['preset']}; {provenance_note(config)}.")
    return write_table(Table(shown, caption, "sensitivity", data=data), out / "sensitivity")
