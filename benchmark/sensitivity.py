"""What a preset's ``sensitivity`` block measures and where each number lies.

Every (model, switch, value, dataset) the block asks for is a :class:`Point`: the run whose
metrics hold its FID (the model's own run, or for a training switch's other values its variant run,
see :mod:`benchmark.variants`), the metrics file's FID resize variant and the sampling protocol of
the FID field to read.  The workflow trains :func:`variant_runs`, evaluates the runs' samples under
:func:`other_fid_variants` and makes :func:`sensitivity_metrics` its targets; a table reads each
point's ``fid_key`` from :func:`metrics_file` for every seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark import paths
from benchmark.config import model_seeds, sampling_protocol, sensitivity_datasets, sensitivity_models
from benchmark.variants import EVALUATION_SWITCHES, other_values, preset_value, variant_run


@dataclass(frozen=True)
class Point:
    """One value of one switch for one model on one dataset: ``run`` names the run holding it
    (``model`` itself, or its variant ``<model>@<switch>=<value>``); ``preset`` marks the preset's
    own value (the reference of the changes); the FID is ``fid_<sampling>`` of the run's metrics
    under ``fid_variant``."""

    model: str
    switch: str
    value: Any
    dataset: str
    run: str
    preset: bool
    sampling: str
    fid_variant: str

    @property
    def fid_key(self) -> str:
        """The metrics field holding the point's FID: ``fid_authors`` or ``fid_eval``."""
        return f"fid_{self.sampling}"


def evaluation_config(config: dict, switch: str, value: Any) -> dict:
    """A copy of ``config`` whose ``evaluation.<switch>`` is ``value`` (the other keys shared)."""
    return {**config, "evaluation": {**config["evaluation"], switch: value}}


def points(config: dict) -> list[Point]:
    """Every point of the preset's ``sensitivity`` block, entry by entry; within an entry per model
    (its ``model``, else Table 1's) and dataset (its ``datasets``, else Table 1's) the preset's own
    value first, then the entry's other values in their order."""
    found = []
    for entry in config["sensitivity"]:
        switch = entry["switch"]
        for model in sensitivity_models(config, entry):
            own = preset_value(config, entry, model)
            for dataset in sensitivity_datasets(config, entry):
                for index, value in enumerate([own, *other_values(config, entry, model)]):
                    found.append(_point(config, model, switch, value, dataset, preset=index == 0))
    return found


def _point(config: dict, model: str, switch: str, value: Any, dataset: str, preset: bool) -> Point:
    settings = {"sampling": sampling_protocol(config, model), "fid_variant": config["evaluation"]["fid_variant"]}
    run = model
    if switch in EVALUATION_SWITCHES:
        settings[switch] = value
    elif not preset:
        run = variant_run(config, model, switch, value)
    return Point(model, switch, value, dataset, run, preset, **settings)


def metrics_file(config: dict, point: Point, seed: int | str) -> Path:
    """The metrics file (JSON) that holds ``point.fid_key`` for seed ``seed``."""
    return paths.metrics(evaluation_config(config, "fid_variant", point.fid_variant), point.dataset, point.run, seed)


def variant_runs(config: dict) -> list[tuple[str, str]]:
    """Every (variant name, dataset) the block trains (each seed of the preset), each once."""
    return list(dict.fromkeys((p.run, p.dataset) for p in points(config) if p.run != p.model))


def other_fid_variants(config: dict) -> list[str]:
    """The FID resize variants other than the preset's that the block evaluates samples under."""
    own = config["evaluation"]["fid_variant"]
    return list(dict.fromkeys(p.fid_variant for p in points(config) if p.fid_variant != own))


def sensitivity_metrics(config: dict) -> list[str]:
    """Every metrics file the block's points read (all seeds), each once: the workflow's targets."""
    files = (str(metrics_file(config, p, seed)) for p in points(config) for seed in model_seeds(config, p.run))
    return list(dict.fromkeys(files))
