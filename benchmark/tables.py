"""Tables 1-6 and paper_vs_ours from a preset's :class:`benchmark.results.Results`.

Each table is written as CSV (the numbers), LaTeX, Markdown and HTML (see
:mod:`benchmark.table_format`).  A table says which features and how many samples produced it,
and the commit and preset hash (see :mod:`benchmark.provenance`); a cell whose runs are missing
reads "not run", a diverged run "diverged".  Published FIDs (workflow/reference/) are Inception-v3
FIDs: they are set next to ours, and subtracted, only when ours are in the same feature space.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark import paths
from benchmark.atomic import atomic_write_text
from benchmark.config import (evaluated_datasets, model_settings, resolve_run, sampling_protocol, table1_datasets,
                              uses_perceptual)
from benchmark.data import dataset_info
from benchmark.floors import FLOORS
from benchmark.metrics.registry import FEATURES
from benchmark.fid_curve import fid_curve_tables
from benchmark.provenance import provenance_note
from benchmark.results import NOT_RUN, Results, read_measurements, read_reference
from benchmark.sensitivity_table import sensitivity
from benchmark.table_format import Table, decimals, to_html, with_pipeline_check_mark, write_table
from models import MODELS
from models.architecture import architecture_rows
from models.glann import PUBLISHED_EPOCHS
from models.sampling import SAMPLING_PROTOCOLS

PERF_DIR = Path(__file__).resolve().parent.parent / "results"  # the committed perf*.csv
PAPER_NAMES = {"GLF": "glf", "GLF+perceptual": "glf_perceptual", "Two-Stage VAE (original paper)": "two_stage_vae"}
REFERENCE_FEATURES = "inception"  # every FID in workflow/reference/ is an Inception-v3 (pool3) FID


OURS = {"glf", "glf_perceptual"}


def _label(config: dict, model: str) -> str:
    """The model's label, with "(ours)" on the paper's own methods as in its tables."""
    label = config["models"][model].get("label", model)
    return f"{label} (ours)" if config["models"][model]["method"] in OURS else label


def _grouped(config: dict, models: list[str]) -> tuple[list[str], tuple[int, ...]]:
    """``models`` with the perceptual-loss models last, and the row where that group starts."""
    plain = [m for m in models if not uses_perceptual(config, m)]
    ordered = plain + [m for m in models if uses_perceptual(config, m)]
    return ordered, (len(plain),) if 0 < len(plain) < len(ordered) else ()


def _provenance(config: dict) -> dict:
    """The columns that say where a table's numbers come from."""
    evaluation = config["evaluation"]
    return {"features": evaluation["features"], "num_samples": evaluation["num_samples"], "preset": config["preset"]}


def metric_rows(results: Results, models: list[str], datasets: list[str], keys: tuple[str, ...]) -> pd.DataFrame:
    """Long table: one row per (model, dataset) with mean and std over the finished seeds of each
    metric key (std NaN with one seed: unknown, not zero), the number of finished and diverged
    seeds (``n_seeds``, ``n_diverged``), a status ("ok", "diverged", "not run") and the features,
    sample count and preset behind the numbers.  A key missing from a metrics file (``kid`` of one
    written before KID existed) reads NaN."""
    config = results.config
    rows = []
    for model in models:
        for dataset in datasets:
            fid = results.summary(model, dataset, "fid")
            row = {"model": model, "label": _label(config, model), "dataset": dataset,
                   "n_seeds": fid.n, "n_diverged": fid.diverged, "status": fid.status}
            for key in keys:
                summary = results.summary(model, dataset, key)
                shown = summary if summary.n == fid.n else None
                row[f"{key}_mean"] = shown.mean if shown else np.nan
                row[f"{key}_std"] = shown.std if shown else np.nan
            rows.append(row | _provenance(config))
    return pd.DataFrame(rows)


