"""The variant runs of a preset's ``sensitivity`` block: their names and their model settings.

A training switch is a param of the model's method: each of its entry's values other than the
preset's own gets a variant model ``<model>@<switch>=<value>`` (e.g. ``glf@flow_init_std=null``),
the model's settings with that one param set, which the workflow trains like any model.  The
evaluation-only switches (:data:`EVALUATION_SWITCHES`) get no variant.  The schema's names hold
no ``@``, so a variant name never equals a model name of the preset.
"""
from __future__ import annotations

import copy
from typing import Any

from models import MODELS

EVALUATION_SWITCHES = ("sampling", "fid_variant")  # keys of the preset's evaluation section


def value_text(value: Any) -> str:
    """``value`` as a run name writes it: ``null``, ``true``/``false``, an integer, a float's
    shortest decimal without a trailing ``.0`` (``0.05``, ``10``, ``1e-05``), a string as it is."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return str(value)


def variant_name(model: str, switch: str, value: Any) -> str:
    """The run name ``<model>@<switch>=<value>`` of the model's variant with ``switch`` at ``value``."""
    return f"{model}@{switch}={value_text(value)}"


def preset_value(config: dict, entry: dict, model: str) -> Any:
    """The preset's own value of the entry's switch for ``model``: the preset's sampling protocol
    or FID variant, else the model's param (its ``params`` entry, else its method's declared default)."""
    switch, settings = entry["switch"], config["models"][model]
    if switch in EVALUATION_SWITCHES:
        return config["evaluation"][switch]
    return settings["params"].get(switch, MODELS[settings["method"]].declared_params[switch].default)


def other_values(config: dict, entry: dict, model: str) -> list:
    """The entry's values other than the preset's own for ``model`` (compared as run names write
    them), in order."""
    own = value_text(preset_value(config, entry, model))
    return [value for value in entry["values"] if value_text(value) != own]


def _switched(config: dict, model: str, switch: str, value: Any) -> dict:
    base = config["models"][model]
    settings = copy.deepcopy(base)
    settings["params"][switch] = value
    settings["label"] = f"{base.get('label', model)} ({switch}={value_text(value)})"
    return settings


RUN_IDENTITY_EXCLUDES = ("label", "seeds")  # settings that do not change what one seed's run trains


def _same_model(config: dict, settings: dict) -> str | None:
    """The preset model whose settings equal ``settings`` in everything but the label and seeds
    (:data:`RUN_IDENTITY_EXCLUDES`), if any: its runs are the ones ``settings`` would train."""
    def identity(s: dict) -> dict:
        return {key: value for key, value in s.items() if key not in RUN_IDENTITY_EXCLUDES}
    return next((name for name, other in config["models"].items() if identity(other) == identity(settings)), None)


def variant_run(config: dict, model: str, switch: str, value: Any) -> str:
    """The run holding ``model`` with training switch ``switch`` at ``value``: a preset model with
    exactly those settings where there is one (e.g. Figure 3's beta-400 VAE+flow prior serves the
    beta sensitivity of the Table 1 row, trained once, on that model's seeds), else the variant
    ``<model>@<switch>=<value>``."""
    return _same_model(config, _switched(config, model, switch, value)) or variant_name(model, switch, value)


def variant_models(config: dict) -> dict[str, dict]:
    """Variant name -> its settings (a ``models`` entry): for each training-switch entry of the
    preset's ``sensitivity`` block and each value other than the preset's own, the model's settings
    with that param set and a label naming the switch and value; none where a preset model already
    has those settings (:func:`variant_run`)."""
    variants = {}
    for entry in config["sensitivity"]:
        if entry["switch"] in EVALUATION_SWITCHES:
            continue
        model, switch = entry["model"], entry["switch"]
        for value in other_values(config, entry, model):
            settings = _switched(config, model, switch, value)
            if _same_model(config, settings) is None:
                variants[variant_name(model, switch, value)] = settings
    return variants
