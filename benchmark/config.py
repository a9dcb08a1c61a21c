"""Loading and validating a workflow preset, and resolving one run's settings from it.

Every entry point (the Snakefile and each CLI) calls :func:`load_config` first, so a bad preset
fails before any job runs, with a message that names the offending key.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from benchmark.data import DATASETS, TEST_SPLIT_SIZES
from benchmark.trainer import TrainSettings
from models import MODELS
from models.base import ModelSpec

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schema" / "config.schema.yaml"


class ConfigError(ValueError):
    """The preset does not match the schema or names something that does not exist."""


# YAML's 1.0 is a float: an "integer" setting must be written as an integer (jsonschema accepts 1.0).
_STRICT_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
StrictValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_STRICT_TYPES)


def _key_path(parts) -> str:
    return ".".join(str(p) for p in parts) or "<top level>"


def _fill_defaults(config: dict, schema: dict) -> None:
    for key, sub in schema.get("properties", {}).items():
        if "default" in sub and key not in config:
            config[key] = sub["default"]


def validate_config(config: Any, source: str = "config") -> dict:
    """Validate a preset against the JSON schema and the registries; return it with defaults.

    Raises :class:`ConfigError` naming the key path of the first problem and how to fix it.
    """
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    validator = StrictValidator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        hint = f" ({err.schema['description']})" if isinstance(err.schema, dict) and "description" in err.schema else ""
        raise ConfigError(f"{source}: invalid value at '{_key_path(err.absolute_path)}': {err.message}{hint}")
    config = dict(config)
    _fill_defaults(config, schema)
    for name in config["datasets"]:
        if name not in DATASETS:
            raise ConfigError(f"{source}: unknown dataset 'datasets.{name}'; known datasets: {sorted(DATASETS)}")
    for name, model in config["models"].items():
        if model["method"] not in MODELS:
            raise ConfigError(f"{source}: unknown method '{model['method']}' at 'models.{name}.method'; "
                              f"registered methods: {sorted(MODELS)}")
    _check_names(config, source)
    _check_num_samples(config, source)
    return config


def _check_num_samples(config: dict, source: str) -> None:
    wanted = config["evaluation"]["num_samples"]
    for name in config["datasets"]:
        if wanted > TEST_SPLIT_SIZES[name]:
            raise ConfigError(f"{source}: 'evaluation.num_samples' is {wanted}, but the {name} test split has "
                              f"only {TEST_SPLIT_SIZES[name]} images; set it to at most {TEST_SPLIT_SIZES[name]}")


def _check_names(config: dict, source: str) -> None:
    references = [("table1.models", config["table1"]["models"], config["models"]),
                  ("table1.datasets", config["table1"].get("datasets", []), config["datasets"])]
    for fig_name, fig in config.get("figures", {}).items():
        if fig_name == "grids":
            references.append(("figures.grids", fig, config["models"]))
            continue
        references.append((f"figures.{fig_name}.models", fig["models"], config["models"]))
        references.append((f"figures.{fig_name}.dataset", [fig["dataset"]], config["datasets"]))
    for key, names, defined in references:
        for name in names:
            if name not in defined:
                raise ConfigError(f"{source}: '{key}' names {name!r}, which is not defined; "
                                  f"defined: {sorted(defined)}")


def table1_datasets(config: dict) -> list[str]:
    """The datasets of Table 1: ``table1.datasets``, else every dataset of the preset."""
    return config["table1"].get("datasets") or list(config["datasets"])


def load_config(path: str | Path) -> dict:
    """Read a YAML preset and validate it (see :func:`validate_config`)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist; presets live in workflow/config/")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    return validate_config(config, source=str(path))


@dataclass
class RunConfig:
    """Everything one (model, dataset, seed) run needs."""

    model: str
    method: str
    dataset: str
    seed: int
    spec: ModelSpec
    train: TrainSettings
    second_stage: TrainSettings | None
    max_train_images: int | None
    crop: int
    extra: dict = field(default_factory=dict)


def _epochs(value: Any, dataset: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, dict):
        if dataset not in value:
            raise ConfigError(f"epochs mapping {value} has no entry for dataset {dataset!r}")
        return value[dataset]
    return value


def resolve_run(config: dict, model: str, dataset: str, seed: int) -> RunConfig:
    """Combine the dataset's and the model's settings into one :class:`RunConfig`."""
    if model not in config["models"]:
        raise ConfigError(f"unknown model {model!r}; models in this preset: {sorted(config['models'])}")
    if dataset not in config["datasets"]:
        raise ConfigError(f"unknown dataset {dataset!r}; datasets in this preset: {sorted(config['datasets'])}")
    m, d = config["models"][model], config["datasets"][dataset]
    info = DATASETS[dataset]
    factor = m.get("epochs_factor", 1)
    epochs = _epochs(m.get("epochs"), dataset, math.ceil(d["epochs"] * factor))
    milestones = m.get("lr_milestones", [math.ceil(e * factor) for e in d.get("lr_milestones", [])])
    train = TrainSettings(epochs=epochs, batch_size=m.get("batch_size", 256), lr=m.get("lr", 1e-3),
                          lr_milestones=[e for e in milestones if e < epochs], seed=seed)
    second = None
    if MODELS[m["method"]].second_stage == "train":
        stage = m.get("second_stage", {})
        second = TrainSettings(epochs=_epochs(stage.get("epochs"), dataset, epochs),
                               batch_size=stage.get("batch_size", train.batch_size),
                               lr=stage.get("lr", train.lr), seed=seed)
    max_images = d.get("max_train_images")
    spec = ModelSpec(channels=info.channels, image_size=info.image_size, latent_dim=d["latent_dim"],
                     flow_width=d["flow_width"], params=dict(m.get("params", {})))
    return RunConfig(model=model, method=m["method"], dataset=dataset, seed=seed, spec=spec, train=train,
                     second_stage=second, max_train_images=max_images, crop=d.get("crop", 140))