def floor_rows(results: Results, datasets: list[str], keys: tuple[str, ...]) -> pd.DataFrame:
    """The reference rows (:mod:`benchmark.floors`) in the columns of :func:`metric_rows`: one per
    (kind, dataset), the value alone (no seeds, no spread), ``not run`` where not evaluated."""
    config = results.config
    rows = []
    for kind, label in FLOORS.items():
        for dataset in datasets:
            metrics = results.floors.get((dataset, kind))
            row = {"model": f"@floor/{kind}", "label": label, "dataset": dataset, "n_seeds": np.nan,
                   "n_diverged": np.nan, "status": "ok" if metrics else NOT_RUN}
            for key in keys:
                row[f"{key}_mean"] = float(metrics[key]) if metrics and key in metrics else np.nan
                row[f"{key}_std"] = np.nan
            rows.append(row | _provenance(config))
    return pd.DataFrame(rows)


CITED_GLANN = "GLANN (cited, Hoshen et al. 2019)"


def cited_glann_cells(results: Results, datasets: list[str]) -> tuple[dict, pd.DataFrame]:
    """Table 1's cited GLANN row (the paper trained none: Appendix B): its cells per dataset (the
    published FID when our FIDs share its Inception features, else why not) and its data rows."""
    reference = read_reference("glann_cited").set_index("dataset")
    comparable = comparable_to_reference(results.config)
    cells, rows = {"model": CITED_GLANN}, []
    for dataset in datasets:
        ref = reference.loc[dataset] if dataset in reference.index else None
        known = ref is not None and pd.notna(ref["fid_mean"])
        if not comparable:
            cells[dataset] = "not comparable"
        elif not known:
            cells[dataset] = "not transcribed"
        else:
            cells[dataset] = f"{ref['fid_mean']:.1f} ± {ref['fid_std']:.1f}"
        rows.append({"model": "glann_cited", "label": CITED_GLANN, "dataset": dataset,
                     "fid_mean": ref["fid_mean"] if known else np.nan, "fid_std": ref["fid_std"] if known else np.nan,
                     "status": "cited" if known else "not transcribed", "features": REFERENCE_FEATURES,
                     "source": ref["source"] if ref is not None else ""})
    return cells, pd.DataFrame(rows)


def retrained_glann_note(config: dict, models: list[str]) -> str:
    """The caption sentence for each GLANN model trained here (empty when none): what it is (GLO
    codes + IMLE map with GLANN's recipe at this preset's budget) and its GLO + IMLE epochs per
    dataset beside GLANN's own (:data:`models.glann.PUBLISHED_EPOCHS`)."""
    notes = []
    for model in models:
        if config["models"][model]["method"] != "glann":
            continue
        runs = {dataset: resolve_run(config, model, dataset, 0) for dataset in table1_datasets(config)}
        epochs = ", ".join(f"{dataset} {run.train.epochs} + {run.second_stage.epochs}" for dataset, run in runs.items())
        perceptual = config["models"][model]["params"].get("perceptual", MODELS["glann"].declared_params["perceptual"].default)
        recipe = "GLANN's recipe" if perceptual else "GLANN's recipe but squared error for its perceptual loss"
        notes.append(f" {_label(config, model)}: GLO codes and an IMLE map trained here with {recipe} at this "
                     f"preset's budget, GLO + IMLE epochs {epochs} (GLANN's own: {PUBLISHED_EPOCHS['glo']} + "
                     f"{PUBLISHED_EPOCHS['imle']}); not GLANN's published model.")
    return "".join(notes)


def _cell(row: pd.Series, key: str, digits: int = 1) -> str:
    """``mean ± std`` of a finished cell (the value alone when its spread is unknown: one seed, a
    reference row), ``--`` where the row has no such value (a reference row's per-sampler FIDs),
    else its status."""
    if row["status"] != "ok":
        return row["status"]
    if not np.isfinite(row[f"{key}_mean"]):
        return "--"
    if not np.isfinite(row[f"{key}_std"]):
        return f"{row[f'{key}_mean']:.{digits}f}"
    return f"{row[f'{key}_mean']:.{digits}f} ± {row[f'{key}_std']:.{digits}f}"


