import numpy as np
import torch
from PIL import Image

from benchmark.sample_png import save_png


def test_grid_png_has_white_gaps_between_black_tiles_and_a_caption(tmp_path):
    path = tmp_path / "grid.png"
    save_png(torch.zeros(4, 1, 28, 28), path, nrow=2, caption="seed 0: 4 of 4 samples")
    pixels = np.asarray(Image.open(path).convert("L"))
    grid = 2 * 28 + 3 * 2  # two tiles and three 2 px gaps each way
    assert pixels.shape[1] == grid and pixels.shape[0] > grid + 8
    assert (pixels[2:30, 30:32] == 255).all() and (pixels[30:32, 2:30] == 255).all()  # gaps
    assert (pixels[2:30, 2:30] == 0).all() and (pixels[2:30, 32:60] == 0).all()  # tiles
    strip = pixels[grid:]
    assert (strip < 128).sum() > 20  # the caption's text is drawn below the grid
