"""Drawing images from a trained model: batched uint8 samples and latent interpolations, both
under a sampling protocol of :mod:`models.sampling`."""
from __future__ import annotations

import torch
from tqdm import tqdm

from models.base import GenerativeModel
from models.sampling import AUTHORS_BATCH_SIZE, finish, protocol_mode

INTERPOLATION_PAIRS, INTERPOLATION_STEPS = 8, 10  # rows of an interpolation image, images per row (ends included)
GRID_COLUMNS = 10  # samples per row of a run's sample grid (grid.png)
GRID_HEIGHT_KEY = "grid_height"  # PNG text chunk of a sample grid: the height of its images, above the caption


def _generator(model: GenerativeModel, seed: int) -> torch.Generator:
    return torch.Generator(device=model.device).manual_seed(seed)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] -> uint8 in [0, 255] (rounded), same shape, on the CPU."""
    return images.clamp(0, 1).mul(255).round().to(torch.uint8).cpu()


def generate(model: GenerativeModel, n: int, seed: int, batch_size: int = 1000,
             progress: bool = False, protocol: str = "eval") -> torch.Tensor:
    """Return ``n`` samples of ``model`` as uint8 ``(n, C, S, S)`` (batched, repeatable by seed)
    under the sampling ``protocol`` of :mod:`models.sampling`; "authors" always draws batches of
    500 (its BatchNorm statistics depend on the batch)."""
    generator = _generator(model, seed)
    batch_size = AUTHORS_BATCH_SIZE if protocol == "authors" else batch_size
    chunks = [to_uint8(model.sample(min(batch_size, n - start), generator, protocol))
              for start in tqdm(range(0, n, batch_size), desc="sampling", unit="batch", disable=not progress)]
    return torch.cat(chunks)


def _walk(ends: torch.Tensor, steps: int) -> torch.Tensor:
    """``(pairs * steps, d)`` points walking linearly, in ``steps`` steps, from ``ends[0]`` to
    ``ends[1]`` (each ``(pairs, d)``), pair by pair."""
    t = torch.linspace(0, 1, steps, device=ends.device).view(1, steps, 1)
    return ((1 - t) * ends[0, :, None] + t * ends[1, :, None]).reshape(-1, ends.shape[-1])


@torch.no_grad()
def interpolation(model: GenerativeModel, pairs: int, steps: int, seed: int, protocol: str) -> torch.Tensor:
    """Images ``(pairs * steps, C, S, S)`` in [0, 1] walking linearly between two noise samples
    (all the noise the model's sampler draws, :meth:`GenerativeModel.noise_dim`; between two
    latent samples when the prior is no function of Gaussian noise), drawn under the
    sampling ``protocol`` as the samples are: under "authors" the walk is decoded in train mode
    within one batch of 500, filled up with fresh draws, so that its BatchNorm statistics are
    those of a sampling batch, and each image is min-max stretched; the model is left as it was."""
    generator = _generator(model, seed)
    n = pairs * steps
    fill = max(AUTHORS_BATCH_SIZE - n, 0) if protocol == "authors" else 0
    with protocol_mode(model, protocol):
        try:
            ends = torch.randn(2, pairs, model.noise_dim(), generator=generator, device=model.device)
            noise = torch.randn(fill, model.noise_dim(), generator=generator, device=model.device)
            latents = model.noise_to_latent(torch.cat([_walk(ends, steps), noise]))
        except NotImplementedError:
            walk = _walk(model.sample_latents(2 * pairs, generator).view(2, pairs, -1), steps)
            latents = torch.cat([walk, model.sample_latents(fill, generator)]) if fill else walk
        return finish(model.decode(latents), protocol)[:n]
