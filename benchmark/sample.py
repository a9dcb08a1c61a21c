"""``python -m benchmark.sample``: generated images, sample grids and interpolations of a model.

Samples are saved as ``{"images": uint8 (N, C, S, S) or None, "status": ...}``: a diverged run
yields no images, so that its table cells read "diverged" rather than a number.
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont
from torchvision.transforms.functional import to_pil_image
from torchvision.utils import make_grid
from tqdm import tqdm

from benchmark.atomic import atomic_path, atomic_torch_save
from benchmark.cli import reports_errors
from benchmark.data import to_float
from benchmark.device import pick_device
from benchmark.joblog import announce
from benchmark.model_io import load_model
from models.base import GenerativeModel

CAPTION_PX = 11


def _generator(model: GenerativeModel, seed: int) -> torch.Generator:
    return torch.Generator(device=model.device).manual_seed(seed)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] -> uint8 in [0, 255] (rounded), same shape, on the CPU."""
    return images.clamp(0, 1).mul(255).round().to(torch.uint8).cpu()


def generate(model: GenerativeModel, n: int, seed: int, batch_size: int = 1000,
             progress: bool = False) -> torch.Tensor:
    """Return ``n`` samples of ``model`` as uint8 ``(n, C, S, S)`` (batched, repeatable by seed)."""
    generator = _generator(model, seed)
    chunks = [to_uint8(model.sample(min(batch_size, n - start), generator))
              for start in tqdm(range(0, n, batch_size), desc="sampling", unit="batch", disable=not progress)]
    return torch.cat(chunks)


@torch.no_grad()
def interpolation(model: GenerativeModel, pairs: int, steps: int, seed: int) -> torch.Tensor:
    """Images ``(pairs * steps, C, S, S)`` in [0, 1] walking linearly between two noise samples
    (between two latent samples when the prior is no function of Gaussian noise)."""
    generator = _generator(model, seed)
    model.eval()
    t = torch.linspace(0, 1, steps, device=model.device).view(1, steps, 1)
    try:
        ends = torch.randn(2, pairs, model.spec.latent_dim, generator=generator, device=model.device)
        path = (1 - t) * ends[0, :, None] + t * ends[1, :, None]
        latents = model.noise_to_latent(path.reshape(pairs * steps, -1))
    except NotImplementedError:
        ends = model.sample_latents(2 * pairs, generator).view(2, pairs, -1)
        latents = ((1 - t) * ends[0, :, None] + t * ends[1, :, None]).reshape(pairs * steps, -1)
    return model.decode(latents).clamp(0, 1)


def with_caption(image: Image.Image, caption: str) -> Image.Image:
    """``image`` (RGB) above a white strip with ``caption`` in black, wrapped to its width."""
    font = ImageFont.load_default(size=CAPTION_PX)
    lines = textwrap.wrap(caption, width=max(10, int(image.width / (0.55 * CAPTION_PX))))
    captioned = Image.new("RGB", (image.width, image.height + len(lines) * (CAPTION_PX + 3) + 4), "white")
    captioned.paste(image, (0, 0))
    draw = ImageDraw.Draw(captioned)
    for number, line in enumerate(lines):
        draw.text((2, image.height + 2 + number * (CAPTION_PX + 3)), line, fill="black", font=font)
    return captioned


def save_png(images: torch.Tensor, path: Path, nrow: int, caption: str) -> None:
    """Save float images ``(N, C, S, S)`` in [0, 1] as one PNG grid with white 2 px gaps between
    the tiles and ``caption`` written below it, atomically."""
    grid = to_pil_image(make_grid(images, nrow=nrow, padding=2, pad_value=1.0)).convert("RGB")
    with atomic_path(path) as tmp:
        with_caption(grid, caption).save(tmp, format="png")


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-file", type=Path, required=True)
    parser.add_argument("--num-samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, required=True, help="samples file (.pt)")
    parser.add_argument("--grid", type=Path, help="PNG grid of the first 100 samples")
    parser.add_argument("--interpolation", type=Path, help="PNG of 8 interpolations of 10 steps")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    announce("benchmark.sample")
    if args.num_samples < 1:
        parser.error("--num-samples must be at least 1")
    model, meta = load_model(args.model_file, pick_device(args.device))
    status = meta.get("second_stage", meta)["status"]
    images = None
    if status == "completed":
        images = generate(model, args.num_samples, args.seed, progress=not args.no_progress)
    atomic_torch_save({"images": images, "status": status, "meta": meta}, args.out)
    for path in (args.grid, args.interpolation):
        if path is None:
            continue
        if images is None:
            save_png(torch.zeros(1, *model.image_shape), path, nrow=1, caption=f"{status}: no samples")
        elif path == args.grid:
            shown = min(100, images.shape[0])
            save_png(to_float(images[:shown]), path, nrow=10,
                     caption=f"seed {args.seed}: {shown} of {images.shape[0]} samples")
        else:
            save_png(interpolation(model, pairs=8, steps=10, seed=args.seed), path, nrow=10,
                     caption=f"seed {args.seed}; each row: two noise samples, 10 steps between")
    print(f"{args.out}: {status}" + ("" if images is None else f", {images.shape[0]} samples"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