def fid_cells(long: pd.DataFrame, scale: pd.DataFrame) -> pd.DataFrame:
    """:func:`wide` of the FID cells of ``long``, each dataset's column with the decimals its
    values need (:func:`benchmark.table_format.decimals` of the ``fid_mean`` of ``scale``, the
    rows shown in that column)."""
    digits = {dataset: decimals(rows["fid_mean"]) for dataset, rows in scale.groupby("dataset")}
    return wide(long, lambda r: _cell(r, "fid", digits.get(r["dataset"], 1)))


def wide(long: pd.DataFrame, render) -> pd.DataFrame:
    """Models as rows, datasets as columns, each cell ``render(row)``."""
    long = long.assign(cell=long.apply(render, axis=1))
    table = long.pivot(index="label", columns="dataset", values="cell")
    order = list(dict.fromkeys(long["label"]))
    return table.loc[order, list(dict.fromkeys(long["dataset"]))].reset_index().rename(columns={"label": "model"})


def long_display(long: pd.DataFrame, same_as_fid: str) -> pd.DataFrame:
    """The long table to show: model, dataset, seeds (an integer, empty for a reference row), a
    cell per metric (:func:`_cell`; KID in its own units, with the decimals its values need:
    :func:`benchmark.table_format.decimals`, e.g. ``0.012`` for Inception KIDs, ``77.4`` for the
    classifier's) except ``same_as_fid`` (the preset's sampler's FID, a copy of ``fid``), and the
    training warnings without their figures (the caption gives them whole, :func:`warnings_note`)."""
    metrics = [c.removesuffix("_mean") for c in long.columns if c.endswith("_mean")]
    keys = [key for key in metrics if key != same_as_fid]
    shown = long[["label", "dataset"]].rename(columns={"label": "model"})
    shown.insert(2, "seeds", long["n_seeds"].map(lambda n: "" if pd.isna(n) else str(int(n))))
    digits = {key: decimals(long[f"{key}_mean"]) if key == "kid" else 1 for key in keys}
    shown = shown.assign(**{key: long.apply(_cell, axis=1, key=key, digits=digits[key]) for key in keys})
    if "warning" in long.columns and long["warning"].fillna("").ne("").any():
        shown["warning"] = long["warning"].fillna("").str.replace(r" \([^)]*\)", "", regex=True)
    return shown


def pixel_gaussian_fid(floors: pd.DataFrame) -> pd.Series:
    """The per-pixel Gaussian reference row's FID of each dataset (NaN where not evaluated)."""
    return floors[floors["model"] == "@floor/pixel_gaussian"].set_index("dataset")["fid_mean"]


def best_cells(long: pd.DataFrame, key: str, lower_is_better: bool, must_beat: pd.Series | None = None) -> pd.DataFrame:
    """Boolean wide frame (like :func:`wide`): True at the best ``key`` mean of each dataset, and
    only where it is better than ``must_beat`` of that dataset (a reference row's value: a model
    worse than a per-pixel Gaussian is the best of nothing; NaN there sets no bar)."""
    means = long.pivot(index="label", columns="dataset", values=key)
    best = means.min() if lower_is_better else means.max()
    mask = means.eq(best, axis=1)
    if must_beat is not None:
        bar = must_beat.reindex(means.columns).fillna(np.inf if lower_is_better else -np.inf)
        mask &= means.lt(bar, axis=1) if lower_is_better else means.gt(bar, axis=1)
    order = list(dict.fromkeys(long["label"]))
    mask = mask.loc[order, list(dict.fromkeys(long["dataset"]))].reset_index().rename(columns={"label": "model"})
    mask["model"] = False
    return mask


def seeds_note(long: pd.DataFrame, spread: str = "mean ± std") -> str:
    """How many finished seeds the cells of ``long`` have (its ``n_seeds``), and what a cell shows."""
    counts = sorted({int(n) for n, status in zip(long["n_seeds"], long["status"]) if status == "ok"})
    if not counts:
        return "no finished seed"
    if counts == [1]:
        return "each cell one seed: its value alone (the spread of one seed is unknown)"
    many = f"each cell {counts[0]} seeds" if len(counts) == 1 else f"{counts[0]}-{counts[-1]} seeds per cell (n_seeds in the CSV)"
    one = "; a cell of one seed shows its value alone" if counts[0] == 1 else ""
    return f"{spread} over the finished seeds, {many}{one}"


