"""The metrics of one run's samples file: FID (both sampling protocols), KID and PRD against the
test split, under the run's sampling protocol, with their provenance (``python -m
benchmark.commands.evaluate samples`` writes them)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from benchmark import paths
from benchmark.atomic import atomic_write_text
from benchmark.config import evaluation_sha256, sampling_protocol
from benchmark.data import dataset_info
from benchmark.errors import FileMismatchError
from benchmark.evaluation import extractor_for, real_images, reference_statistics
from benchmark.metrics.evaluate import default_curve_path, evaluate_samples, first_n
from benchmark.metrics.fid import fid_from_features
from benchmark.metrics.prd import save_prd_curve
from benchmark.metrics.registry import FEATURES
from benchmark.provenance import provenance
from benchmark.torch_files import UnreadableFileError, load_torch_file
from models.sampling import SAMPLING_PROTOCOLS

SAMPLE_STATUSES = ("completed", "diverged")


def read_samples(dataset: str, samples_path: Path) -> dict:
    """The samples file's payload, checked: a known status, made for ``dataset``, and (when
    completed) uint8 images ``(N, C, S, S)`` of the dataset's shape.  Loads without running code;
    raises :class:`UnreadableFileError` or :class:`FileMismatchError` naming the file and the problem."""
    fix = paths.redo_hint(samples_path)
    payload = load_torch_file(samples_path, "samples file", fix)
    if not isinstance(payload, dict) or payload.get("status") not in SAMPLE_STATUSES:
        status = payload.get("status") if isinstance(payload, dict) else type(payload).__name__
        raise UnreadableFileError(f"samples file {samples_path}: status {status!r} is not one of {SAMPLE_STATUSES}. {fix}")
    made_for = (payload.get("meta") or {}).get("dataset", dataset)
    if made_for != dataset:
        raise FileMismatchError(f"samples file {samples_path} holds samples of a model trained on {made_for!r}, "
                                f"not {dataset!r}; pass --dataset {made_for} or the samples of a {dataset} model")
    if payload["status"] == "completed":
        by_sampling = payload.get("images_by_sampling")
        sets = [("images", payload.get("images"))]
        sets += [(f"images_by_sampling[{p!r}]", i) for p, i in by_sampling.items()] if isinstance(by_sampling, dict) else []
        shape = dataset_info(dataset).shape
        for name, images in sets:
            if not (isinstance(images, torch.Tensor) and images.dtype == torch.uint8 and images.dim() == 4
                    and tuple(images.shape[1:]) == shape):
                found = (f"{images.dtype} {tuple(images.shape)}" if isinstance(images, torch.Tensor)
                         else type(images).__name__)
                raise UnreadableFileError(f"samples file {samples_path}: {name} must be uint8 "
                                          f"(N, {', '.join(map(str, shape))}), found {found}. {fix}")
        if not isinstance(by_sampling, dict) or set(by_sampling) != set(SAMPLING_PROTOCOLS):
            raise FileMismatchError(f"samples file {samples_path} lacks the images of the sampling protocols "
                                    f"{SAMPLING_PROTOCOLS}; rerun `python -m benchmark.commands.sample` "
                                    f"(the workflow's sample rule). {fix}")
    return payload


def evaluate_file(config: dict, dataset: str, model: str, samples_path: Path, out: Path) -> dict:
    """FID and PRD of a samples file of the preset's ``model`` (see :mod:`benchmark.commands.sample`)
    against the test split, under the preset's sampling protocol (``evaluation.sampling``), plus
    the FID of every protocol; write and return the metrics.  A samples file drawn under another protocol (its grid and
    interpolation would not match) raises :class:`FileMismatchError` asking to redo it."""
    payload = read_samples(dataset, samples_path)
    evaluation = config["evaluation"]
    chosen = sampling_protocol(config, model)
    if payload["status"] == "completed" and payload.get("sampling") != chosen:
        raise FileMismatchError(f"samples file {samples_path} was drawn under sampling {payload.get('sampling')!r}, "
                                f"but {model}'s protocol in this preset is {chosen!r}. {paths.redo_hint(samples_path)}")
    metrics = {"status": payload["status"], "dataset": dataset, "features": evaluation["features"],
               "fid_variant": evaluation["fid_variant"], "fid_label": FEATURES[evaluation["features"]].label,
               "num_samples": evaluation["num_samples"], "sampling": chosen,
               "evaluation_sha256": evaluation_sha256(config, model),
               "compiled": (payload.get("meta") or {}).get("compiled")}
    if payload["status"] == "completed":
        extractor = extractor_for(config, dataset)
        batch_size = evaluation["batch_size"]
        samples = {p: first_n(images, evaluation["num_samples"], f"samples file {samples_path} ({p})")
                   for p, images in payload["images_by_sampling"].items()}
        real = real_images(config, dataset)  # loaded once: for the metrics and the other protocols' FIDs
        numbers, prd = evaluate_samples(samples[chosen], real, extractor, config["cache_dir"],
                                        batch_size, prd_runs=evaluation["prd_runs"])
        metrics.update(numbers)
        _, mu, sigma = reference_statistics(config, dataset, extractor, real)
        for protocol, images in samples.items():
            metrics[f"fid_{protocol}"] = (numbers["fid"] if protocol == chosen else
                                          fid_from_features(extractor.features(images, batch_size), mu, sigma))
        save_prd_curve(prd, default_curve_path(out))
    metrics["provenance"] = provenance(config, [dataset])
    atomic_write_text(out, json.dumps(metrics, indent=2) + "\n")
    return metrics
