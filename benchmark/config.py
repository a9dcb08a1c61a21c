"""Loading and validating a workflow preset, and resolving one run's settings from it.

Every entry point (the Snakefile and each CLI) calls :func:`load_config` first, so a bad preset
fails before any job runs, with a message that names the offending key.
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from benchmark.data import DATASETS, TEST_SPLIT_SIZES
from benchmark.errors import ConfigError
from benchmark.metrics.prd import NUM_CLUSTERS
from benchmark.metrics.registry import FEATURES
from benchmark.trainer import TrainSettings
from benchmark.variants import EVALUATION_SWITCHES, other_values, preset_value, value_text, variant_models
from models import MODELS
from models.base import ModelSpec
from models.params import ParamError, check_params

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schema" / "config.schema.yaml"
CONFIGS_DIR = SCHEMA_PATH.parent.parent / "config"  # the presets


def _key_path(parts) -> str:
    return ".".join(str(p) for p in parts) or "<top level>"


def _filling_defaults(properties_check):
    """The schema's ``properties`` check, extended to first insert each missing property's
    ``default`` (at every depth: a default object is itself filled as validation descends)."""

    def check(validator, properties, instance, schema):
        if validator.is_type(instance, "object"):
            for key, sub in properties.items():
                if "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from properties_check(validator, properties, instance, schema)

    return check


# YAML's 1.0 is a float: an "integer" setting must be written as an integer (jsonschema accepts 1.0).
# YAML's .nan and .inf are floats too: a "number" setting must be finite (nan passes every bound).
_STRICT_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many({
    "integer": lambda checker, value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda checker, value: (isinstance(value, (int, float)) and not isinstance(value, bool)
                                      and math.isfinite(value)),
})
Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    {"properties": _filling_defaults(jsonschema.Draft202012Validator.VALIDATORS["properties"])},
    type_checker=_STRICT_TYPES)


def _allows_boolean(schema: dict) -> bool:
    types = schema.get("type", [])
    return "boolean" in (types if isinstance(types, list) else [types])


def _booleans_from_text(value: Any, schema: dict) -> Any:
    """``value`` with the strings "true"/"false" (any case) turned into booleans wherever ``schema``
    allows a boolean, at every depth of its ``properties``."""
    if isinstance(value, str) and value.lower() in ("true", "false") and _allows_boolean(schema):
        return value.lower() == "true"
    if isinstance(value, dict) and "properties" in schema:
        return {key: _booleans_from_text(item, schema["properties"].get(key, {})) for key, item in value.items()}
    return value


def command_line_booleans(config: dict) -> dict:
    """``config`` with the text "true"/"false" of boolean settings as booleans: Snakemake's
    ``--config download=true`` passes the string ``'true'``, which the schema would refuse."""
    return _booleans_from_text(config, yaml.safe_load(SCHEMA_PATH.read_text()))


def _unknown_keys(err: jsonschema.ValidationError) -> str:
    """The keys an ``additionalProperties`` error refuses, each with its path and the nearest valid
    key (difflib), e.g. ``unknown key 'evaluation.num_sample' (did you mean 'num_samples'?)``."""
    valid = list(err.schema.get("properties", {}))
    parts = []
    for key in (k for k in err.instance if k not in valid):
        near = difflib.get_close_matches(str(key), valid, n=1)
        where = _key_path([*err.absolute_path, key])
        parts.append(f"unknown key '{where}'" + (f" (did you mean '{near[0]}'?)" if near else
                                                 f" (valid keys here: {', '.join(sorted(valid))})"))
    return "; ".join(parts)


def _numbers_from_text(value: Any, schema: dict, definitions: dict) -> Any:
    """``value`` with number text (``'2'``, ``'1e-3'``) turned into an int or float wherever
    ``schema`` wants an integer or a number, at every depth of its ``properties`` (``$ref`` to
    ``#/definitions/<name>`` followed)."""
    if "$ref" in schema:
        schema = {**definitions.get(schema["$ref"].rsplit("/", 1)[-1], {}), **schema}
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    if isinstance(value, str) and ("integer" in types or "number" in types) and "string" not in types:
        try:
            return int(value)
        except ValueError:
            try:
                return float(value) if "number" in types else value
            except ValueError:
                return value
    if isinstance(value, dict) and "properties" in schema:
        return {key: _numbers_from_text(item, schema["properties"].get(key, {}), definitions)
                for key, item in value.items()}
    return value


def command_line_numbers(config: dict) -> dict:
    """``config`` with the text of integer and number settings as numbers: Snakemake's
    ``--config prd_runs=2`` passes the string ``'2'``, which the schema would refuse."""
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    return _numbers_from_text(config, schema, schema.get("definitions", {}))


def validate_config(config: Any, source: str = "config") -> dict:
    """Validate a preset against the JSON schema and the registries; return a copy with every
    schema default filled in (nested too), so that code reads ``config[...]`` and never restates one.

    Raises :class:`ConfigError` naming the key path of the first problem and how to fix it.
    """
    config = copy.deepcopy(config)
    validator = Validator(yaml.safe_load(SCHEMA_PATH.read_text()))
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        if err.validator == "additionalProperties":
            raise ConfigError(f"{source}: {_unknown_keys(err)}")
        if err.validator == "type" and isinstance(err.instance, float) and not math.isfinite(err.instance):
            err.message = f"{err.instance} is not a finite number"
        hint = f" ({err.schema['description']})" if isinstance(err.schema, dict) and "description" in err.schema else ""
        raise ConfigError(f"{source}: invalid value at '{_key_path(err.absolute_path)}': {err.message}{hint}")
    for name in config["datasets"]:
        if name not in DATASETS:
            raise ConfigError(f"{source}: unknown dataset 'datasets.{name}'; known datasets: {sorted(DATASETS)}")
    for name, model in config["models"].items():
        if model["method"] not in MODELS:
            raise ConfigError(f"{source}: unknown method '{model['method']}' at 'models.{name}.method'; "
                              f"registered methods: {sorted(MODELS)}")
        _check_model_params(config, name, model, source)
    _check_names(config, source)
    _check_features(config["evaluation"], source)
    _check_num_samples(config, source)
    for index, entry in enumerate(config["sensitivity"]):
        _check_sensitivity_entry(config, entry, f"sensitivity.{index}", source)
    _check_sensitivity_overlaps(config, source)
    return config


def _check_features(evaluation: dict, source: str) -> None:
    if evaluation["features"] not in FEATURES:
        raise ConfigError(f"{source}: unknown feature extractor '{evaluation['features']}' at 'evaluation.features'; "
                          f"registered: {sorted(FEATURES)} (benchmark/metrics/registry.py)")
    resizes = FEATURES[evaluation["features"]].resizes
    if evaluation["fid_variant"] not in resizes:
        raise ConfigError(f"{source}: 'evaluation.fid_variant: {evaluation['fid_variant']}' does not apply to "
                          f"{evaluation['features']} features; use one of {list(resizes)} or features: inception")


def min_num_samples() -> int:
    """The fewest samples every metric can be computed from: PRD clusters the union of the model's
    and as many real features into ``NUM_CLUSTERS`` clusters, which needs at least that many
    points (FID's covariance and KID's unbiased MMD need 2)."""
    return max(math.ceil(NUM_CLUSTERS / 2), 2)


def _check_num_samples(config: dict, source: str) -> None:
    wanted = config["evaluation"]["num_samples"]
    if wanted < min_num_samples():
        raise ConfigError(f"{source}: 'evaluation.num_samples' is {wanted}, too few for PRD, which clusters the "
                          f"model's and as many real features into {NUM_CLUSTERS} clusters; set it to at least "
                          f"{min_num_samples()}")
    for name in evaluated_datasets(config):
        if wanted > TEST_SPLIT_SIZES[name]:
            raise ConfigError(f"{source}: 'evaluation.num_samples' is {wanted}, but the {name} test split has "
                              f"only {TEST_SPLIT_SIZES[name]} images; set it to at most {TEST_SPLIT_SIZES[name]}")


def _check_model_params(config: dict, name: str, model: dict, source: str) -> None:
    """The model's params (and its per-dataset params) against its method's declaration; the
    datasets named by its per_dataset and lr_schedule entries against the preset's."""
    declared = MODELS[model["method"]].declared_params
    checks = [(model["params"], f"models.{name}.params")]
    checks += [(over["params"], f"models.{name}.per_dataset.{ds}.params") for ds, over in model["per_dataset"].items()]
    try:
        for values, where in checks:
            check_params(declared, values, where)
    except ParamError as err:
        raise ConfigError(f"{source}: {err}") from None
    if "z_penalty_grid" in model and "z_penalty" not in declared:
        raise ConfigError(f"{source}: 'models.{name}.z_penalty_grid' needs a method with the param z_penalty "
                          f"(e.g. rae_gmm); method {model['method']!r} has none: remove the key")
    if model["seeds"] is not None and config["seeds"][0] not in model["seeds"]:
        raise ConfigError(f"{source}: 'models.{name}.seeds' {model['seeds']} lacks the preset's first seed "
                          f"{config['seeds'][0]}, whose run draws the sample grids and interpolations: add it")
    keyed = [("per_dataset", model["per_dataset"]), ("lr_schedule", model.get("lr_schedule", {})),
             ("second_stage.lr_schedule", model.get("second_stage", {}).get("lr_schedule", {}))]
    for key, mapping in keyed:
        for dataset in mapping:
            if dataset not in config["datasets"]:
                raise ConfigError(f"{source}: 'models.{name}.{key}' names dataset {dataset!r}, which is not "
                                  f"defined; defined: {sorted(config['datasets'])}")


def _check_names(config: dict, source: str) -> None:
    references = [("table1.models", config["table1"]["models"], config["models"]),
                  ("table1.datasets", config["table1"].get("datasets", []), config["datasets"])]
    for fig_name, fig in config["figures"].items():
        if fig_name == "grids":
            references.append(("figures.grids", fig, config["models"]))
            continue
        if fig_name in SAMPLE_FIGURES:
            references.append((f"figures.{fig_name}.model", [fig["model"]], config["models"]))
            references.append((f"figures.{fig_name}.dataset", [fig["dataset"]], config["datasets"]))
            continue
        references.append((f"figures.{fig_name}.models", fig["models"], config["models"]))
        references.append((f"figures.{fig_name}.dataset", [fig["dataset"]], config["datasets"]))
    for key, names, defined in references:
        for name in names:
            if name not in defined:
                raise ConfigError(f"{source}: '{key}' names {name!r}, which is not defined; "
                                  f"defined: {sorted(defined)}")
    for fig_name in (n for n in CURVE_FIGURES if n in config["figures"]):
        for name in config["figures"][fig_name]["models"]:
            reason = untrackable_reason(config["models"][name]["method"])
            if reason:
                raise ConfigError(f"{source}: 'figures.{fig_name}.models' names {name!r}, which has no FID curve: "
                                  f"{reason}; remove it")


def _check_sensitivity_entry(config: dict, entry: dict, where: str, source: str) -> None:
    """One entry of the ``sensitivity`` block: defined model and datasets; a training switch needs a
    model whose method declares it as a param, values the param accepts and no per-dataset or
    searched value of it; distinct values, at least one not the preset's own."""
    model, switch = entry.get("model"), entry["switch"]
    if model is not None and model not in config["models"]:
        raise ConfigError(f"{source}: '{where}.model' names {model!r}, which is not defined; "
                          f"defined: {sorted(config['models'])}")
    for dataset in entry.get("datasets", []):
        if dataset not in config["datasets"]:
            raise ConfigError(f"{source}: '{where}.datasets' names {dataset!r}, which is not defined; "
                              f"defined: {sorted(config['datasets'])}")
    if switch == "fid_variant":
        resizes = FEATURES[config["evaluation"]["features"]].resizes
        if any(value not in resizes for value in entry["values"]):
            raise ConfigError(f"{source}: '{where}' varies fid_variant over {entry['values']}, but "
                              f"{config['evaluation']['features']} features take only {list(resizes)}; "
                              f"remove the entry or use evaluation.features: inception")
    elif switch not in EVALUATION_SWITCHES:
        _check_training_switch(config, entry, where, source)
    texts = [value_text(value) for value in entry["values"]]
    repeated = next((text for text in texts if texts.count(text) > 1), None)
    if repeated is not None:
        raise ConfigError(f"{source}: '{where}.values' lists {repeated} twice")
    for subject in sensitivity_models(config, entry):
        if not other_values(config, entry, subject):
            raise ConfigError(f"{source}: '{where}.values' holds only the preset's own value "
                              f"{value_text(preset_value(config, entry, subject))} of model {subject!r}; add a value "
                              f"to compare it with")


def _check_training_switch(config: dict, entry: dict, where: str, source: str) -> None:
    model, switch = entry.get("model"), entry["switch"]
    if model is None:
        raise ConfigError(f"{source}: '{where}' needs a model: {switch!r} is no evaluation-only switch "
                          f"{list(EVALUATION_SWITCHES)}, so it must be a param of the model's method")
    settings = config["models"][model]
    declared = MODELS[settings["method"]].declared_params
    if switch not in declared:
        raise ConfigError(f"{source}: '{where}.switch' {switch!r} is neither a param of model {model!r} "
                          f"(method {settings['method']!r}: {sorted(declared)}) nor an evaluation-only switch "
                          f"{list(EVALUATION_SWITCHES)}")
    try:
        for value in entry["values"]:
            check_params(declared, {switch: value}, f"{where}.values")
    except ParamError as err:
        raise ConfigError(f"{source}: {err}") from None
    if switch == "z_penalty" and "z_penalty_grid" in settings:
        raise ConfigError(f"{source}: '{where}' varies z_penalty, which model {model!r} chooses from its "
                          f"z_penalty_grid; vary the grid instead (another model)")
    for dataset in sensitivity_datasets(config, entry):
        if switch in settings["per_dataset"].get(dataset, {"params": {}})["params"]:
            raise ConfigError(f"{source}: '{where}' varies {switch}, which 'models.{model}.per_dataset.{dataset}"
                              f".params' sets, so {model} has no one value of it; give the entry datasets "
                              f"without that override")


def _check_sensitivity_overlaps(config: dict, source: str) -> None:
    """No (model, switch) in two entries of the ``sensitivity`` block."""
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(config["sensitivity"]):
        for model in sensitivity_models(config, entry):
            key = (model, entry["switch"])
            if key in seen:
                raise ConfigError(f"{source}: 'sensitivity.{index}' varies {entry['switch']} of {model} again "
                                  f"('sensitivity.{seen[key]}' does); merge the two entries")
            seen[key] = index


def sensitivity_models(config: dict, entry: dict) -> list[str]:
    """The models a ``sensitivity`` entry varies: its ``model``, else (evaluation-only switches)
    every model of Table 1."""
    return [entry["model"]] if "model" in entry else list(config["table1"]["models"])


def sensitivity_datasets(config: dict, entry: dict) -> list[str]:
    """The datasets a ``sensitivity`` entry varies its switch on: its ``datasets``, else Table 1's."""
    return entry.get("datasets") or table1_datasets(config)


def model_settings(config: dict, model: str) -> dict:
    """The settings (a ``models`` entry) of ``model``: the preset's model of that name or a variant
    run of its ``sensitivity`` block (:func:`benchmark.variants.variant_models`); raises
    :class:`ConfigError` naming both kinds when it is neither."""
    if model in config["models"]:
        return config["models"][model]
    variants = variant_models(config)
    if model not in variants:
        raise ConfigError(f"unknown model {model!r}; models in this preset: {sorted(config['models'])}, "
                          f"variant runs of its sensitivity block: {sorted(variants)}")
    return variants[model]


def model_param(config: dict, model: str, name: str) -> Any:
    """The value of param ``name`` of the preset's model ``model`` (or variant run): its ``params``
    entry, else its method's declared default; ``None`` when the method declares no such param."""
    settings = model_settings(config, model)
    declared = MODELS[settings["method"]].declared_params
    return settings["params"].get(name, declared[name].default) if name in declared else None


def model_seeds(config: dict, model: str) -> list[int]:
    """The seeds the preset's model (or variant run) runs: its own ``seeds``, else the preset's."""
    return model_settings(config, model).get("seeds") or config["seeds"]


def sampling_protocol(config: dict, model: str) -> str:
    """The sampling protocol ("authors" or "eval") of the preset's model: one for every model and
    variant run, ``evaluation.sampling``, so that Table 1 and the claims compare like with like
    (each method's own released sampler, ``sampling`` of its class, is only reported beside it)."""
    return config["evaluation"]["sampling"]


EVALUATION_SETTINGS = ("features", "fid_variant", "num_samples", "prd_runs")  # what every evaluation reads


def evaluation_settings(config: dict, model: str | None = None) -> dict:
    """The settings a metrics file is made under: :data:`EVALUATION_SETTINGS` of the preset's
    ``evaluation`` and the sampling protocol of ``model`` (``None`` for a reference row)."""
    settings = {key: config["evaluation"][key] for key in EVALUATION_SETTINGS}
    return {**settings, "sampling": sampling_protocol(config, model) if model is not None else None}


def evaluation_sha256(config: dict, model: str | None = None) -> str:
    """SHA-256 of :func:`evaluation_settings` (keys sorted): recorded in every metrics file and
    checked by the results store, so that no table shows numbers made under other settings."""
    return hashlib.sha256(json.dumps(evaluation_settings(config, model), sort_keys=True).encode()).hexdigest()


def uses_perceptual(config: dict, model: str) -> bool:
    """Whether the preset's model trains with the VGG perceptual loss (GLF+perceptual; GLANN
    unless its param ``perceptual`` is false)."""
    return model_settings(config, model)["method"] == "glf_perceptual" or bool(model_param(config, model, "perceptual"))


def table1_datasets(config: dict) -> list[str]:
    """The datasets of Table 1: ``table1.datasets``, else every dataset of the preset."""
    return config["table1"].get("datasets") or list(config["datasets"])


SAMPLE_FIGURES = ("figure2e", "figure6")  # sample grids of one model each (the paper's CelebA-HQ figures)
CURVE_FIGURES = ("figure3", "figure4", "fid_curve")  # drawn from the tracked FID of their models' training logs


def untrackable_reason(method: str) -> str | None:
    """Why a model of ``method`` can have no FID over its training epochs (``None`` when it can): a
    method whose samples need a second network, trained only after stage 1, has no sampler until then."""
    if MODELS[method].second_stage == "train":
        return (f"method {method!r} samples through a second stage trained after stage 1 (as Two-Stage VAE's "
                f"second VAE), so it has no sampler during stage-1 training")
    return None


def evaluated_datasets(config: dict) -> list[str]:
    """The datasets the preset computes FIDs on: Table 1's, those of Figures 3 and 4 and of the
    ``sensitivity`` entries; a dataset only drawn in a sample figure (CelebA-HQ) is not among them."""
    datasets = list(table1_datasets(config))
    datasets += [config["figures"][name]["dataset"] for name in CURVE_FIGURES if name in config["figures"]]
    datasets += [d for entry in config["sensitivity"] for d in entry.get("datasets", [])]
    return list(dict.fromkeys(datasets))


def merge_presets(base: dict, override: dict) -> dict:
    """``override`` laid over ``base`` (neither is changed): mappings merged key by key at every
    depth, a key set to null removed (its schema default then applies), any other value (a number,
    a string, a list) replaced whole."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_presets(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def with_base(preset: Any, path: str | Path) -> Any:
    """The preset read from the file ``path`` laid over the preset its ``base`` key names (a path
    relative to the file's folder; that preset's own base first, and so on): a dict without a
    ``base`` key; ``preset`` itself when it has none.  Raises :class:`ConfigError` naming the file
    for a base that is no file name, a file that does not exist or a cycle of bases."""
    return _with_base(preset, Path(path), (Path(path).resolve(),))


def _with_base(preset: Any, path: Path, chain: tuple[Path, ...]) -> Any:
    if not isinstance(preset, dict) or "base" not in preset:
        return preset
    base = preset["base"]
    error = next(Validator(yaml.safe_load(SCHEMA_PATH.read_text())["properties"]["base"]).iter_errors(base), None)
    if error is not None:
        raise ConfigError(f"{path}: invalid value at 'base': {error.message} (write the base preset's file name, "
                          f"relative to {path.parent}/, e.g. base: paper.yaml)")
    base_path = path.parent / base
    if not base_path.is_file():
        raise ConfigError(f"{path}: 'base' names {base_path}, which does not exist; write the base preset's file "
                          f"name relative to {path.parent}/, e.g. base: paper.yaml")
    if base_path.resolve() in chain:
        cycle = " -> ".join(str(p) for p in (*chain, base_path.resolve()))
        raise ConfigError(f"{path}: 'base: {base}' makes a cycle of bases ({cycle}); remove the base key "
                          f"from one of these presets")
    merged_base = _with_base(_read_yaml(base_path), base_path, (*chain, base_path.resolve()))
    if not isinstance(merged_base, dict):
        raise ConfigError(f"{base_path}: a base preset must be a mapping of settings (named by 'base' in {path})")
    return merge_presets(merged_base, {key: value for key, value in preset.items() if key != "base"})


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None


def read_preset(path: str | Path) -> Any:
    """The preset file at ``path`` as written, laid over its ``base`` (:func:`with_base`), not yet
    validated; raises :class:`ConfigError` for a missing file or bad YAML."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist; presets live in workflow/config/")
    return with_base(_read_yaml(path), path)