def sampling_note(results: Results, models: list[str]) -> str:
    """Which sampling protocol each model's FIDs used: the ``sampling`` its metrics files record,
    else the one the preset gives it (:func:`benchmark.config.sampling_protocol`)."""
    by_protocol: dict[str, list[str]] = {}
    for model in models:
        recorded = {r.metrics.get("sampling") for runs in (results.of(model, d) for d in table1_datasets(results.config))
                    for r in runs if r.finished}
        protocol = "/".join(sorted(p for p in recorded if p)) or sampling_protocol(results.config, model)
        by_protocol.setdefault(protocol, []).append(_label(results.config, model))
    return "; ".join(f"{protocol}: {', '.join(labels)}" for protocol, labels in by_protocol.items())


def _features_note(results: Results, long: pd.DataFrame, spread: str = "mean ± std") -> str:
    config = results.config
    evaluation = config["evaluation"]
    name = FEATURES[evaluation["features"]].description
    models = list(dict.fromkeys(long["model"]))
    counted = results.seed_counts(models, list(dict.fromkeys(long["dataset"])))
    return (f"Features: {name} ({paths.feature_space(config)}); {evaluation['num_samples']} generated samples "
            f"vs the test split, every row sampled under one protocol ({sampling_note(results, models)}; "
            f"README, Protocol); preset {config['preset']}; finished seeds per row: {counted}; "
            f"{seeds_note(long, spread)}; {provenance_note(config)}.")


TABLE1_KEYS = ("fid", "kid", *(f"fid_{protocol}" for protocol in SAMPLING_PROTOCOLS))


def _table1_long(results: Results) -> pd.DataFrame:
    """Table 1's long rows (:func:`metric_rows`), plus each row's FID under its method's own
    released sampler (``own_sampling``, ``fid_own_mean``/``fid_own_std``: GLF drawn as its authors
    draw it, read off the FIDs of both protocols that every metrics file stores; never the basis of
    a claim) and a ``warning`` column: the runs' training warnings
    (:meth:`benchmark.results.Results.warnings`), "; "-joined, empty when none."""
    models, _ = _grouped(results.config, results.config["table1"]["models"])
    long = metric_rows(results, models, table1_datasets(results.config), TABLE1_KEYS)
    if long.empty:
        return long
    long["own_sampling"] = [MODELS[model_settings(results.config, m)["method"]].sampling for m in long["model"]]
    for stat in ("mean", "std"):
        long[f"fid_own_{stat}"] = [row[f"fid_{row['own_sampling']}_{stat}"] for _, row in long.iterrows()]
    return long.assign(warning=["; ".join(results.warnings(model, dataset))
                                for model, dataset in zip(long["model"], long["dataset"])])


def warnings_note(long: pd.DataFrame) -> str:
    """The caption sentence for rows of ``long`` with a training warning (empty when none): each
    row's warnings, and that its numbers are not those of its method trained as it needs."""
    flagged = long[long["warning"].fillna("").ne("")] if "warning" in long.columns else long.iloc[:0]
    if flagged.empty:
        return ""
    rows = "; ".join(f"{row['label']} on {row['dataset']}: {row['warning']}" for _, row in flagged.iterrows())
    return (f" Warning: this budget did not train every method as it needs ({rows}); such a row's FID is "
            f"that of the under-trained model, not of its method.")


def comparable_to_reference(config: dict) -> bool:
    """Whether our FIDs use the same features as the published ones (Inception-v3, pytorch-fid's
    resize: the clean-fid variant is another feature space)."""
    return paths.feature_space(config) == REFERENCE_FEATURES


def _not_comparable_note(config: dict) -> str:
    return (f"our FIDs use {paths.feature_space(config)} features, the published ones "
            f"{REFERENCE_FEATURES}-v3 features: the two scales differ, so they are not compared")


