"""``python -m benchmark.perf``: how fast the suite trains and evaluates, against a naive loop.

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
Writes ``results/perf.csv`` (``results/perf_gpu.csv`` on a GPU, with the device name and an
estimate of the GPU-hours of the whole paper preset) and prints the table.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
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
from benchmark.atomic import atomic_write_text
from benchmark.config import load_config, resolve_run
from benchmark.data import dataset_info, make_synthetic
from benchmark.device import image_batch_transform, pick_device, tune_for_speed
from benchmark.joblog import announce
from benchmark.metrics import prd
from benchmark.metrics.classifier import (
    ClassifierRecipe,
    SmallClassifier,
    load_classifier,
    save_classifier,
)
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import InceptionExtractor, build_inception
from benchmark.trainer import Trainer, TrainSettings
from models import MODELS, build_model
from models.base import ModelSpec

SHAPES = {"28x28x1": ("synthetic28", 20, 64), "32x32x3": ("synthetic32", 64, 256), "64x64x3": ("synthetic64", 64, 256)}
PAPER_SHAPES = {"mnist": "28x28x1", "fashion": "28x28x1", "cifar10": "32x32x3", "celeba": "64x64x3"}
PAPER_TRAIN_SIZES = {"mnist": 60_000, "fashion": 60_000, "cifar10": 50_000, "celeba": 162_770}


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


def naive_train_images_per_s(model, images: torch.Tensor, batch_size: int, device: torch.device) -> float:
    """Images/s of one epoch through a DataLoader with per-image transforms and per-step ``.item()``."""
    loader = DataLoader(PILImages(images), batch_size=batch_size, shuffle=True, drop_last=True)
    optimizers = default_adams(model.configure_optimizers(1e-3))
    model.train()
    seen, started = 0, time.perf_counter()
    for batch in loader:
        logged = model.train_step(batch.to(device), optimizers)
        logged["loss"].item()
        seen += batch.shape[0]
    _sync(device)
    return seen / (time.perf_counter() - started)


def suite_train_images_per_s(model, images: torch.Tensor, batch_size: int, device: torch.device) -> float:
    """Images/s of one epoch through the suite's trainer (what ``benchmark.train`` runs)."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(model, images, TrainSettings(1, batch_size, 1e-3), Path(tmp), device=device,
                          batch_transform=image_batch_transform(device), progress=False)
        trainer.run()
        batches = images.shape[0] // batch_size
        return batches * batch_size / trainer.rows[0]["seconds"]


def _row(task: str, method: str, shape: str, suite: float, naive: float, unit: str, size: int) -> dict:
    """A table row; ``speedup`` is how many times faster the suite is (rates: suite / naive,
    seconds: naive / suite)."""
    speedup = naive / suite if unit == "seconds" else suite / naive
    row = {"task": task, "method": method, "shape": shape, "suite": suite, "naive": naive,
           "speedup": speedup, "unit": unit, "size": size}
    print(f"{task:>8} {method:>10} {shape}: suite {suite:9.2f}, naive {naive:9.2f} {unit}, x{speedup:.2f}",
          flush=True)
    return row


def training_rows(methods: list[str], images_per_shape: int, batch_size: int, device: torch.device,
                  repeats: int = 3, shapes: dict = SHAPES) -> list[dict]:
    """One row per (method, shape): median suite and naive training images/s and their ratio."""
    rows = []
    for shape, (dataset, latent, width) in shapes.items():
        info = dataset_info(dataset)
        images = make_synthetic(info, "train", images_per_shape).images
        for method in methods:
            spec = ModelSpec(info.channels, info.image_size, latent, width)
            torch.manual_seed(0)
            suite_train_images_per_s(build_model(method, spec), images[: 2 * batch_size], batch_size, device)
            fast, naive = _median_pair(
                repeats,
                lambda: suite_train_images_per_s(build_model(method, spec), images, batch_size, device),
                lambda: naive_train_images_per_s(build_model(method, spec).to(device), images, batch_size, device))
            rows.append(_row("train", method, shape, fast, naive, "images/s", images_per_shape))
    return rows


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


def suite_features_per_s(extractor: FeatureExtractor, images: torch.Tensor, batch_size: int) -> float:
    """Images/s of the suite's batched feature extraction of uint8 ``images``."""
    started = time.perf_counter()
    extractor.features(images, batch_size)
    _sync(extractor.device)
    return images.shape[0] / (time.perf_counter() - started)


