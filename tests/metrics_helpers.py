"""Shared test helpers for the metrics tests: random Inception weights and tiny images."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from pytorch_fid.fid_score import calculate_activation_statistics


def random_inception_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A randomly initialised FID-Inception state dict (tests only).  torchvision's Inception3
    with 1008 classes and no aux head has exactly the FID-Inception's parameter names and shapes;
    He-normal convolutions keep the activations of the deep random network of order one."""
    torch.manual_seed(seed)
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, num_classes=1008,
                                          init_weights=False)
    for module in net.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    return net.state_dict()


def save_random_inception(path: Path) -> str:
    """Save a random FID-Inception state dict to ``path`` and return the path as a string."""
    torch.save(random_inception_state_dict(), path)
    return str(path)


def make_images(n: int, channels: int, seed: int) -> torch.Tensor:
    """Tiny uint8 images ``(n, channels, 20, 20)``: a random level per image plus noise."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.rand(n, channels, 1, 1, generator=gen) * 200
    noise = torch.rand(n, channels, 20, 20, generator=gen) * 55
    return (base + noise).to(torch.uint8)


def write_pngs(images: torch.Tensor, folder: Path) -> list[str]:
    """Write uint8 images ``(N, C, H, W)`` as PNG files (grayscale or RGB); return their paths."""
    folder.mkdir()
    mode = "L" if images.shape[1] == 1 else "RGB"
    paths = []
    for i, image in enumerate(images):
        array = image.squeeze(0).numpy() if mode == "L" else image.permute(1, 2, 0).numpy()
        paths.append(str(folder / f"{i:03d}.png"))
        Image.fromarray(array, mode=mode).save(paths[-1])
    return paths


def pytorch_fid_statistics(images: torch.Tensor, model, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """pytorch-fid's own statistics of ``images``, read back from PNG files (its input format)."""
    return calculate_activation_statistics(write_pngs(images, folder), model, batch_size=len(images),
                                           device="cpu", num_workers=0)


def restrict_to_support(mu1, sigma1, mu2, sigma2, dims: int = 32):
    """Express two Gaussians' statistics in an orthonormal basis ``(d, dims)`` whose span holds
    both covariances and the mean difference (found as the range of ``sigma1 + sigma2 + diff
    diff^T`` times a random matrix; the covariances of n samples have rank below n, so ``dims``
    must reach twice the sample count).  FID is invariant under this isometry, so pytorch-fid's
    ``calculate_frechet_distance`` gives the same value on the result, with a small ``sqrtm``
    instead of a 2048x2048 one (20-40 s on 2 cores for the singular covariances of few images)."""
    diff = mu1 - mu2
    support = sigma1 + sigma2 + np.outer(diff, diff)
    probe = np.random.default_rng(0).normal(size=(support.shape[0], dims))
    basis, _ = np.linalg.qr(support @ probe)
    return (basis.T @ mu1, basis.T @ sigma1 @ basis, basis.T @ mu2, basis.T @ sigma2 @ basis)