def load_config(path: str | Path) -> dict:
    """Read a YAML preset, lay it over its ``base`` and validate it (see :func:`read_preset` and
    :func:`validate_config`)."""
    return validate_config(read_preset(path), source=str(path))


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
    holdout_images: int = 0  # last training images left out (penalty-grid candidates only)


def _epochs(value: Any, dataset: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, dict):
        if dataset not in value:
            raise ConfigError(f"epochs mapping {value} has no entry for dataset {dataset!r}")
        return value[dataset]
    return value


def _schedule(milestones: list[int], schedule: dict, dataset: str, epochs: int) -> dict[str, list]:
    """``lr_milestones`` and ``lr_factors`` of a stage: the ``schedule`` entry of ``dataset`` if any,
    else ``milestones`` (each halving, no factors); milestones at or after ``epochs`` are dropped."""
    factors: list[float] = []
    if dataset in schedule:
        milestones, factors = [e for e, _ in schedule[dataset]], [f for _, f in schedule[dataset]]
    kept = [i for i, e in enumerate(milestones) if e < epochs]
    return {"lr_milestones": [milestones[i] for i in kept], "lr_factors": [factors[i] for i in kept] if factors else []}


def resolve_run(config: dict, model: str, dataset: str, seed: int) -> RunConfig:
    """Combine the dataset's and the model's settings (with its ``per_dataset`` entry for
    ``dataset`` applied) into one :class:`RunConfig`; ``model`` is a model of the preset or a
    variant run of its ``sensitivity`` block."""
    m = model_settings(config, model)
    if dataset not in config["datasets"]:
        raise ConfigError(f"unknown dataset {dataset!r}; datasets in this preset: {sorted(config['datasets'])}")
    d = config["datasets"][dataset]
    override = m["per_dataset"].get(dataset, {"params": {}})
    info = DATASETS[dataset]
    factor = m["epochs_factor"]
    epochs = _epochs(m.get("epochs"), dataset, math.ceil(d["epochs"] * factor))
    milestones = m.get("lr_milestones", [math.ceil(e * factor) for e in d["lr_milestones"]])
    train = TrainSettings(epochs=epochs, batch_size=override.get("batch_size", m["batch_size"]),
                          lr=override.get("lr", m["lr"]), seed=seed,
                          **_schedule(milestones, m.get("lr_schedule", {}), dataset, epochs))
    second = None
    if MODELS[m["method"]].second_stage == "train":
        stage = m.get("second_stage", {})
        stage_epochs = _epochs(stage.get("epochs"), dataset, epochs)
        second = TrainSettings(epochs=stage_epochs, batch_size=stage.get("batch_size", train.batch_size),
                               lr=stage.get("lr", train.lr), seed=seed,
                               **_schedule([], stage.get("lr_schedule", {}), dataset, stage_epochs))
    try:
        check_params(MODELS[m["method"]].declared_params, d["params"], f"datasets.{dataset}.params")
    except ParamError as err:
        raise ConfigError(f"model {model!r} (method {m['method']!r}) cannot run on dataset {dataset!r}: "
                          f"{err}") from None
    spec = ModelSpec(channels=info.channels, image_size=info.image_size, latent_dim=d["latent_dim"],
                     flow_width=d["flow_width"], params={**d["params"], **m["params"], **override["params"]})
    return RunConfig(model=model, method=m["method"], dataset=dataset, seed=seed, spec=spec, train=train,
                     second_stage=second, max_train_images=d["max_train_images"], crop=d["crop"])


def write_resolved_preset(config: dict, path: str | Path) -> None:
    """Write the validated preset (defaults filled) as YAML to ``path``, which every job reads;
    the file is rewritten only when its text changes, so its date moves only with the preset."""
    path = Path(path)
    text = yaml.safe_dump(dict(config), sort_keys=True)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
