"""What a metrics file must hold, checked against the preset before any table or claim reads it:
its numbers in their ranges, and its dataset, features, feature weights and sampler the preset's."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from benchmark import paths
from benchmark.config import sampling_protocol
from benchmark.weights import sha256_file
from models.sampling import SAMPLING_PROTOCOLS

NON_NEGATIVE = ("fid", *(f"fid_{protocol}" for protocol in SAMPLING_PROTOCOLS))  # squared distances
UNIT_INTERVAL = ("prd_f8", "prd_f1_8")  # F-scores of precision and recall


@functools.lru_cache(maxsize=32)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    """A file's SHA-256, hashed once per version of it (large Inception weights, many metrics files)."""
    return sha256_file(path)


def _weights_sha256(path: Path) -> str | None:
    """The SHA-256 of the file at ``path``; ``None`` when there is none."""
    if not path.exists():
        return None
    stat = os.stat(path)
    return _sha256(str(path), stat.st_mtime_ns, stat.st_size)


def metrics_problem(metrics: dict, config: dict, model: str | None, dataset: str | None) -> str | None:
    """What makes a (completed) metrics file unfit for the preset's ``model`` (``None``: a
    reference row) on ``dataset`` (``None``: not checked), as one phrase; ``None`` when it fits.

    In a completed file FIDs (:data:`NON_NEGATIVE`) are >= 0, and so is a
    model's KID (a reference row's two samples of one distribution may give clean-fid's unbiased
    KID a little below 0); PRD F-scores lie in [0, 1]; the dataset, features and sampler it names
    are the preset's, and the feature weights' SHA-256 in its provenance is that of the preset's
    feature weights file, where that file exists.  Values are numbers already
    (:func:`benchmark.results.read_metrics`); a value that one seed lacks and another holds is
    refused where seeds are summarised (:meth:`benchmark.results.Results.summary`)."""
    if metrics.get("status", "completed") != "completed":
        return None
    for key in (*NON_NEGATIVE, *(("kid",) if model is not None else ())):
        if key in metrics and metrics[key] < 0:
            return f"'{key}' is {metrics[key]}, below 0"
    for key in UNIT_INTERVAL:
        if key in metrics and not 0 <= metrics[key] <= 1:
            return f"'{key}' is {metrics[key]}, outside [0, 1]"
    expected = {"dataset": dataset, "features": config["evaluation"]["features"],
                "sampling": sampling_protocol(config, model) if model is not None else None}
    for key, value in expected.items():
        if value is not None and key in metrics and metrics[key] != value:
            return f"'{key}' is {metrics[key]!r}, the preset's is {value!r}"
    if dataset is not None:
        recorded = ((metrics.get("provenance") or {}).get("feature_weights_sha256") or {}).get(dataset)
        actual = _weights_sha256(paths.feature_weights(config, dataset))
        if recorded not in (None, "missing") and actual is not None and recorded != actual:
            return (f"it was made with feature weights of sha256 {recorded}, the preset's "
                    f"{paths.feature_weights(config, dataset)} has sha256 {actual}")
    return None
