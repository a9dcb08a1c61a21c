"""Shared helpers of the rules: the resolved preset file, paths, resources, inputs."""
import json
import os
import shlex
import sys
from pathlib import Path

from benchmark import paths
from benchmark.code_identity import training_code_sha256
from benchmark.floors import FLOORS
from benchmark.metrics.registry import classifier_weights_pattern
from benchmark.sensitivity import sensitivity_metrics
from benchmark.config import (CURVE_FIGURES, EVALUATION_SETTINGS, SAMPLE_FIGURES, evaluated_datasets, model_seeds, model_settings,
                              resolve_run, sampling_protocol, table1_datasets, write_resolved_preset)
from benchmark.data import DataError, check_local_folder



def shell_arg(value):
    """``value`` as one shell word (quoted), escaped for Snakemake's formatter: for literals in
    ``shell:`` strings.  Wildcards, inputs and outputs are quoted with ``{...:q}`` instead."""
    return shlex.quote(str(value)).replace("{", "{{").replace("}", "}}")


PYTHON = shell_arg(sys.executable)  # the interpreter running snakemake, with the project installed
SEEDS = [str(s) for s in config["seeds"]]
TABLE1_DATASETS = table1_datasets(config)
TABLE_MODELS = config["table1"]["models"]
FIGURES = config["figures"]
EVAL = config["evaluation"]
RESOURCES = config["resources"]
GPUS = RESOURCES["gpus_per_job"]
GPU_SLOT = 1 if GPUS else 0  # each GPU job takes one of the gpu_slots (see gpu_slots.smk)
TRAIN_MEM_MB = RESOURCES["train_mem_mb"]
EVAL_MEM_MB = RESOURCES["eval_mem_mb"]
TRAIN_RUNTIME = RESOURCES["train_runtime_min"]
EVAL_RUNTIME = RESOURCES["eval_runtime_min"]
RUN = str(paths.run_dir(config, "{dataset}", "{model}", "{seed}"))
FIRST_SEED_RUN = str(paths.run_dir(config, "{dataset}", "{model}", SEEDS[0]))
TABLE_NAMES = ("table1", "table2", "table3", "table4", "table5", "table6")


PRESET_FILE = str(Path(config["runs_dir"]) / "preset.yaml")  # the validated preset that every job reads
PRESET = shell_arg(PRESET_FILE)
# The rules whose outputs lie in cache_dir, which presets may share, read the preset's path from
# this variable instead: Snakemake reruns a job whose shell command changed, so with the path in
# their command another preset would redo them, and every run downstream of them, of both presets.
# (envvars also hands the variable to jobs on other machines.)
PRESET_ENV = "GLF_WORKFLOW_PRESET"
os.environ[PRESET_ENV] = PRESET_FILE
SHARED_PRESET = f'"${PRESET_ENV}"'


envvars:
    PRESET_ENV,


def log_file(name):
    """The log of a job (``<rule>/<name>``, wildcards allowed) under this preset's runs_dir."""
    return str(paths.job_log(config, name))


TRAINING_CODE = training_code_sha256()  # a param of the training rules: a change of it retrains (benchmark.code_identity)


TABLE_TEXT = json.dumps({"labels": {m: model_settings(config, m).get("label", m) for m in config["models"]},
                         "pipeline_check": config["pipeline_check"]}, sort_keys=True)  # what tables print of the preset


def run_settings(wildcards):
    """A model run's resolved settings: a param, so that changing them reruns only that run."""
    run = resolve_run(config, wildcards.model, wildcards.dataset, int(wildcards.seed))
    return json.dumps({"train": vars(run.train), "spec": repr(run.spec),
                       "second": vars(run.second_stage) if run.second_stage else None,
                       "max_images": run.max_train_images}, sort_keys=True)


def run_sampling(wildcards):
    """The run's sampling protocol, the preset's ``evaluation.sampling`` (one for every model): a
    param of the sample and evaluate rules, so that a change of it redraws the samples and
    re-evaluates them."""
    return sampling_protocol(config, wildcards.model)


