"""The speed harness: how fast the suite trains and evaluates, against a naive loop
(``python -m benchmark.commands.perf`` runs it).

For GLF and VAE on each paper image shape (28x28x1, 32x32x3, 64x64x3) it measures training
images per second through the suite's trainer (data resident on the device, no per-batch host
work) and through the loop typical research code uses (a torchvision DataLoader with per-image
``ToTensor`` transforms, per-batch copies and a ``loss.item()`` each step), on the same model and
images.  The naive loop also uses the default (per-tensor, unfused) ``torch.optim.Adam`` with the
model's own parameter groups, where the suite uses :func:`models.base.adam`.  Measurements of the
two are interleaved and repeated; the table holds medians.

FID features: the suite's batched :meth:`FeatureExtractor.features` on uint8 tensors against a
DataLoader of PIL images with per-image ``Resize(299)`` (Inception only) + ``ToTensor`` and a
forward per batch, for the dataset classifier (random weights, loaded through ``load_classifier``)
and pytorch-fid's Inception-v3 (random weights: timings only, never a FID).  PRD: the suite's
:func:`prd_from_features` (mini-batch k-means) against the same computation with full
``sklearn.cluster.KMeans`` as the naive variant (the reference PRD code clusters with full k-means).
Evaluate: seconds to evaluate one model end to end on ``--evaluate-samples`` (10k) images:
sampling, classifier features of samples and real images, FID, KID and PRD (10 clusterings); naive:
the same metrics, sampling 64 at a time, per-image PIL features and k-means with the default
BLAS/OpenMP threads.

Every timing repeats whole epochs (or evaluations) until it spans at least ``--min-steps``
steps and ``--min-seconds`` seconds.  On CUDA the suite trains with the compiled step
(:mod:`benchmark.compiled_step`, CUDA graphs; ``--compile``).  Training rows carry
``epoch_seconds``: the suite's seconds for one paper-size epoch of that image shape.
:func:`measure` returns the table with the device name and an estimate of the hours the whole
paper preset would take on that device (``paper_preset_hours_estimate``: GPU-hours on a GPU, CPU
hours on a CPU); :func:`read_measurements` reads the committed ``results/perf*.csv`` back.
"""
from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import torch
import torchvision
from PIL import Image
from sklearn.cluster import KMeans
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import functional as TF

from benchmark import paths
from benchmark.compiled_step import VARIANTS, compiled_train_step, ran_compiled, use_compiled_step
from benchmark.config import resolve_run
from benchmark.data import dataset_info, make_synthetic
from benchmark.device import image_batch_transform, tune_for_speed
from benchmark.metrics import prd
from benchmark.metrics.evaluate import evaluate_samples
from benchmark.metrics.kid import kid_from_features
from benchmark.metrics.classifier import (
    ClassifierRecipe,
    SmallClassifier,
    load_classifier,
    save_classifier,
)
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import InceptionExtractor, build_inception, fid_from_features
from benchmark.metrics.frechet import gaussian_statistics
from benchmark.sampling import generate
from benchmark.trainer import Trainer, TrainSettings
from models import MODELS, build_model
from models.base import ModelSpec

SHAPES = {"28x28x1": ("synthetic28", 20, 64), "32x32x3": ("synthetic32", 64, 256), "64x64x3": ("synthetic64", 64, 256)}
PAPER_SHAPES = {"mnist": "28x28x1", "fashion": "28x28x1", "cifar10": "32x32x3", "celeba": "64x64x3"}
PAPER_TRAIN_SIZES = {"mnist": 60_000, "fashion": 60_000, "cifar10": 50_000, "celeba": 162_770}
SHAPE_EPOCH_SIZES = {"28x28x1": 60_000, "32x32x3": 50_000, "64x64x3": 162_770}


def rate_over(epoch_seconds, steps_per_epoch: int, items_per_step: int, min_steps: int,
              min_seconds: float) -> float:
    """Items/s over repeated calls of ``epoch_seconds`` (each runs ``steps_per_epoch`` steps of
    ``items_per_step`` items and returns its seconds) until >= ``min_steps`` and >= ``min_seconds``."""
    steps, seconds = 0, 0.0
    while steps < min_steps or seconds < min_seconds:
        seconds += epoch_seconds()
        steps += steps_per_epoch
    return steps * items_per_step / seconds


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_pair(repeats: int, suite, naive) -> tuple[float, float]:
    """Medians of ``repeats`` interleaved calls of the two timing functions (each returns a float)."""
    rates = [(suite(), naive()) for _ in range(repeats)]
    return statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates)


