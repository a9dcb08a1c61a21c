"""Sample grids as PNG files: images tiled with white gaps and a caption written below them."""
from __future__ import annotations

import textwrap
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo
from torchvision.transforms.functional import to_pil_image
from torchvision.utils import make_grid

from benchmark.atomic import atomic_path
from benchmark.sampling import GRID_HEIGHT_KEY

CAPTION_PX = 11  # caption font size


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
    the tiles and ``caption`` written below it, atomically; the PNG records the height of the
    images above the caption (text chunk ``grid_height``), so that a montage can leave it out."""
    grid = to_pil_image(make_grid(images, nrow=nrow, padding=2, pad_value=1.0)).convert("RGB")
    info = PngInfo()
    info.add_text(GRID_HEIGHT_KEY, str(grid.height))
    with atomic_path(path) as tmp:
        with_caption(grid, caption).save(tmp, format="png", pnginfo=info)