def table1(results: Results, out: Path) -> list[Path]:
    """FID of every Table 1 model on every dataset (mean ± std over seeds), best in bold, then the
    reference rows (training images, per-pixel Gaussian) after a rule, never bold."""
    config = results.config
    models = _table1_long(results)
    floors = floor_rows(results, table1_datasets(config), TABLE1_KEYS)
    long = pd.concat([models, floors], ignore_index=True)
    _, rules = _grouped(config, config["table1"]["models"])
    note = (f"{_features_note(results, models)} {FLOORS['training_images']}: {config['evaluation']['num_samples']} "
            f"training images against the test split, the best a model can score; {FLOORS['pixel_gaussian']}: "
            f"samples of a Gaussian fitted to the training pixels, for scale. Both by the same evaluation, "
            f"never bold.{warnings_note(models)}")
    shown_long = long_display(long, same_as_fid=f"fid_{config['evaluation']['sampling']}")
    outputs = write_table(Table(shown_long, f"FID of every model and dataset. {note}", "table1-long",
                                data=long), out / "table1_long")
    cited, cited_data = cited_glann_cells(results, table1_datasets(config))
    ours = fid_cells(models, long)
    shown = pd.concat([ours, pd.DataFrame([cited]), fid_cells(floors, long)], ignore_index=True)
    bold = best_cells(models, "fid_mean", lower_is_better=True,
                      must_beat=pixel_gaussian_fid(floors)).reindex(range(len(shown)), fill_value=False)
    note += (f" {CITED_GLANN}: the FIDs the paper cites (Appendix B), Inception-v3 FIDs, never bold; 'not "
             f"comparable' under other features; the values were transcribed (from memory, says the source column of "
             f"workflow/reference/glann_cited.csv) and not checked against a copy of GLANN's paper."
             f"{retrained_glann_note(config, config['table1']['models'])}")
    fid = Table(shown, f"FID (lower is better; the best in bold when it beats the {FLOORS['pixel_gaussian']} "
                       f"row). {note}", "table1",
                data=pd.concat([long, cited_data], ignore_index=True), bold=bold,
                rules_before=(*rules, len(ours), len(ours) + 1))
    return outputs + write_table(fid, out / "table1")


def table4(results: Results, out: Path) -> list[Path]:
    """Table 1 plus the GAN FIDs of Lucic et al. 2018 (Inception FIDs), best of each dataset in
    bold.  Under other features the GAN rows follow a heading row of their own saying they are not
    comparable with ours, and the bold marks only our rows."""
    config = results.config
    long = _table1_long(results)
    datasets = list(dict.fromkeys(long["dataset"]))
    gans = read_reference("paper_table4_gans")
    gans = gans[gans["dataset"].isin(datasets)]
    gans = gans.assign(label=gans["model"] + " (Lucic et al. 2018)", status="ok", n_seeds=np.nan,
                       features=REFERENCE_FEATURES)
    both = pd.concat([long.assign(source="this run"), gans], ignore_index=True)
    ours = wide(long, lambda r: _cell(r, "fid"))
    digits = {dataset: decimals(rows["fid_mean"]) for dataset, rows in long.groupby("dataset")}
    # our FIDs with the decimals their scale needs (as in Table 1), the GANs' as published
    table = wide(both, lambda r: _cell(r, "fid", digits[r["dataset"]] if r["source"] == "this run" else 1)).fillna(NOT_RUN)
    caption = (f"Table 1 with the GAN FIDs of Lucic et al. 2018 (Inception-v3 features); the best in bold when it "
               f"beats Table 1's {FLOORS['pixel_gaussian']} row. Ours: {_features_note(results, long)}")
    gaussian = pixel_gaussian_fid(floor_rows(results, datasets, ("fid",)))
    if comparable_to_reference(config):
        bold = best_cells(both, "fid_mean", True, must_beat=gaussian)
    else:
        bold = best_cells(long, "fid_mean", True, must_beat=gaussian).reindex(range(len(table)), fill_value=False)
        heading = f"GANs, Lucic et al. 2018 ({REFERENCE_FEATURES} FIDs, not comparable with the rows above)"
        table = pd.concat([table.iloc[:len(ours)], pd.DataFrame([{"model": heading, **{d: "" for d in datasets}}]),
                           table.iloc[len(ours):]], ignore_index=True)
        bold = pd.concat([bold.iloc[:len(ours)], pd.DataFrame([{c: False for c in bold.columns}]),
                          bold.iloc[len(ours):]], ignore_index=True)
        caption += f" GAN rows: {_not_comparable_note(config)}."
    return write_table(Table(table, caption, "table4", data=both, bold=bold, rules_before=(len(ours),)),
                       out / "table4")


