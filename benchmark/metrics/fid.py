"""FID with pytorch-fid's Inception-v3 (pool3, 2048-d) and cached real-image statistics.

The weights are pytorch-fid's own file (:data:`INCEPTION_WEIGHTS_URL`), pinned by its full
SHA-256 and verified on every load.  Offline, the file is read from a local path: the
``weights`` argument, else the environment variable :data:`INCEPTION_WEIGHTS_ENV`, else torch
hub's checkpoint folder (where pytorch-fid itself would have downloaded it).

Images are handled as pytorch-fid handles image files: float in [0, 1], grayscale tiled to RGB
(PIL's ``convert('RGB')``), bilinear resize to 299x299 and scaling to [-1, 1] inside
``InceptionV3``.  With ``resize="clean"`` the images are first resized to 299x299 by clean-fid's
own resizer (PIL bicubic on float channels, its "clean" mode) and then fed to the same network.
Features are float32; statistics are float64.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytorch_fid.inception as pf_inception
import torch
from cleanfid.resize import build_resizer
from pytorch_fid.inception import InceptionV3

from benchmark.atomic import atomic_torch_save
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.frechet import frechet_distance, gaussian_statistics
from benchmark.torch_files import UnreadableFileError, load_torch_file, set_aside
from benchmark.weights import WeightsError, pinned_file, sha256_file, verify_sha256  # noqa: F401 (re-exported)

INCEPTION_WEIGHTS_URL = pf_inception.FID_WEIGHTS_URL
INCEPTION_WEIGHTS_FILENAME = INCEPTION_WEIGHTS_URL.rsplit("/", 1)[-1]
# Full SHA-256 of pt_inception-2015-12-05-6726825d.pth (95,628,359 bytes); its first 8 hex digits
# are the "6726825d" in the file name (torch hub's naming rule).
INCEPTION_WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
INCEPTION_WEIGHTS_ENV = "GLF_INCEPTION_WEIGHTS"
INCEPTION_DIM = 2048
FID_VARIANTS = ("legacy", "clean")
FEATURE_CACHE_KEYS = ("features", "mu", "sigma")  # what a real-feature cache file holds


def default_inception_weights_path() -> Path:
    """Where the Inception weights are looked for when no path is given: ``$GLF_INCEPTION_WEIGHTS``,
    else torch hub's checkpoint folder."""
    from_env = os.environ.get(INCEPTION_WEIGHTS_ENV)
    if from_env:
        return Path(from_env)
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS_FILENAME


def inception_weights_file(weights: str | os.PathLike | None = None, download: bool = False,
                           expected_sha256: str = INCEPTION_WEIGHTS_SHA256) -> Path:
    """Return the path of the Inception weights file after checking its SHA-256 (downloading it
    when ``download`` is set and it is missing); raise :class:`WeightsError` saying where to get
    it and where to put it, or naming both hashes on a mismatch."""
    path = Path(weights) if weights is not None else default_inception_weights_path()
    return pinned_file(path, INCEPTION_WEIGHTS_URL, expected_sha256, download,
                       f"point the weights option / the environment variable {INCEPTION_WEIGHTS_ENV} at the file")


def build_inception(state_dict: dict[str, torch.Tensor]) -> InceptionV3:
    """Return pytorch-fid's ``InceptionV3`` (pool3 block only) holding ``state_dict``.

    pytorch-fid's constructor always fetches its weights by URL; it is handed the already
    verified ``state_dict`` instead, so the architecture is exactly the library's.
    """
    with mock.patch.object(pf_inception, "load_state_dict_from_url", return_value=state_dict):
        return InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[INCEPTION_DIM]])