@torch.no_grad()
def naive_features_per_s(extractor: FeatureExtractor, images: torch.Tensor, batch_size: int,
                         resize: int | None) -> float:
    """Images/s of per-image PIL resizing (to ``resize``) and ``ToTensor``, then a forward per batch."""
    started = time.perf_counter()
    features = [extractor.embed(batch.to(extractor.device)).cpu()
                for batch in DataLoader(PILImages(images, resize), batch_size=batch_size)]
    torch.cat(features)
    _sync(extractor.device)
    return images.shape[0] / (time.perf_counter() - started)


def feature_rows(classifier_images: int, inception_images: int, batch_size: int, device: torch.device,
                 repeats: int = 3) -> list[dict]:
    """FID feature extraction images/s, suite vs naive, for the classifier on 32x32x3 images and
    for Inception (input resized to 299) on 32x32x3 images."""
    info = dataset_info("synthetic32")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        images = make_synthetic(info, "test", classifier_images).images
        extractor = random_classifier(images, Path(tmp), device)
        suite_features_per_s(extractor, images[:batch_size], batch_size)
        fast, naive = _median_pair(repeats, lambda: suite_features_per_s(extractor, images, batch_size),
                                   lambda: naive_features_per_s(extractor, images, batch_size, None))
        rows.append(_row("features", "classifier", "32x32x3", fast, naive, "images/s", classifier_images))
    images = make_synthetic(info, "test", inception_images).images
    extractor = random_inception(device)
    suite_features_per_s(extractor, images[:1], batch_size)
    fast, naive = _median_pair(repeats, lambda: suite_features_per_s(extractor, images, batch_size),
                               lambda: naive_features_per_s(extractor, images, batch_size, 299))
    rows.append(_row("features", "inception", "32x32x3", fast, naive, "images/s", inception_images))
    return rows


def prd_rows(count: int, dim: int = 128, repeats: int = 3) -> list[dict]:
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

    fast, naive = _median_pair(repeats, seconds, naive_seconds)
    return [_row("prd", "prd", f"{count}x{dim}", fast, naive, "seconds", count)]


def paper_gpu_hours(config: dict, train_rows: pd.DataFrame) -> float:
    """Estimated hours of first-stage training for every run the preset plans (all seeds), from
    the measured GLF/VAE throughputs (VAE-like methods use the VAE figure, the others GLF's)."""
    seconds = 0.0
    for model, dataset in paths.planned_runs(config):
        kind = "vae" if "vae" in config["models"][model]["method"] else "glf"
        run = resolve_run(config, model, dataset, 0)
        rows = train_rows[(train_rows.method == kind) & (train_rows["shape"] == PAPER_SHAPES[dataset])]
        seconds += run.train.epochs * PAPER_TRAIN_SIZES[dataset] / rows["suite"].item()
    return seconds * len(config["seeds"]) / 3600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--images", type=int, default=256, help="images per training measurement")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved suite/naive repetitions (medians)")
    parser.add_argument("--classifier-images", type=int, default=1024, help="images per classifier-feature timing")
    parser.add_argument("--inception-images", type=int, default=16, help="images per Inception-feature timing")
    parser.add_argument("--prd-features", type=int, default=1000, help="features per set in the PRD timing")
    parser.add_argument("--out-dir", type=Path, default=Path("results"))
    parser.add_argument("--paper-config", default="workflow/config/paper.yaml")
    args = parser.parse_args(argv)
    announce("benchmark.perf")
    if args.images < 2 * args.batch_size:
        parser.error("--images must be at least twice --batch-size")
    device = pick_device(args.device)
    tune_for_speed(device)
    methods = [m for m in ("glf", "vae") if m in MODELS]
    rows = training_rows(methods, args.images, args.batch_size, device, args.repeats, SHAPES)
    rows += feature_rows(args.classifier_images, args.inception_images, args.batch_size, device, args.repeats)
    rows += prd_rows(args.prd_features, repeats=args.repeats)
    table = pd.DataFrame(rows)
    table["batch_size"] = args.batch_size
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    table.insert(0, "device", name)
    out = args.out_dir / ("perf_gpu.csv" if device.type == "cuda" else "perf.csv")
    if device.type == "cuda":
        hours = paper_gpu_hours(load_config(args.paper_config), table[table.task == "train"])
        table["paper_preset_gpu_hours_estimate"] = math.ceil(hours)
    atomic_write_text(out, table.to_csv(index=False))
    print(table.to_string(index=False))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
