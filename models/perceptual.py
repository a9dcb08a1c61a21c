"""GLO/GLANN-style perceptual loss: L1 on pixels plus L1 on frozen VGG16 feature maps.

Features are the outputs of conv1_2, conv2_2 and conv3_2 (plus conv4_3 for images of 64 pixels or
more) of torchvision's ImageNet VGG16, taken as ``activation`` says: ``"authors"`` as the authors'
code ends up taking them (every level but the deepest after its ReLU, the deepest before it: their
loop stores each tensor and torchvision's ``ReLU(inplace=True)`` then overwrites it), ``"conv"``
(all before the ReLU) or ``"relu"`` (all after it).  ``inputs`` says what the VGG and the pixel
term see: ``"authors"`` the values the authors' code feeds them (grayscale images mapped to
[-1, 1], colour images ImageNet-normalised, grayscale repeated to 3 channels before the loss, so
the pixel term covers 3 channels too), ``"imagenet"`` ImageNet-normalised VGG input and the pixel
term on the [0, 1] images.  Either way the map is affine and done inside the loss: the decoder and
the data stay those of every other method.  The weights file is checked against its pinned
SHA-256 on every load.

The VGG is frozen and held *outside* the module's registered children, and loaded lazily on the
first call: it never enters optimisers or ``state_dict`` (checkpoints stay small, and resuming a
checkpoint just reloads and re-verifies the weights file).

``python -m benchmark.commands.vgg_weights [--path P] [--download]`` checks (or fetches) the weights file,
e.g. on a submit host with internet before jobs run on compute nodes without it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import torch
import torchvision
from torch import nn

from benchmark.weights import WeightsError, pinned_file, sha256_file  # noqa: F401 (re-exported)
from models.base import ModelSpec
from models.params import Param, declare

VGG16_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
VGG16_SHA256 = "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0"
WEIGHTS_ENV = "GLF_VGG16_WEIGHTS"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Ends (exclusive) of the vgg16.features slices whose last layer is the ReLU after
# conv1_2, conv2_2, conv3_2 and conv4_3; one less ends them at the conv itself.
STAGE_ENDS = (4, 9, 14, 23)
ACTIVATIONS = ("authors", "conv", "relu")
INPUTS = ("authors", "imagenet")
REDUCTIONS = ("sum", "mean")

PERCEPTUAL_PARAMS = declare(
    Param("perceptual_reduction", str, "sum", "L1 of the pixels and of each VGG16 feature map summed over "
          "its elements (authors' GLF code) or averaged (NAM's code)", choices=REDUCTIONS),
    Param("perceptual_activation", str, "conv", "VGG16 features as the authors' code takes them (levels "
          "before the deepest after their ReLU, the deepest before it), all before the ReLU or all after it",
          choices=ACTIVATIONS),
    Param("perceptual_input", str, "imagenet", "what the VGG and the pixel term see: the authors' values "
          "(grayscale mapped to [-1, 1] and repeated to 3 channels, colour ImageNet-normalised) or "
          "ImageNet-normalised VGG input with the pixel term on the [0, 1] images", choices=INPUTS),
    Param("vgg_weights", str, None, "VGG16 weights file (default $GLF_VGG16_WEIGHTS or torch.hub's cache)",
          nullable=True),
    Param("vgg_sha256", str, VGG16_SHA256, "SHA-256 of the VGG16 weights file (other files: tests only)"),
    Param("vgg_download", bool, False, "download missing VGG16 weights (needs internet)"),
)


def default_weights_path() -> Path:
    """``$GLF_VGG16_WEIGHTS`` if set, else torch.hub's cache file for torchvision's VGG16."""
    if os.environ.get(WEIGHTS_ENV):
        return Path(os.environ[WEIGHTS_ENV])
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(VGG16_URL).name


def verified_weights(path: str | Path | None = None, sha256: str = VGG16_SHA256,
                     download: bool = False) -> Path:
    """Return the path of a VGG16 state_dict file whose SHA-256 equals ``sha256``.

    ``path`` defaults to :func:`default_weights_path`.  A missing file is downloaded from
    torchvision's URL when ``download`` is true, otherwise it raises :class:`WeightsError` saying
    where to get it and where to put it; a checksum mismatch raises naming both hashes.
    """
    return pinned_file(path if path is not None else default_weights_path(), VGG16_URL, sha256, download,
                       f"point the environment variable {WEIGHTS_ENV} (or the model param 'vgg_weights') "
                       f"at the file, or set the model param 'vgg_download: true'")


def stage_ends(levels: int, activation: str) -> tuple[int, ...]:
    """Exclusive ends in ``vgg16.features`` of the first ``levels`` feature stages: at the ReLU
    after each feature layer (``"relu"``), at the layer itself (``"conv"``), or at the ReLU for
    every level but the deepest, which ends at its layer (``"authors"``)."""
    if not 1 <= levels <= len(STAGE_ENDS):
        raise ValueError(f"levels must be in 1..{len(STAGE_ENDS)}, got {levels}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"perceptual activation must be one of {ACTIVATIONS}, got {activation!r}")
    relu = STAGE_ENDS[:levels]
    conv = tuple(end - 1 for end in relu)
    return {"relu": relu, "conv": conv, "authors": relu[:-1] + conv[-1:]}[activation]


def load_vgg16_stages(path: str | Path | None = None, sha256: str = VGG16_SHA256, download: bool = False,
                      levels: int = 3, activation: str = PERCEPTUAL_PARAMS["perceptual_activation"].default
                      ) -> nn.ModuleList:
    """Load the verified VGG16 weights and return its first ``levels`` feature stages (frozen,
    eval mode, ReLUs not in place, so a stage never overwrites the previous stage's output); stage
    ``k`` maps the previous stage's output to the feature map of level ``k`` (:func:`stage_ends`)."""
    ends = stage_ends(levels, activation)
    weights = verified_weights(path, sha256, download)
    state = torch.load(weights, map_location="cpu", weights_only=True, mmap=True)
    with torch.device("meta"):  # skip initialising weights that are overwritten right away
        features = torchvision.models.vgg16(weights=None).features
    features.to_empty(device="cpu").load_state_dict({k.removeprefix("features."): v for k, v in state.items()
                              if k.startswith("features.")})
    for layer in features:
        if isinstance(layer, nn.ReLU):
            layer.inplace = False
    starts = (0,) + ends[:-1]
    stages = nn.ModuleList(features[a:b] for a, b in zip(starts, ends))
    stages.requires_grad_(False)
    return stages.eval()


def _l1(a: torch.Tensor, b: torch.Tensor, reduction: str) -> torch.Tensor:
    """Per-image L1 distance ``(B,)`` of ``a, b (B, ...)``, summed or averaged over the elements."""
    distance = (a - b).abs().flatten(1)
    return distance.sum(dim=1) if reduction == "sum" else distance.mean(dim=1)


class PerceptualLoss(nn.Module):
    """``loss(x_hat, x)``: per image, the L1 distance of pixels plus of each VGG16 feature map,
    each summed (``reduction="sum"``, the authors' GLF code) or averaged (``"mean"``, NAM's code)
    over its elements, added over those terms and averaged over the batch; images ``(B, C, S, S)``
    in [0, 1] with C in {1, 3} -> scalar.  Uses 4 feature levels at ``image_size >= 64``, else 3,
    taken as ``activation`` says, on the values ``inputs`` says (see the module)."""

    def __init__(self, image_size: int, weights: str | Path | None = None, sha256: str = VGG16_SHA256,
                 download: bool = False, reduction: str = PERCEPTUAL_PARAMS["perceptual_reduction"].default,
                 activation: str = PERCEPTUAL_PARAMS["perceptual_activation"].default,
                 inputs: str = PERCEPTUAL_PARAMS["perceptual_input"].default):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"perceptual reduction must be one of {REDUCTIONS}, got {reduction!r}")
        if inputs not in INPUTS:
            raise ValueError(f"perceptual input must be one of {INPUTS}, got {inputs!r}")
        self.reduction, self.activation, self.inputs = reduction, activation, inputs
        self.levels = 4 if image_size >= 64 else 3
        self.weights, self.sha256, self.download = weights, sha256, download
        self._stages: tuple[nn.ModuleList, ...] = ()  # a tuple, so the VGG is no registered child
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def stages(self, device: torch.device) -> nn.ModuleList:
        """The frozen VGG16 stages on ``device`` (loaded and verified on first use)."""
        if not self._stages:
            self._stages = (load_vgg16_stages(self.weights, self.sha256, self.download, self.levels,
                                              self.activation),)
        return self._stages[0].to(device)

    def vgg_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the VGG sees of images ``x (B, C, S, S)`` in [0, 1]: ``(B, 3, S, S)``, grayscale
        repeated; ImageNet-normalised, except grayscale mapped to [-1, 1] under ``inputs="authors"``."""
        if x.shape[1] not in (1, 3):
            raise ValueError(f"perceptual loss needs 1 or 3 channels, got images of shape {tuple(x.shape)}")
        if self.inputs == "authors" and x.shape[1] == 1:
            return (2 * x - 1).expand(-1, 3, -1, -1)
        return (x.expand(-1, 3, -1, -1) - self.mean) / self.std

    def feature_maps(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        """The VGG16 feature maps of images ``x (B, C, S, S)`` in [0, 1], shallowest first: one
        ``(B, C_k, S_k, S_k)`` per level (64, 128, 256, 512 channels at 1, 1/2, 1/4, 1/8 the size)."""
        z = self.vgg_input(x)
        for stage in self.stages(x.device):
            z = stage(z)
            yield z

    def forward(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        pixels = (self.vgg_input(x_hat), self.vgg_input(x)) if self.inputs == "authors" else (x_hat, x)
        per_image = _l1(*pixels, self.reduction)
        for a, b in zip(self.feature_maps(x_hat), self.feature_maps(x)):
            per_image = per_image + _l1(a, b, self.reduction)
        return per_image.mean()


def perceptual_loss_from_spec(spec: ModelSpec) -> PerceptualLoss:
    """The perceptual loss a method's :data:`PERCEPTUAL_PARAMS` ask for."""
    return PerceptualLoss(spec.image_size, weights=spec.param("vgg_weights"), sha256=spec.param("vgg_sha256"),
                          download=bool(spec.param("vgg_download")),
                          reduction=spec.param("perceptual_reduction"),
                          activation=spec.param("perceptual_activation"), inputs=spec.param("perceptual_input"))