def table6(results: Results, out: Path) -> list[Path]:
    """PRD (F_8, F_1/8) of every Table 1 model, mean over seeds, best of each column in bold."""
    config = results.config
    models, rules = _grouped(config, config["table1"]["models"])
    long = metric_rows(results, models, table1_datasets(config), ("prd_f8", "prd_f1_8"))
    columns, masks = [], []
    for key, name in (("prd_f8", "F8"), ("prd_f1_8", "F1/8")):
        render = lambda r, key=key: r["status"] if r["status"] != "ok" else f"{r[f'{key}_mean']:.2f}"
        part = wide(long, render).set_index("model")
        columns.append(part.rename(columns=lambda d, name=name: f"{d} {name}"))
        masks.append(best_cells(long, f"{key}_mean", lower_is_better=False).set_index("model")
                     .rename(columns=lambda d, name=name: f"{d} {name}"))
    order = [f"{d} {n}" for d in dict.fromkeys(long["dataset"]) for n in ("F8", "F1/8")]
    table = pd.concat(columns, axis=1)[order].reset_index()
    bold = pd.concat(masks, axis=1)[order].reset_index()
    bold["model"] = False
    caption = (f"PRD: F8 (recall) and F1/8 (precision), higher is better, best in bold; "
               f"std over seeds in table6.csv. {_features_note(results, long, 'mean')}")
    return write_table(Table(table, caption, "table6", data=long, bold=bold, rules_before=rules), out / "table6")


def _per_model_and_dataset(config: dict, measure) -> tuple[pd.DataFrame, pd.DataFrame, tuple[int, ...]]:
    """Table 1's models (perceptual-loss models last) by its datasets: ``measure(model, dataset)``
    returns (data row, shown cell).  Returns the shown table (models x datasets), the data (one
    row per model and dataset, with model, label, dataset and preset) and the group rules."""
    rows, cells = [], []
    models, rules = _grouped(config, config["table1"]["models"])
    for model in models:
        cell = {"model": _label(config, model)}
        for dataset in table1_datasets(config):
            row, cell[dataset] = measure(model, dataset)
            rows.append({"model": model, "label": cell["model"], "dataset": dataset, **row, "preset": config["preset"]})
        cells.append(cell)
    return pd.DataFrame(cells), pd.DataFrame(rows), rules


def table2(results: Results, out: Path) -> list[Path]:
    """Training epochs of each method and stage, per dataset, as the preset sets them."""
    config = results.config

    def epochs(model: str, dataset: str) -> tuple[dict, str]:
        run = resolve_run(config, model, dataset, 0)
        kind = MODELS[run.method].second_stage
        second = (run.second_stage.epochs if run.second_stage else 0) if kind == "train" else np.nan
        grid = config["models"][model].get("z_penalty_grid", [])
        stages = f"{run.train.epochs}" + {None: "", "fit": " + GMM fit", "train": f" + {second:g}"}[kind]
        row = {"stage1_epochs": run.train.epochs, "stage2": kind or "none", "stage2_epochs": second,
               "z_penalty_candidates": len(grid)}
        once = config["models"][model].get("z_penalty_search") != "every_seed"
        search = f" (+ z_penalty search: {len(grid)} x ({stages}){', once per dataset' if once else ', every seed'})"
        return row, stages + (search if grid else "")

    shown, data, rules = _per_model_and_dataset(config, epochs)
    caption = (f"Training epochs (stage 1 + stage 2) as preset {config['preset']} sets them; "
               f"{provenance_note(config)}.")
    return write_table(Table(shown, caption, "table2", data=data, rules_before=rules), out / "table2")