class PILImages(Dataset):
    """Images held as PIL objects and converted one by one (optionally resized to ``resize``
    pixels first), as torchvision datasets do."""

    def __init__(self, images: torch.Tensor, resize: int | None = None):
        mode = "L" if images.shape[1] == 1 else "RGB"
        self.images = [Image.fromarray(img.permute(1, 2, 0).squeeze(-1).numpy(), mode=mode) for img in images]
        self.resize = resize

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        image = self.images[i]
        if self.resize is not None:
            image = TF.resize(image, [self.resize, self.resize])
        return TF.to_tensor(image)


def default_adams(optimizers: list[torch.optim.Optimizer]) -> list[torch.optim.Optimizer]:
    """The same optimisers (parameter groups and hyper-parameters) with every Adam rebuilt as the
    default per-tensor implementation, as typical research code constructs it."""
    return [torch.optim.Adam([{**group, "fused": None, "foreach": None} for group in opt.param_groups])
            if isinstance(opt, torch.optim.Adam) else opt for opt in optimizers]


def naive_epoch_seconds(model, images: torch.Tensor, batch_size: int, device: torch.device) -> float:
    """Seconds of one epoch through a DataLoader with per-image transforms and per-step ``.item()``."""
    loader = DataLoader(PILImages(images), batch_size=batch_size, shuffle=True, drop_last=True)
    optimizers = default_adams(model.configure_optimizers(1e-3))
    model.train()
    started = time.perf_counter()
    for batch in loader:
        logged = model.train_step(batch.to(device), optimizers)
        logged["loss"].item()
    _sync(device)
    return time.perf_counter() - started