def data_ready(wildcards):
    return str(paths.data_ready(config, wildcards.dataset))


def feature_inputs(dataset):
    """The feature extractor's weights (a pinned classifier's committed file is a plain input) and
    the real test-split statistics of ``dataset``."""
    return [str(paths.feature_weights(config, dataset)), str(paths.reference_stats(config, dataset))]


def tracks_fid(model, dataset):
    """Whether a run logs an intermediate FID (the models of Figures 3 and 4 and of the FID curve,
    every eval_every epochs)."""
    if not EVAL["eval_every"]:
        return False
    return any(model in FIGURES[name]["models"] and dataset == FIGURES[name]["dataset"]
               for name in CURVE_FIGURES if name in FIGURES)


def train_inputs(wildcards):
    inputs = [data_ready(wildcards)]
    if "z_penalty_grid" in model_settings(config, wildcards.model):
        inputs.append(str(paths.selection(config, wildcards.dataset, wildcards.model, wildcards.seed)))
    if tracks_fid(wildcards.model, wildcards.dataset):
        inputs += feature_inputs(wildcards.dataset)
    return inputs


def eval_arguments(wildcards):
    return "--track-fid" if tracks_fid(wildcards.model, wildcards.dataset) else ""


def evaluation_settings(evaluation):
    """The settings of ``evaluation`` (a preset's section) that every evaluation of images reads."""
    return {k: evaluation[k] for k in EVALUATION_SETTINGS}


def evaluation_params(evaluation):
    """A param function of a run: :func:`evaluation_settings` and the run's sampling protocol, so
    that a change of either re-evaluates it."""
    def settings(wildcards):
        return json.dumps({**evaluation_settings(evaluation), "sampling": run_sampling(wildcards)}, sort_keys=True)
    return settings


def final_model(wildcards):
    return str(paths.final_model(config, wildcards.dataset, wildcards.model, wildcards.seed))


def metrics_of(models, datasets):
    return [str(paths.metrics(config, d, m, s)) for m in models for d in datasets for s in model_seeds(config, m)]


def logs_of(models, datasets):
    return [str(paths.train_log(config, d, m, s)) for m in models for d in datasets for s in model_seeds(config, m)]


SENSITIVITY_METRICS = sensitivity_metrics(config)
FLOOR_METRICS = [str(paths.floor_metrics(config, d, kind)) for d in TABLE1_DATASETS for kind in FLOORS]
TABLE_INPUTS = {
    "table1": metrics_of(TABLE_MODELS, TABLE1_DATASETS) + FLOOR_METRICS,
    "table2": [],
    "table3": [],
    "table4": metrics_of(TABLE_MODELS, TABLE1_DATASETS),
    "table5": logs_of(TABLE_MODELS, TABLE1_DATASETS),
    "table6": metrics_of(TABLE_MODELS, TABLE1_DATASETS),
    "paper_vs_ours": metrics_of(TABLE_MODELS, TABLE1_DATASETS),
    "sensitivity": SENSITIVITY_METRICS + metrics_of(TABLE_MODELS, TABLE1_DATASETS),
}
CURVE = FIGURES.get("fid_curve")
if CURVE:
    TABLE_INPUTS["fid_curve_table"] = (logs_of(CURVE["models"], [CURVE["dataset"]])
                                       + metrics_of(CURVE["models"], [CURVE["dataset"]]) + FLOOR_METRICS)
PLANNED_METRICS = [str(paths.metrics(config, d, m, s)) for m, d in paths.planned_runs(config)
                   for s in model_seeds(config, m)]