def table3(results: Results, out: Path) -> list[Path]:
    """The shared auto-encoder, read off the modules, for every image size the preset evaluates
    (not CelebA-HQ's DCGAN-style network): one group of rows per input shape, the shape named
    once at the head of its group."""
    config = results.config
    frames, displays, starts = [], [], []
    for dataset in evaluated_datasets(config):
        info = dataset_info(dataset)
        latent = config["datasets"][dataset]["latent_dim"]
        rows = pd.DataFrame(architecture_rows(info.channels, info.image_size, latent)).drop(columns="index")
        if any(rows.equals(f.drop(columns=["channels", "image_size", "latent_dim"])) for f in frames):
            continue
        frames.append(rows.assign(channels=info.channels, image_size=info.image_size, latent_dim=latent))
        shown = rows.rename(columns={"output_shape": "output"})
        shown["output"] = shown["output"].str.replace("x", "×")
        shown.insert(0, "input", "")
        shown.loc[0, "input"] = f"{info.channels}×{info.image_size}×{info.image_size}, z {latent}"
        starts.append(sum(len(d) for d in displays))
        displays.append(shown)
    caption = (f"The InfoGAN auto-encoder shared by every model, per input shape (z: latent dimension); "
               f"{provenance_note(config)}.")
    return write_table(Table(pd.concat(displays, ignore_index=True), caption, "table3",
                             data=pd.concat(frames, ignore_index=True), rules_before=tuple(starts)), out / "table3")


def table5(results: Results, out: Path) -> list[Path]:
    """Measured seconds per training epoch (mean over epochs and seeds)."""
    config = results.config

    def seconds_per_epoch(model: str, dataset: str) -> tuple[dict, str]:
        seconds = results.seconds_per_epoch(model, dataset)
        return ({"seconds_per_epoch": seconds.mean, "n_seeds": seconds.n},
                f"{seconds.mean:.2f}" if seconds.n else seconds.status)

    shown, data, rules = _per_model_and_dataset(config, seconds_per_epoch)
    caption = (f"Seconds per training epoch (stage 1), measured, mean over epochs and seeds; preset {config['preset']}; "
               f"{provenance_note(config)}.")
    return write_table(Table(shown, caption, "table5", data=data, rules_before=rules), out / "table5")


def paper_vs_ours(results: Results, out: Path) -> list[Path]:
    """Each published FID next to ours and our KID (the paper has none); the difference only when
    both use the same features (else empty, with a note saying why)."""
    config = results.config
    reference = read_reference("paper_table1_glf")
    long = _table1_long(results).set_index(["model", "dataset"])
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
                     "features": paths.feature_space(config), "paper_features": REFERENCE_FEATURES,
                     "note": "" if same else _not_comparable_note(config), "source": ref["source"]})
    df = with_pipeline_check_mark(pd.DataFrame(rows), config["pipeline_check"])
    stem = out / "paper_vs_ours"
    atomic_write_text(stem.with_suffix(".csv"), df.to_csv(index=False))
    return [stem.with_suffix(".csv")]


def perf(results: Results, out: Path) -> list[Path]:
    """The committed speed measurements (``results/perf*.csv`` of ``python -m benchmark.commands.perf``) as
    one HTML table for the report."""
    shown = read_measurements(PERF_DIR).round(2).astype(str)
    caption = ("Measured speed of the suite against a naive training/evaluation loop in the same process "
               "(medians of interleaved repeats; see docs/performance.md). Preset " + results.config["preset"] + ".")
    target = out / "perf.html"
    atomic_write_text(target, to_html(Table(shown, caption, "perf")))
    return [target]


TABLES = {"table1": table1, "table2": table2, "table3": table3, "table4": table4, "table5": table5,
          "table6": table6, "paper_vs_ours": paper_vs_ours, "perf": perf, "sensitivity": sensitivity,
          "fid_curve_table": fid_curve_tables}