def suite_epoch_seconds(model, images: torch.Tensor, batch_size: int, device: torch.device,
                        step=None) -> float:
    """Seconds of one epoch through the suite's trainer (what ``benchmark.commands.train`` runs), with the
    training ``step`` it would use (None: eager)."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(model, images, TrainSettings(1, batch_size, 1e-3), Path(tmp), device=device,
                          batch_transform=image_batch_transform(device), progress=False, step=step)
        trainer.run()
        return trainer.rows[0]["seconds"]


def _row(task: str, method: str, shape: str, suite: float, naive: float, unit: str, size: int,
         **extra) -> dict:
    """A table row; ``speedup`` is how many times faster the suite is (rates: suite / naive,
    seconds: naive / suite)."""
    speedup = naive / suite if unit == "seconds" else suite / naive
    row = {"task": task, "method": method, "shape": shape, "suite": suite, "naive": naive,
           "speedup": speedup, "unit": unit, "size": size, **extra}
    print(f"{task:>8} {method:>10} {shape}: suite {suite:9.2f}, naive {naive:9.2f} {unit}, x{speedup:.2f}",
          flush=True)
    return row


def _shape_specs(shapes: dict, images_per_shape: int):
    """Yield ``(shape, spec, images)`` for each entry of ``shapes``: the model spec of that shape and
    ``images_per_shape`` synthetic training images ``(N, C, H, W)`` of it."""
    for shape, (dataset, latent, width) in shapes.items():
        info = dataset_info(dataset)
        images = make_synthetic(info, "train", images_per_shape).images
        yield shape, ModelSpec(info.channels, info.image_size, latent, width), images


def _seeded_model(method: str, spec: ModelSpec, device: torch.device, channels_last: bool = True):
    """``method``'s model of ``spec`` built after ``torch.manual_seed(0)``, on ``device`` (in the
    channels-last layout on CUDA when ``channels_last``)."""
    torch.manual_seed(0)
    model = build_model(method, spec).to(device)
    return model.to(memory_format=torch.channels_last) if device.type == "cuda" and channels_last else model


def training_rows(methods: list[str], images_per_shape: int, batch_size: int, device: torch.device,
                  repeats: int = 3, shapes: dict = SHAPES, min_steps: int = 50, min_seconds: float = 2.0,
                  compile_step: str | bool = "auto") -> list[dict]:
    """One row per (method, shape): median suite and naive training images/s, their ratio and
    ``epoch_seconds`` (the suite's paper-size epoch of that shape).  The suite's model (and its
    compiled step, compiled once in the warm-up) is reused across its timings."""
    rows = []
    steps_per_epoch = images_per_shape // batch_size
    for shape, spec, images in _shape_specs(shapes, images_per_shape):
        for method in methods:
            model = _seeded_model(method, spec, device)
            step = compiled_train_step(model, device) if use_compiled_step(compile_step, device) else None
            suite_epoch_seconds(model, images[: 2 * batch_size], batch_size, device, step)
            fast, naive = _median_pair(
                repeats,
                lambda: rate_over(lambda: suite_epoch_seconds(model, images, batch_size, device, step),
                                  steps_per_epoch, batch_size, min_steps, min_seconds),
                lambda: rate_over(lambda: naive_epoch_seconds(build_model(method, spec).to(device), images,
                                                              batch_size, device),
                                  steps_per_epoch, batch_size, min_steps, min_seconds))
            rows.append(_row("train", method, shape, fast, naive, "images/s", images_per_shape,
                             epoch_seconds=SHAPE_EPOCH_SIZES[shape] / fast, compiled=ran_compiled(step)))
    return rows


STEP_VARIANTS = ("eager", *VARIANTS)  # what variant_rows times side by side


def variant_step(model, variant: str, device: torch.device, backend: str = "inductor"):
    """The training step of ``variant`` (``eager`` or a :data:`benchmark.compiled_step.VARIANTS`
    entry) for ``model`` on ``device``; ``None`` for eager (the trainer's own step)."""
    return None if variant == "eager" else compiled_train_step(model, device, backend, variant)


def variant_rows(methods: list[str], images_per_shape: int, batch_size: int, device: torch.device,
                 shapes: dict, variants: tuple[str, ...] = STEP_VARIANTS, min_steps: int = 50,
                 min_seconds: float = 2.0, layouts: tuple[str, ...] = ("channels_last",),
                 backend: str = "inductor") -> list[dict]:
    """One row per (method, shape, step variant, memory layout): the suite trainer's images/s with
    that step, the seconds of its first (compiling) epoch and whether it ran compiled (a variant
    that fell back to eager says ``False``).  ``layouts``: ``channels_last`` (the suite's CUDA
    layout) and/or ``contiguous``; on CPU the layout is always contiguous."""
    rows = []
    steps_per_epoch = images_per_shape // batch_size
    for shape, spec, images in _shape_specs(shapes, images_per_shape):
        for method in methods:
            for variant in variants:
                for layout in layouts:
                    model = _seeded_model(method, spec, device, channels_last=layout == "channels_last")
                    step = variant_step(model, variant, device, backend)
                    compile_seconds = suite_epoch_seconds(model, images[: 2 * batch_size], batch_size, device, step)
                    rate = rate_over(lambda: suite_epoch_seconds(model, images, batch_size, device, step),
                                     steps_per_epoch, batch_size, min_steps, min_seconds)
                    rows.append({"task": "train_variant", "method": method, "shape": shape, "variant": variant,
                                 "layout": layout, "suite": rate, "unit": "images/s", "size": images_per_shape,
                                 "epoch_seconds": SHAPE_EPOCH_SIZES[shape] / rate,
                                 "first_epoch_seconds": compile_seconds, "compiled": ran_compiled(step)})
                    print(f"variant {method:>6} {shape} {variant:>7} {layout:>13}: {rate:10.1f} images/s "
                          f"(compiled: {ran_compiled(step)}, first epoch {compile_seconds:.1f} s)", flush=True)
    return rows


def profile_summary(method: str, variant: str, device: torch.device, batch_size: int, steps: int = 20,
                    top: int = 25, backend: str = "inductor") -> str:
    """torch.profiler's table of the ``top`` ops by CUDA time (CPU time on CPU) over ``steps``
    training steps of ``method`` (28x28x1, batch ``batch_size``) with step ``variant``, after a
    warm-up epoch; with a header line naming what was profiled and the wall seconds per step."""
    info = dataset_info("synthetic28")
    dataset, latent, width = SHAPES["28x28x1"]
    images = make_synthetic(info, "train", batch_size * steps).images
    torch.manual_seed(0)
    model = build_model(method, ModelSpec(info.channels, info.image_size, latent, width)).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    step = variant_step(model, variant, device, backend)
    suite_epoch_seconds(model, images[: 2 * batch_size], batch_size, device, step)
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as profiler:
        seconds = suite_epoch_seconds(model, images, batch_size, device, step)
    sort = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
    header = (f"{method} step {variant} (compiled: {ran_compiled(step)}), batch {batch_size}, {steps} steps on "
              f"{device}: {1000 * seconds / steps:.3f} ms per step, {batch_size * steps / seconds:.0f} images/s "
              f"(under the profiler); top {top} ops by {sort}")
    return header + "\n" + profiler.key_averages().table(sort_by=sort, row_limit=top) + "\n"


def budget_settings(budget_seconds: float, timings: int) -> dict:
    """Per-timing settings that fit ``timings`` timings in ``budget_seconds`` of measurement:
    one repetition each (three when every timing still gets 10 s), ``min_seconds`` the budget's
    share and ``min_steps`` at most 20 (compiling, first epochs and the naive loops' single
    epochs come on top)."""
    repeats = 3 if budget_seconds / (3 * timings) >= 10 else 1
    return {"repeats": repeats, "min_seconds": budget_seconds / (repeats * timings), "min_steps": 20}


def random_classifier(images: torch.Tensor, folder: Path, device: torch.device) -> FeatureExtractor:
    """A randomly initialised dataset classifier for ``images`` ``(N, C, S, S)``, saved to ``folder``
    and loaded through :func:`load_classifier` (the suite's real path)."""
    torch.manual_seed(0)
    recipe = ClassifierRecipe("perf", images.shape[1], images.shape[-1], 10, "classes", "none", 0)
    path = folder / "classifier.pt"
    save_classifier(SmallClassifier(recipe.channels, recipe.num_classes), recipe, path)
    return load_classifier(path, device)


def random_inception(device: torch.device) -> FeatureExtractor:
    """pytorch-fid's Inception-v3 with random weights (timings only: its features mean nothing)."""
    torch.manual_seed(0)
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=False)
    return InceptionExtractor(build_inception(net.state_dict()), "random", device)


def suite_features_seconds(extractor: FeatureExtractor, images: torch.Tensor, batch_size: int) -> float:
    """Seconds of the suite's batched feature extraction of uint8 ``images``."""
    started = time.perf_counter()
    extractor.features(images, batch_size)
    _sync(extractor.device)
    return time.perf_counter() - started


@torch.no_grad()
def naive_features(extractor: FeatureExtractor, images: torch.Tensor, batch_size: int,
                   resize: int | None) -> torch.Tensor:
    """Features ``(N, dim)`` by per-image PIL resizing (to ``resize``) and ``ToTensor``, then a
    forward per batch."""
    return torch.cat([extractor.embed(batch.to(extractor.device)).cpu()
                      for batch in DataLoader(PILImages(images, resize), batch_size=batch_size)])


def naive_features_seconds(extractor: FeatureExtractor, images: torch.Tensor, batch_size: int,
                           resize: int | None) -> float:
    """Seconds of :func:`naive_features`."""
    started = time.perf_counter()
    naive_features(extractor, images, batch_size, resize)
    _sync(extractor.device)
    return time.perf_counter() - started


def feature_rows(classifier_images: int, inception_images: int, batch_size: int, device: torch.device,
                 repeats: int = 3, min_steps: int = 50, min_seconds: float = 2.0) -> list[dict]:
    """FID feature extraction images/s, suite vs naive, for the classifier on 32x32x3 images and
    for Inception (input resized to 299) on 32x32x3 images."""
    info = dataset_info("synthetic32")
    rows = []

    def rates(extractor, images, resize):
        batches = math.ceil(images.shape[0] / batch_size)
        return _median_pair(
            repeats,
            lambda: rate_over(lambda: suite_features_seconds(extractor, images, batch_size), batches,
                              images.shape[0] / batches, min_steps, min_seconds),
            lambda: rate_over(lambda: naive_features_seconds(extractor, images, batch_size, resize), batches,
                              images.shape[0] / batches, min_steps, min_seconds))

    with tempfile.TemporaryDirectory() as tmp:
        images = make_synthetic(info, "test", classifier_images).images
        extractor = random_classifier(images, Path(tmp), device)
        suite_features_seconds(extractor, images[:batch_size], batch_size)
        rows.append(_row("features", "classifier", "32x32x3", *rates(extractor, images, None), "images/s",
                         classifier_images))
    images = make_synthetic(info, "test", inception_images).images
    extractor = random_inception(device)
    suite_features_seconds(extractor, images[:1], batch_size)
    rows.append(_row("features", "inception", "32x32x3", *rates(extractor, images, 299), "images/s",
                     inception_images))
    return rows


def seconds_over(run, min_seconds: float) -> float:
    """Mean seconds of one call of ``run`` (returns its seconds), repeated until >= ``min_seconds``."""
    total, calls = 0.0, 0
    while calls == 0 or total < min_seconds:
        total += run()
        calls += 1
    return total / calls


def prd_rows(count: int, dim: int = 128, repeats: int = 3, min_seconds: float = 2.0) -> list[dict]:
    """Seconds of one PRD (10 clusterings) on ``count`` x ``dim`` random features per set: the
    suite's mini-batch k-means against full k-means (``naive``)."""
    generator = np.random.default_rng(0)
    model, real = generator.normal(size=(count, dim)), generator.normal(0.3, 1.0, size=(count, dim))

    def seconds() -> float:
        started = time.perf_counter()
        prd.prd_from_features(model, real)
        return time.perf_counter() - started

    def naive_seconds() -> float:
        with mock.patch.object(prd, "MiniBatchKMeans", KMeans):
            return seconds()

    fast, naive = _median_pair(repeats, lambda: seconds_over(seconds, min_seconds),
                               lambda: seconds_over(naive_seconds, min_seconds))
    return [_row("prd", "prd", f"{count}x{dim}", fast, naive, "seconds", count)]


def evaluate_rows(samples: int, device: torch.device, repeats: int = 3, min_seconds: float = 2.0,
                  batch_size: int = 500) -> list[dict]:
    """Seconds to evaluate one GLF (random weights) on ``samples`` 28x28x1 samples against as many
    real images with classifier features: sampling, features, FID, KID and PRD (10 clusterings).
    Naive: the same metrics, sampling 64 at a time, per-image PIL features, k-means with default
    threads."""
    info = dataset_info("synthetic28")
    real = make_synthetic(info, "test", samples).images
    torch.manual_seed(0)
    model = build_model("glf", ModelSpec(info.channels, info.image_size, 20, 64)).to(device)
    with tempfile.TemporaryDirectory() as tmp:
        extractor = random_classifier(real, Path(tmp), device)

    def seconds() -> float:
        started = time.perf_counter()
        evaluate_samples(generate(model, samples, seed=0, batch_size=max(batch_size, 1000)), real, extractor,
                         None, batch_size)
        return time.perf_counter() - started

    def naive_seconds() -> float:
        started = time.perf_counter()
        fake = generate(model, samples, seed=0, batch_size=64)
        fake_features, real_features = (naive_features(extractor, x, 64, None) for x in (fake, real))
        fid_from_features(fake_features, *gaussian_statistics(real_features))
        kid_from_features(fake_features, real_features, 0)
        with mock.patch.object(prd, "KMEANS_THREADS", None):
            prd.prd_from_features(fake_features, real_features)
        return time.perf_counter() - started

    fast, naive = _median_pair(repeats, lambda: seconds_over(seconds, min_seconds),
                               lambda: seconds_over(naive_seconds, min_seconds))
    return [_row("evaluate", "glf", "28x28x1", fast, naive, "seconds", samples)]


def paper_preset_hours(config: dict, train_rows: pd.DataFrame, evaluate_seconds: float = 0.0,
                    evaluated_samples: int = 10_000) -> float:
    """Estimated hours of every run the preset plans (all seeds), from the measured throughputs:
    first-stage training (VAE-like methods at the VAE figure, the others at GLF's), a trained
    second stage (its epochs over the training set at GLF's figure: an upper bound, its network
    is a flow on latents), one evaluation per run (``evaluate_seconds`` for
    ``evaluated_samples`` samples, scaled to the preset's ``evaluation.num_samples``), and for a
    model with a ``z_penalty_grid`` one more training (both stages) and evaluation per candidate
    (an upper bound: candidates train without the held-out images)."""
    seconds = 0.0
    per_evaluation = evaluate_seconds * config["evaluation"]["num_samples"] / evaluated_samples
    for model, dataset in paths.planned_runs(config):
        kind = "vae" if "vae" in config["models"][model]["method"] else "glf"
        run = resolve_run(config, model, dataset, 0)
        rate = train_rows[(train_rows.method == kind) & (train_rows["shape"] == PAPER_SHAPES[dataset])]["suite"].item()
        glf_rate = train_rows[(train_rows.method == "glf") & (train_rows["shape"] == PAPER_SHAPES[dataset])]["suite"].item()
        trainings = 1 + len(config["models"][model].get("z_penalty_grid", []))
        seconds += trainings * (run.train.epochs * PAPER_TRAIN_SIZES[dataset] / rate + per_evaluation)
        if run.second_stage is not None:
            seconds += trainings * run.second_stage.epochs * PAPER_TRAIN_SIZES[dataset] / glf_rate
    return seconds * len(config["seeds"]) / 3600


def timing_count(shapes: list[str], variants: tuple[str, ...], layouts: tuple[str, ...], tasks: tuple[str, ...]
                 ) -> int:
    """How many timings :func:`measure` takes (each repeated ``repeats`` times): suite and naive per
    training row (two methods per shape), one per variant row, suite and naive per feature (two),
    PRD and evaluate row; at least 1."""
    per_task = {"train": len(shapes) * 2 * 2, "features": 4, "prd": 2, "evaluate": 2}
    return max(1, len(shapes) * 2 * len(variants) * len(layouts) + sum(per_task[t] for t in tasks))


def measure(device: torch.device, images: int, batch_size: int, repeats: int, shapes: list[str],
            classifier_images: int, inception_images: int, prd_features: int, evaluate_samples: int,
            min_steps: int, min_seconds: float, compile_step: str | bool, paper_config: dict,
            variants: tuple[str, ...] = (), layouts: tuple[str, ...] = ("channels_last",),
            tasks: tuple[str, ...] = ("train", "features", "prd", "evaluate"), backend: str = "inductor"
            ) -> pd.DataFrame:
    """Every timing of the harness on ``device`` as one table (a row per task, method and shape;
    columns as in ``results/perf.csv``), with the paper preset's estimated hours on ``device``
    (``paper_preset_hours_estimate``) when all three image shapes were timed.  ``variants`` adds a
    ``train_variant`` row per step variant and layout (:func:`variant_rows`, compiled with
    torch.compile's ``backend``); ``tasks`` picks the other timings."""
    tune_for_speed(device)
    methods = [m for m in ("glf", "vae") if m in MODELS]
    shape_table = {shape: SHAPES[shape] for shape in shapes}
    rows = training_rows(methods, images, batch_size, device, repeats, shape_table,
                         min_steps, min_seconds, compile_step) if "train" in tasks else []
    if variants:
        rows += variant_rows(methods, images, batch_size, device, shape_table, variants, min_steps, min_seconds,
                             layouts, backend)
    if "features" in tasks:
        rows += feature_rows(classifier_images, inception_images, batch_size, device, repeats, min_steps,
                             min_seconds)
    if "prd" in tasks:
        rows += prd_rows(prd_features, repeats=repeats, min_seconds=min_seconds)
    if "evaluate" in tasks:
        rows += evaluate_rows(evaluate_samples, device, repeats, min_seconds=min_seconds)
    table = pd.DataFrame(rows)
    table["batch_size"] = batch_size
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    table.insert(0, "device", name)
    train = table[table.task == "train"]
    if set(PAPER_SHAPES.values()) <= set(train["shape"]) and "evaluate" in tasks:
        evaluation = table[table.task == "evaluate"].iloc[0]
        hours = paper_preset_hours(paper_config, train, evaluation["suite"], evaluation["size"])
        table["paper_preset_hours_estimate"] = round(hours, 1)
    return table


def output_name(device: torch.device) -> str:
    """The file the harness writes on ``device``: ``perf_gpu.csv`` on CUDA, else ``perf.csv``."""
    return "perf_gpu.csv" if device.type == "cuda" else "perf.csv"

