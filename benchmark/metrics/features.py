"""One interface for the feature extractors behind FID and PRD.

A :class:`FeatureExtractor` maps images ``(N, C, H, W)`` (uint8, or float in [0, 1]) to feature
vectors ``(N, d)``, in batches on its own device.  ``name`` says which features they are
("inception" or "classifier") and ``weights_sha256`` which weights produced them; every table
and metrics file carries both.  The registry of extractors is :mod:`benchmark.metrics.registry`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from tqdm import tqdm

from benchmark.data import to_float
from benchmark.device import pick_device

def as_unit_float(images: torch.Tensor) -> torch.Tensor:
    """Return ``images`` as float32 in [0, 1]: uint8 is divided by 255, floats are checked."""
    if images.dtype == torch.uint8:
        return to_float(images)
    if not images.is_floating_point():
        raise TypeError(f"images must be uint8 or float in [0, 1], got dtype {images.dtype}")
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError("float images must lie in [0, 1]; convert uint8 images with to_float, "
                         "or clamp the samples first")
    return images.float()


class FeatureExtractor(ABC):
    """Batched feature extraction on one device; subclasses implement :meth:`embed`."""

    name: str
    weights_sha256: str
    dim: int
    resize: str = "legacy"  # "clean": clean-fid's PIL-bicubic resize before the network

    def __init__(self, network: torch.nn.Module, device: str | torch.device, progress: bool = True):
        self.device = pick_device(device)
        self.network = network.to(self.device).eval()
        self.progress = progress

    @property
    def space(self) -> str:
        """The feature space: ``name``, plus ``-clean`` when images pass clean-fid's resizer."""
        return self.name if self.resize == "legacy" else f"{self.name}-{self.resize}"

    @abstractmethod
    def embed(self, batch: torch.Tensor) -> torch.Tensor:
        """Return features ``(B, dim)`` of a float batch ``(B, C, H, W)`` in [0, 1] on ``self.device``."""

    def check_images(self, images: torch.Tensor) -> None:
        """Raise ``ValueError`` when ``images`` cannot be fed to this extractor."""
        if images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}")

    @torch.no_grad()
    def features(self, images: torch.Tensor, batch_size: int) -> torch.Tensor:
        """Return float32 features ``(N, dim)`` on the CPU of images ``(N, C, H, W)``
        (uint8, or float in [0, 1]), computed ``batch_size`` at a time on ``self.device``."""
        self.check_images(images)
        out = torch.empty(images.shape[0], self.dim, dtype=torch.float32)
        starts = range(0, images.shape[0], batch_size)
        for start in tqdm(starts, desc=f"{self.space} features", unit="batch", leave=False,
                          disable=not self.progress):
            batch = as_unit_float(images[start:start + batch_size].to(self.device))
            out[start:start + batch.shape[0]] = self.embed(batch).float().cpu()
        return out
