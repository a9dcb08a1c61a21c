"""Where every file of the workflow lives: one place, used by the Snakefile and the CLIs."""
from __future__ import annotations

from pathlib import Path

from benchmark.config import CURVE_FIGURES, model_settings, table1_datasets
from benchmark.metrics.registry import FEATURES
from models import MODELS

TABLE_FORMATS = ("csv", "tex", "md", "html")
FIGURE_FORMATS = ("png", "pdf")
FIGURE_VARIANTS = ("", "_column")  # text width, column width


def run_dir(config: dict, dataset: str, model: str, seed: int | str) -> Path:
    """The folder of one training run."""
    return Path(config["runs_dir"]) / dataset / model / f"seed{seed}"


def planned_runs(config: dict) -> list[tuple[str, str]]:
    """Every (model, dataset) the preset trains: Table 1's grid plus each figure's models on its
    dataset (each once, in that order)."""
    runs = [(m, d) for m in config["table1"]["models"] for d in table1_datasets(config)]
    for name in CURVE_FIGURES:
        if name in config["figures"]:
            runs += [(m, config["figures"][name]["dataset"]) for m in config["figures"][name]["models"]]
    return list(dict.fromkeys(runs))


def has_second_stage(config: dict, model: str) -> bool:
    """Whether the model's (or variant run's) method has a second stage (a GMM fit or a second network)."""
    return MODELS[model_settings(config, model)["method"]].second_stage is not None


def final_model(config: dict, dataset: str, model: str, seed: int | str) -> Path:
    """The model file that is sampled: after the second stage when the method has one."""
    name = "model_stage2.pt" if has_second_stage(config, model) else "model.pt"
    return run_dir(config, dataset, model, seed) / name


SELECTION_FILE = "selection.json"


def selection(config: dict, dataset: str, model: str, seed: int | str) -> Path:
    """The penalty search's choice (``selection.json``) that the run of ``seed`` trains with: its
    own run's under ``z_penalty_search: every_seed``, else the first seed's run's."""
    settings = model_settings(config, model)
    searched = seed if settings.get("z_penalty_search") == "every_seed" else config["seeds"][0]
    return run_dir(config, dataset, model, searched) / SELECTION_FILE


def samples(config: dict, dataset: str, model: str, seed: int | str) -> Path:
    return run_dir(config, dataset, model, seed) / "samples.pt"


def metrics(config: dict, dataset: str, model: str, seed: int | str) -> Path:
    return run_dir(config, dataset, model, seed) / f"metrics-{feature_space(config)}.json"


def floor_metrics(config: dict, dataset: str, kind: str) -> Path:
    """The metrics of reference row ``kind`` (:mod:`benchmark.floors`) on ``dataset``, beside the
    runs (``@`` is in no model name)."""
    return Path(config["runs_dir"]) / dataset / "@floor" / kind / f"metrics-{feature_space(config)}.json"


def train_log(config: dict, dataset: str, model: str, seed: int | str) -> Path:
    return run_dir(config, dataset, model, seed) / "train_log.csv"


def data_ready(config: dict, dataset: str) -> Path:
    """Marker written once both splits of a dataset are verified and cached."""
    return Path(config["cache_dir"]) / "data" / f"{dataset}.ready.json"


def results(config: dict, name: str) -> Path:
    return Path(config["results_dir"]) / name


def grid(config: dict, dataset: str, model: str, kind: str = "grid") -> Path:
    """Sample grid (``kind='grid'``) or interpolation (``kind='interpolation'``) PNG of seed 0."""
    return results(config, f"samples/{dataset}/{model}_{kind}.png")


def feature_weights(config: dict, dataset: str, features: str | None = None) -> Path:
    """The weights of the feature extractor ``features`` (default: the preset's) for ``dataset``."""
    return FEATURES[features or config["evaluation"]["features"]].weights(config, dataset)


def feature_space(config: dict) -> str:
    """The preset's feature space: ``evaluation.features``, plus ``-clean`` under clean-fid's resize."""
    evaluation = config["evaluation"]
    return evaluation["features"] + ("" if evaluation["fid_variant"] == "legacy" else f"-{evaluation['fid_variant']}")


def reference_stats(config: dict, dataset: str) -> Path:
    """Feature statistics (mean, covariance) of the dataset's test split."""
    return Path(config["cache_dir"]) / "stats" / f"{dataset}-test-{feature_space(config)}.npz"


def job_log(config: dict, name: str) -> Path:
    """The log file ``<runs_dir>/logs/<name>.log`` of a workflow job (``name``: ``<rule>/...``,
    wildcards allowed): under the preset's runs folder, so two presets never share a log."""
    return Path(config["runs_dir"]) / "logs" / f"{name}.log"


def redo_hint(path: str | Path) -> str:
    """The command that rebuilds ``path`` (a run's file) and everything downstream of it."""
    return (f"Redo it and everything that depends on it with: snakemake --cores N --configfile <preset> "
            f"--forcerun {path} (see docs/runs.md, 'Redoing a run')")
