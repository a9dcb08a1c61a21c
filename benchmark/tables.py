"""``python -m benchmark.tables``: Tables 1-6 and paper_vs_ours from the runs of a preset.

Each table is written as CSV, LaTeX and Markdown.  A table says which features and how many
samples produced it, and the commit and preset hash (see :mod:`benchmark.provenance`); a cell whose
runs are missing reads "not run", a diverged run "diverged".  Published FIDs (workflow/reference/)
are Inception-v3 FIDs: they are set next to ours, and subtracted, only when ours are Inception FIDs too.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark import paths
from benchmark.atomic import atomic_write_text
from benchmark.cli import reports_errors
from benchmark.config import load_config, resolve_run, table1_datasets
from benchmark.data import dataset_info
from benchmark.joblog import announce
from benchmark.metrics.registry import FEATURES
from benchmark.provenance import provenance_note
from models import MODELS
from models.architecture import architecture_rows
from models.sampling import SAMPLING_PROTOCOLS

REFERENCE = Path(__file__).resolve().parent.parent / "workflow" / "reference"
PAPER_NAMES = {"GLF": "glf", "GLF+perceptual": "glf_perceptual", "Two-Stage VAE (original paper)": "two_stage_vae"}
NOT_RUN, DIVERGED = "not run", "diverged"
REFERENCE_FEATURES = "inception"  # every FID in workflow/reference/ is an Inception-v3 (pool3) FID


def write_table(df: pd.DataFrame, stem: Path, caption: str) -> list[Path]:
    """Write ``df`` as ``stem.csv`` / ``.tex`` / ``.md`` (the caption heads the LaTeX and Markdown)."""
    outputs = [stem.with_suffix(f".{fmt}") for fmt in paths.TABLE_FORMATS]
    atomic_write_text(outputs[0], df.to_csv(index=False))
    latex = df.to_latex(index=False, na_rep="--", caption=caption, escape=True)
    atomic_write_text(outputs[1], latex)
    atomic_write_text(outputs[2], f"{caption}\n\n{df.to_markdown(index=False)}\n")
    return outputs


def _label(config: dict, model: str) -> str:
    return config["models"][model].get("label", model)


def _read_metrics(config: dict, dataset: str, model: str) -> list[dict]:
    found = []
    for seed in config["seeds"]:
        path = paths.metrics(config, dataset, model, seed)
        if path.exists():
            found.append(json.loads(path.read_text()))
    return found


def _summary(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def metric_rows(config: dict, models: list[str], datasets: list[str], keys: tuple[str, ...]) -> pd.DataFrame:
    """Long table: one row per (model, dataset) with mean and std over seeds of each metric key,
    the number of finished seeds and a status ("ok", "diverged", "not run").  A key missing from
    a metrics file (``kid`` of one written before KID existed) reads NaN."""
    rows = []
    for model in models:
        for dataset in datasets:
            found = _read_metrics(config, dataset, model)
            finished = [m for m in found if m.get("status", "completed") == "completed"]
            row = {"model": model, "label": _label(config, model), "dataset": dataset,
                   "seeds": len(finished), "status": "ok" if finished else (DIVERGED if found else NOT_RUN)}
            for key in keys:
                mean, std = _summary([m.get(key, np.nan) for m in finished]) if finished else (np.nan, np.nan)
                row[f"{key}_mean"], row[f"{key}_std"] = mean, std
            rows.append(row)
    return pd.DataFrame(rows)


def _cell(row: pd.Series, key: str, digits: int = 1) -> str:
    if row["status"] != "ok":
        return row["status"]
    return f"{row[f'{key}_mean']:.{digits}f} ± {row[f'{key}_std']:.{digits}f}"


def wide(long: pd.DataFrame, render) -> pd.DataFrame:
    """Models as rows, datasets as columns, each cell ``render(row)``."""
    long = long.assign(cell=long.apply(render, axis=1))
    table = long.pivot(index="label", columns="dataset", values="cell")
    order = list(dict.fromkeys(long["label"]))
    return table.loc[order, list(dict.fromkeys(long["dataset"]))].reset_index().rename(columns={"label": "model"})


def _features_note(config: dict) -> str:
    evaluation = config["evaluation"]
    name = FEATURES[evaluation["features"]].description
    return (f"features: {name} ({paths.feature_space(config)}); {evaluation['num_samples']} generated samples "
            f"(sampling: {evaluation['sampling']}) vs the test split; preset: {config['preset']}; "
            f"mean ± std over seeds {config['seeds']}; {provenance_note(config)}")


def _table1_long(config: dict) -> pd.DataFrame:
    datasets = table1_datasets(config)
    return metric_rows(config, config["table1"]["models"], datasets,
                       ("fid", "kid", *(f"fid_{protocol}" for protocol in SAMPLING_PROTOCOLS)))


def table1(config: dict, out: Path) -> list[Path]:
    """FID of every Table 1 model on every dataset (mean ± std over seeds)."""
    long = _table1_long(config)
    write_table(long.assign(features=config["evaluation"]["features"]), out / "table1_long", _features_note(config))
    return write_table(wide(long, lambda r: _cell(r, "fid")), out / "table1", f"Table 1: FID. {_features_note(config)}")


def comparable_to_reference(config: dict) -> bool:
    """Whether our FIDs use the same features as the published ones (Inception-v3, pytorch-fid's
    resize: the clean-fid variant is another feature space)."""
    return paths.feature_space(config) == REFERENCE_FEATURES


def _not_comparable_note(config: dict) -> str:
    return (f"our FIDs use {paths.feature_space(config)} features, the published ones "
            f"{REFERENCE_FEATURES}-v3 features: the two scales differ, so they are not compared")


def table4(config: dict, out: Path) -> list[Path]:
    """Table 1 plus the GAN FIDs of Lucic et al. 2018 (Inception FIDs: under other features they
    follow a heading row of their own saying they are not comparable with the rows above)."""
    ours = wide(_table1_long(config), lambda r: _cell(r, "fid"))
    gans = pd.read_csv(REFERENCE / "paper_table4_gans.csv")
    gans = gans[gans["dataset"].isin(ours.columns)]
    gans = gans.assign(cell=gans["fid_mean"].map("{:.1f}".format) + " ± " + gans["fid_std"].map("{:.1f}".format))
    gan_table = gans.pivot(index="model", columns="dataset", values="cell").reindex(columns=ours.columns[1:])
    gan_table = gan_table.loc[list(dict.fromkeys(gans["model"]))].reset_index()
    gan_table["model"] = gan_table["model"] + " (Lucic et al. 2018)"
    parts = [ours, gan_table.astype(object).fillna(NOT_RUN)]
    caption = f"Table 4: Table 1 with GAN FIDs from Lucic et al. 2018. {_features_note(config)}"
    if not comparable_to_reference(config):
        heading = f"GANs, Lucic et al. 2018 ({REFERENCE_FEATURES} FIDs, not comparable with the rows above)"
        parts.insert(1, pd.DataFrame([{"model": heading, **{c: "" for c in ours.columns[1:]}}]))
        caption += f". GAN rows: {_not_comparable_note(config)}"
    return write_table(pd.concat(parts, ignore_index=True), out / "table4", caption)


def table6(config: dict, out: Path) -> list[Path]:
    """PRD (F_8, F_1/8) of every Table 1 model."""
    datasets = table1_datasets(config)
    long = metric_rows(config, config["table1"]["models"], datasets, ("prd_f8", "prd_f1_8"))
    render = lambda r: r["status"] if r["status"] != "ok" else f"({r['prd_f8_mean']:.2f}, {r['prd_f1_8_mean']:.2f})"
    return write_table(wide(long, render), out / "table6", f"Table 6: PRD (F_8, F_1/8), mean over seeds. {_features_note(config)}")


def table2(config: dict, out: Path) -> list[Path]:
    """Training epochs of each method and stage, per dataset, as the preset sets them."""
    rows = []
    datasets = table1_datasets(config)
    for model in config["table1"]["models"]:
        row = {"model": _label(config, model)}
        for dataset in datasets:
            run = resolve_run(config, model, dataset, 0)
            kind = MODELS[run.method].second_stage
            second = {None: "", "fit": " + GMM fit", "train": f" + {run.second_stage.epochs if run.second_stage else 0}"}[kind]
            grid = config["models"][model].get("z_penalty_grid", [])
            search = f" (+ z_penalty search: {len(grid)} x ({run.train.epochs}{second}))" if grid else ""
            row[dataset] = f"{run.train.epochs}{second}{search}"
        rows.append(row)
    return write_table(pd.DataFrame(rows), out / "table2",
                       f"Table 2: training epochs (stage 1 + stage 2). preset: {config['preset']}; {provenance_note(config)}")


def table3(config: dict, out: Path) -> list[Path]:
    """The shared auto-encoder, read off the modules, for every image size in the preset."""
    frames = []
    for dataset in config["datasets"]:
        info = dataset_info(dataset)
        latent = config["datasets"][dataset]["latent_dim"]
        rows = pd.DataFrame(architecture_rows(info.channels, info.image_size, latent)).drop(columns="index")
        rows.insert(0, "input", f"{info.channels}x{info.image_size}x{info.image_size}, latent {latent}")
        frames.append(rows)
    table = pd.concat(frames, ignore_index=True).drop_duplicates()
    return write_table(table, out / "table3", f"Table 3: the InfoGAN auto-encoder shared by every model. {provenance_note(config)}")


def table5(config: dict, out: Path) -> list[Path]:
    """Measured seconds per training epoch (mean over epochs and seeds)."""
    rows = []
    datasets = table1_datasets(config)
    for model in config["table1"]["models"]:
        row = {"model": _label(config, model)}
        for dataset in datasets:
            logs = [paths.train_log(config, dataset, model, s) for s in config["seeds"]]
            seconds = [pd.read_csv(p)["seconds"].mean() for p in logs if p.exists() and p.stat().st_size > 0
                       and "seconds" in pd.read_csv(p, nrows=0).columns]
            row[dataset] = f"{np.mean(seconds):.2f}" if seconds else NOT_RUN
        rows.append(row)
    return write_table(pd.DataFrame(rows), out / "table5",
                       f"Table 5: seconds per training epoch (stage 1), measured. preset: {config['preset']}; {provenance_note(config)}")


def paper_vs_ours(config: dict, out: Path) -> list[Path]:
    """Each published FID next to ours and our KID (the paper has none); the difference only when
    both use the same features (else empty, with a note saying why)."""
    reference = pd.read_csv(REFERENCE / "paper_table1_glf.csv")
    long = _table1_long(config).set_index(["model", "dataset"])
    rows = []
    for _, ref in reference.iterrows():
        key = (PAPER_NAMES.get(ref["model"]), ref["dataset"])
        ours = long.loc[key] if key in long.index else None
        ok = ours is not None and ours["status"] == "ok"
        same = comparable_to_reference(config)
        rows.append({"model": ref["model"], "dataset": ref["dataset"], "paper_fid_mean": ref["fid_mean"],
                     "paper_fid_std": ref["fid_std"], "our_fid_mean": ours["fid_mean"] if ok else np.nan,
                     "our_fid_std": ours["fid_std"] if ok else np.nan,
                     "difference": ours["fid_mean"] - ref["fid_mean"] if ok and same else np.nan,
                     "our_kid_mean": ours["kid_mean"] if ok else np.nan, "our_kid_std": ours["kid_std"] if ok else np.nan,
                     "our_status": NOT_RUN if ours is None else ours["status"],
                     "features": config["evaluation"]["features"], "paper_features": REFERENCE_FEATURES,
                     "note": "" if same else _not_comparable_note(config), "source": ref["source"]})
    df = pd.DataFrame(rows)
    stem = out / "paper_vs_ours"
    atomic_write_text(stem.with_suffix(".csv"), df.to_csv(index=False))
    return [stem.with_suffix(".csv")]


TABLES = {"table1": table1, "table2": table2, "table3": table3, "table4": table4, "table5": table5,
          "table6": table6, "paper_vs_ours": paper_vs_ours}


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("tables", nargs="+", choices=sorted(TABLES))
    args = parser.parse_args(argv)
    announce("benchmark.tables")
    config = load_config(args.config)
    out = Path(config["results_dir"])
    for name in args.tables:
        for path in TABLES[name](config, out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