class InceptionExtractor(FeatureExtractor):
    """pytorch-fid's Inception-v3 pool3 features, 2048-d."""

    name = "inception"
    dim = INCEPTION_DIM

    def __init__(self, network: InceptionV3, weights_sha256: str, device: str | torch.device = "auto",
                 resize: str = "legacy", progress: bool = True):
        super().__init__(network, device, progress)
        if resize not in FID_VARIANTS:
            raise ValueError(f"unknown FID variant {resize!r}; choose one of {FID_VARIANTS}")
        self.weights_sha256 = weights_sha256
        self.resize = resize
        self.clean_resizer = build_resizer("clean")

    def check_images(self, images: torch.Tensor) -> None:
        super().check_images(images)
        if images.shape[1] not in (1, 3):
            raise ValueError(f"Inception takes grayscale or RGB images, got {images.shape[1]} channels")

    def embed(self, batch: torch.Tensor) -> torch.Tensor:
        rgb = batch.expand(-1, 3, -1, -1) if batch.shape[1] == 1 else batch
        if self.resize == "clean":
            rgb = self.clean_resize(rgb)
        return self.network(rgb)[0].flatten(1)

    def clean_resize(self, rgb: torch.Tensor) -> torch.Tensor:
        """Return RGB images ``(B, 3, H, W)`` in [0, 1] (from uint8) resized by clean-fid's resizer
        to ``(B, 3, 299, 299)`` in [0, 1], on ``self.device``."""
        pixels = rgb.mul(255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        resized = np.stack([self.clean_resizer(image) for image in pixels])
        return torch.from_numpy(resized).permute(0, 3, 1, 2).to(self.device).div(255)


def load_inception(weights: str | os.PathLike | None = None, device: str | torch.device = "auto",
                   download: bool = False, expected_sha256: str = INCEPTION_WEIGHTS_SHA256,
                   resize: str = "legacy") -> InceptionExtractor:
    """Return an :class:`InceptionExtractor` (``resize``: "legacy" or "clean") whose weights file
    was checked against ``expected_sha256`` (the pinned hash; tests pass the hash of a file they made)."""
    path = inception_weights_file(weights, download, expected_sha256)
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    return InceptionExtractor(build_inception(state_dict), expected_sha256, device, resize)


def content_sha256(images: torch.Tensor) -> str:
    """Return the SHA-256 of a tensor's dtype, shape and bytes (a key that ignores file paths)."""
    digest = hashlib.sha256(f"{images.dtype}{tuple(images.shape)}".encode())
    digest.update(images.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def real_feature_cache_path(cache_dir: str | os.PathLike, images: torch.Tensor,
                            extractor: FeatureExtractor) -> Path:
    """Where the features and statistics of ``images`` under ``extractor`` are cached: keyed by
    the content hash of the images and of the extractor's weights, never by a path."""
    key = hashlib.sha256(f"{content_sha256(images)}:{extractor.space}:{extractor.weights_sha256}"
                         .encode()).hexdigest()
    return Path(cache_dir) / "real_features" / f"{extractor.space}-{key}.pt"


def _statistics_sha256(payload: dict) -> str:
    """SHA-256 over the content of the cached tensors (:data:`FEATURE_CACHE_KEYS`, in that order)."""
    return hashlib.sha256(":".join(content_sha256(payload[k]) for k in FEATURE_CACHE_KEYS).encode()).hexdigest()


def _cache_problem(path: Path, payload, n: int, dim: int) -> str | None:
    """What is wrong with a real-feature cache's payload for ``n`` images of ``dim``-d features:
    a missing tensor, a shape other than ``(n, dim)``, ``(dim,)``, ``(dim, dim)``, or contents that
    differ from the checksum written with them; ``None`` when it is sound."""
    if not (isinstance(payload, dict) and all(isinstance(payload.get(k), torch.Tensor) for k in FEATURE_CACHE_KEYS)):
        return f"real-feature cache {path} lacks its {', '.join(FEATURE_CACHE_KEYS)} tensors."
    shapes = {"features": (n, dim), "mu": (dim,), "sigma": (dim, dim)}
    for key, shape in shapes.items():
        if tuple(payload[key].shape) != shape:
            return f"real-feature cache {path} holds '{key}' of shape {tuple(payload[key].shape)}, not {shape}."
    if payload.get("sha256") != _statistics_sha256(payload):
        return f"real-feature cache {path} holds tensors that do not match the checksum written with them."
    return None


def _cached_statistics(path: Path, n: int, dim: int) -> tuple[torch.Tensor, np.ndarray, np.ndarray] | None:
    """Features ``(n, dim)``, mean ``(dim,)`` and covariance ``(dim, dim)`` read from the cache file
    at ``path``; ``None`` when it is unreadable, incomplete, of other shapes or tampered with (then
    it is moved aside, saying so)."""
    try:
        payload = load_torch_file(path, "real-feature cache", "")
        problem = _cache_problem(path, payload, n, dim)
        if problem is not None:
            raise UnreadableFileError(problem)
    except UnreadableFileError as err:
        print(set_aside(path, str(err), "computing the features of the real images again."), flush=True)
        return None
    return payload["features"], payload["mu"].numpy(), payload["sigma"].numpy()


def real_features_and_statistics(images: torch.Tensor, extractor: FeatureExtractor,
                                 cache_dir: str | os.PathLike | None, batch_size: int,
                                 ) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Return features ``(N, d)`` float32 and their float64 mean ``(d,)`` and covariance ``(d, d)``
    for real images ``(N, C, H, W)``; computed once and cached under ``cache_dir`` when given, with
    a checksum of the tensors (a cache file that is unreadable, of other shapes or does not match
    its checksum is moved aside and computed again)."""
    cached = real_feature_cache_path(cache_dir, images, extractor) if cache_dir is not None else None
    if cached is not None and cached.exists():
        statistics = _cached_statistics(cached, images.shape[0], extractor.dim)
        if statistics is not None:
            return statistics
    features = extractor.features(images, batch_size)
    mu, sigma = gaussian_statistics(features)
    if cached is not None:
        payload = {"features": features, "mu": torch.from_numpy(mu), "sigma": torch.from_numpy(sigma)}
        atomic_torch_save({**payload, "sha256": _statistics_sha256(payload)}, cached)
    return features, mu, sigma


def fid_from_features(sample_features: torch.Tensor, real_mu: np.ndarray, real_sigma: np.ndarray) -> float:
    """Return the FID of sample features ``(N, d)`` against real statistics ``(d,)``, ``(d, d)``."""
    return frechet_distance(*gaussian_statistics(sample_features), real_mu, real_sigma)
