"""``python -m benchmark.perf``: how fast the suite trains and evaluates, against a naive loop.

For GLF and VAE on each paper image shape (28x28x1, 32x32x3, 64x64x3) it measures training
images per second through the suite's trainer (data resident on the device, no per-batch host
work) and through the loop typical research code uses (a torchvision DataLoader with per-image
``ToTensor`` transforms, per-batch copies and a ``loss.item()`` each step), on the same model and
images.  It also times FID feature extraction (batched tensors vs per-image PIL resizing) and
PRD.  Writes ``results/perf.csv`` (``results/perf_gpu.csv`` on a GPU, with the device name and an
estimate of the GPU-hours of the whole paper preset) and prints the table.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import functional as TF

from benchmark.atomic import atomic_write_text
from benchmark.config import load_config, resolve_run
from benchmark.data import dataset_info, make_synthetic
from benchmark.device import image_batch_transform, pick_device, tune_for_speed
from benchmark.joblog import announce
from benchmark.trainer import Trainer, TrainSettings
from models import MODELS, build_model
from models.base import ModelSpec

SHAPES = {"28x28x1": ("synthetic28", 20, 64), "32x32x3": ("synthetic32", 64, 256), "64x64x3": ("synthetic64", 64, 256)}
PAPER_SHAPES = {"mnist": "28x28x1", "fashion": "28x28x1", "cifar10": "32x32x3", "celeba": "64x64x3"}
PAPER_TRAIN_SIZES = {"mnist": 60_000, "fashion": 60_000, "cifar10": 50_000, "celeba": 162_770}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class PILImages(Dataset):
    """Images held as PIL objects and converted one by one, as torchvision datasets do."""

    def __init__(self, images: torch.Tensor):
        mode = "L" if images.shape[1] == 1 else "RGB"
        self.images = [Image.fromarray(img.permute(1, 2, 0).squeeze(-1).numpy(), mode=mode) for img in images]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return TF.to_tensor(self.images[i])


def naive_train_images_per_s(model, images: torch.Tensor, batch_size: int, device: torch.device) -> float:
    """Images/s of one epoch through a DataLoader with per-image transforms and per-step ``.item()``."""
    loader = DataLoader(PILImages(images), batch_size=batch_size, shuffle=True, drop_last=True)
    optimizers = model.configure_optimizers(1e-3)
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


def training_rows(methods: list[str], images_per_shape: int, batch_size: int, device: torch.device) -> list[dict]:
    """One row per (method, shape): suite and naive training throughput and their ratio."""
    rows = []
    for shape, (dataset, latent, width) in SHAPES.items():
        info = dataset_info(dataset)
        images = make_synthetic(info, "train", images_per_shape).images
        for method in methods:
            spec = ModelSpec(info.channels, info.image_size, latent, width)
            torch.manual_seed(0)
            warm = build_model(method, spec).to(device)
            suite_train_images_per_s(warm, images[: 2 * batch_size], batch_size, device)  # warm-up
            fast = suite_train_images_per_s(build_model(method, spec).to(device), images, batch_size, device)
            naive = naive_train_images_per_s(build_model(method, spec).to(device), images, batch_size, device)
            rows.append({"task": "train", "method": method, "shape": shape, "suite_per_s": fast,
                         "naive_per_s": naive, "speedup": fast / naive, "unit": "images/s"})
            print(f"train {method:>4} {shape}: suite {fast:8.1f} img/s, naive {naive:8.1f} img/s, x{fast / naive:.2f}",
                  flush=True)
    return rows


def paper_gpu_hours(config: dict, train_rows: pd.DataFrame) -> float:
    """Estimated hours of training for every (model, dataset, seed) of ``config``, from the
    measured GLF/VAE throughputs (VAE-like methods use the VAE figure, the others GLF's)."""
    seconds = 0.0
    for model, settings in config["models"].items():
        kind = "vae" if "vae" in settings["method"] else "glf"
        for dataset in config["datasets"]:
            run = resolve_run(config, model, dataset, 0)
            shape = PAPER_SHAPES[dataset]
            rate = train_rows[(train_rows.method == kind) & (train_rows["shape"] == shape)]["suite_per_s"].item()
            seconds += run.train.epochs * PAPER_TRAIN_SIZES[dataset] / rate
    return seconds * len(config["seeds"]) / 3600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--images", type=int, default=1024, help="images per training measurement")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out-dir", type=Path, default=Path("results"))
    parser.add_argument("--paper-config", default="workflow/config/paper.yaml")
    args = parser.parse_args(argv)
    announce("benchmark.perf")
    if args.images < 2 * args.batch_size:
        parser.error("--images must be at least twice --batch-size")
    device = pick_device(args.device)
    tune_for_speed(device)
    methods = [m for m in ("glf", "vae") if m in MODELS]
    rows = training_rows(methods, args.images, args.batch_size, device)
    table = pd.DataFrame(rows)
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