RUNS_FILE = str(paths.results(config, "runs.csv"))
RESULTS_README = str(paths.results(config, "README.md"))
EXTRA_TABLES = ["paper_vs_ours"] + (["sensitivity"] if config["sensitivity"] else []) + (["fid_curve_table"] if CURVE else [])
FIGURE_NAMES = [n for n in CURVE_FIGURES if n in FIGURES]
FIGURE_NAMES += [f"samples_{d}" for d in TABLE1_DATASETS] if FIGURES["grids"] else []


SAMPLE_FIGURE_NAMES = [n for n in SAMPLE_FIGURES if n in FIGURES]  # not in `all`: their data is optional


def sample_figure_inputs(name):
    """An input function of a sample figure: the final model of the first seed of its model on its
    dataset; planning stops with the data error (what to download, where) when that dataset is read
    from a local folder that is empty and was never prepared.  Evaluated only when the figure is
    asked for, so that the rest of the workflow plans without that data."""
    def inputs(wildcards):
        figure = FIGURES[name]
        if not paths.data_ready(config, figure["dataset"]).exists():
            try:
                check_local_folder(figure["dataset"], config["data_root"])
            except DataError as err:
                raise WorkflowError(f"{name}: {err}") from None
        return [str(paths.final_model(config, figure["dataset"], figure["model"], SEEDS[0]))]
    return inputs


def table_files(name):
    formats = ("csv",) if name == "paper_vs_ours" else paths.TABLE_FORMATS
    stems = {"table1": (name, "table1_long"),
             "fid_curve_table": (name, "fid_curve_points", "fid_curve_claims")}.get(name, (name,))
    return [str(paths.results(config, f"{stem}.{fmt}")) for stem in stems for fmt in formats]


def figure_files(name):
    return [str(paths.results(config, f"{name}{variant}.{fmt}"))
            for variant in paths.FIGURE_VARIANTS for fmt in paths.FIGURE_FORMATS]


def figure_captions(name):
    """The caption beside each PNG of a figure (``<stem>.txt``)."""
    return [str(paths.results(config, f"{name}{variant}.txt")) for variant in paths.FIGURE_VARIANTS]


def figure_inputs(name):
    if name.startswith("samples_"):
        dataset = name.removeprefix("samples_")
        return [str(paths.grid(config, dataset, m, kind)) for m in FIGURES["grids"]
                for kind in ("grid", "interpolation")]
    return logs_of(FIGURES[name]["models"], [FIGURES[name]["dataset"]]) + (TABLE_INPUTS["fid_curve_table"] if name == "fid_curve" else [])


PERF_CSVS = sorted(str(p) for p in Path("results").glob("perf*.csv"))


def report_table(path):
    """A table file marked for the report, captioned by workflow/report/<table>.rst."""
    stem, fmt = Path(path).stem, Path(path).suffix[1:]
    return report(path, caption=f"../report/{stem}.rst", category="Tables", subcategory=stem,
                  labels={"table": stem, "format": fmt})


def report_figure(path, name):
    """A figure file marked for the report, captioned by workflow/report/<figure>.rst."""
    caption = "samples" if name.startswith("samples_") else name
    width = "column" if Path(path).stem.endswith("_column") else "text"
    return report(path, caption=f"../report/{caption}.rst", category="Figures", subcategory=name,
                  labels={"figure": name, "width": width, "format": Path(path).suffix[1:]})


def all_results():
    tables = [f for name in (*TABLE_NAMES, *EXTRA_TABLES) for f in table_files(name)]
    grids = [str(paths.grid(config, d, m, k)) for d in TABLE1_DATASETS for m in FIGURES["grids"]
             for k in ("grid", "interpolation")]
    perf = [str(paths.results(config, "perf.html"))] if PERF_CSVS else []
    figures = [f for name in FIGURE_NAMES for f in figure_files(name) + figure_captions(name)]
    return tables + figures + grids + perf + [RUNS_FILE, RESULTS_README]


wildcard_constraints:
    dataset="[^/]+",
    model="[^/]+",
    seed=r"\d+",
    key="[0-9a-f]{12}",  # the classifier file's settings hash (benchmark.metrics.registry)
