"""The InfoGAN auto-encoder of the paper (Appendix A, Table 3) for 28, 32 and 64 pixel images.

Every method builds its encoder and decoder here, from the two shared params of
:data:`AUTOENCODER_PARAMS` (declared by every method, so the paper's one-architecture rule holds and
the sensitivity table can vary them): the decoder's output layer and the batch-norm initialisation.
Their defaults are the authors' (nalzok/flow-comparison 99e8094, ``AE/convAE_infoGAN.py``):
``decode`` ends in ``nn.Tanh()`` and, for the MSE loss, ``output * 0.5 + 0.5`` (= sigmoid(2a));
``initialize_weights`` draws conv/linear weights from N(0, 0.02) with zero biases and leaves
batch-norm scales at PyTorch's 1.
"""
from __future__ import annotations

import torch
from torch import nn

from models.params import Param, declare

DECODER_OUTPUTS = ("tanh", "sigmoid")
BATCHNORM_INITS = ("ones", "normal")
AUTOENCODER_PARAMS = declare(
    Param("decoder_output", str, "tanh",
          "decoder output layer: tanh then x0.5+0.5 (authors' convAE_infoGAN.py) or sigmoid",
          choices=DECODER_OUTPUTS),
    Param("batchnorm_init", str, "ones",
          "batch-norm scales at 1 (authors: PyTorch's default) or drawn from N(1, 0.02)",
          choices=BATCHNORM_INITS),
)


def init_weights(module: nn.Module, batchnorm_init: str) -> None:
    """Initialise conv/linear weights from N(0, 0.02) and biases to 0; batch-norm scales at 1
    (``"ones"``, the authors') or from N(1, 0.02) (``"normal"``), batch-norm shifts at 0."""
    if batchnorm_init not in BATCHNORM_INITS:
        raise ValueError(f"batchnorm_init must be one of {BATCHNORM_INITS}, got {batchnorm_init!r}")
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            if batchnorm_init == "normal":
                nn.init.normal_(m.weight, 1.0, 0.02)
            else:
                nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class HalfTanh(nn.Module):
    """``0.5 * tanh(a) + 0.5``: the authors' decoder output (``Tanh`` then ``* 0.5 + 0.5``), in [0, 1]."""

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return torch.tanh(a) * 0.5 + 0.5


def output_layer(kind: str) -> nn.Module:
    """The decoder's last layer for ``kind`` (:data:`DECODER_OUTPUTS`): :class:`HalfTanh` or ``nn.Sigmoid``."""
    if kind not in DECODER_OUTPUTS:
        raise ValueError(f"decoder_output must be one of {DECODER_OUTPUTS}, got {kind!r}")
    return HalfTanh() if kind == "tanh" else nn.Sigmoid()


def _check_size(image_size: int) -> int:
    if image_size % 4:
        raise ValueError(f"image size {image_size} must be divisible by 4 (paper sizes: 28, 32, 64)")
    return image_size // 4


class Encoder(nn.Module):
    """x ``(B, C, S, S)`` in [0, 1] -> features ``(B, out_dim)`` (``out_dim`` = latent, or 2*latent for a VAE)."""

    def __init__(self, channels: int, image_size: int, out_dim: int,
                 batchnorm_init: str = AUTOENCODER_PARAMS["batchnorm_init"].default):
        super().__init__()
        side = _check_size(image_size)
        self.net = nn.Sequential(
            nn.Conv2d(channels, 64, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(128 * side * side, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, out_dim),
        )
        init_weights(self, batchnorm_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """z ``(B, latent)`` -> images ``(B, C, S, S)`` in [0, 1] (``output``: see :func:`output_layer`)."""

    def __init__(self, channels: int, image_size: int, latent_dim: int,
                 output: str = AUTOENCODER_PARAMS["decoder_output"].default,
                 batchnorm_init: str = AUTOENCODER_PARAMS["batchnorm_init"].default):
        super().__init__()
        side = _check_size(image_size)
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, 128 * side * side), nn.BatchNorm1d(128 * side * side), nn.ReLU(),
            nn.Unflatten(1, (128, side, side)),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, channels, 4, 2, 1), output_layer(output),
        )
        init_weights(self, batchnorm_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def encoder_from_spec(spec, out_dim: int) -> Encoder:
    """The encoder of a method's ``spec`` (a :class:`models.base.ModelSpec` whose method declares
    :data:`AUTOENCODER_PARAMS`), mapping images to ``(B, out_dim)``."""
    return Encoder(spec.channels, spec.image_size, out_dim, spec.param("batchnorm_init"))


def decoder_from_spec(spec) -> Decoder:
    """The decoder of a method's ``spec``, mapping ``(B, spec.latent_dim)`` to images in [0, 1]."""
    return Decoder(spec.channels, spec.image_size, spec.latent_dim, spec.param("decoder_output"),
                   spec.param("batchnorm_init"))


def _describe(layer: nn.Module) -> str:
    if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
        kind = "Conv" if isinstance(layer, nn.Conv2d) else "Deconv"
        return (f"{kind}({layer.in_channels}->{layer.out_channels}, k{layer.kernel_size[0]}, "
                f"s{layer.stride[0]}, p{layer.padding[0]})")
    if isinstance(layer, nn.Linear):
        return f"FC({layer.in_features}->{layer.out_features})"
    if isinstance(layer, nn.BatchNorm1d | nn.BatchNorm2d):
        return "BN"
    if isinstance(layer, HalfTanh):
        return "Tanh, x0.5+0.5"
    if isinstance(layer, nn.Unflatten):
        return f"Reshape{tuple(layer.unflattened_size)}"
    return type(layer).__name__


def architecture_rows(channels: int, image_size: int, latent_dim: int) -> list[dict]:
    """Return Table 3 as rows ``{part, index, layer, output_shape}`` read off the real modules
    by running a dummy batch through them (output shapes exclude the batch dimension)."""
    rows = []
    parts = {
        "encoder": (Encoder(channels, image_size, latent_dim), torch.zeros(2, channels, image_size, image_size)),
        "decoder": (Decoder(channels, image_size, latent_dim), torch.zeros(2, latent_dim)),
    }
    for part, (module, h) in parts.items():
        module.eval()
        with torch.no_grad():
            for index, layer in enumerate(module.net):
                h = layer(h)
                rows.append({"part": part, "index": index, "layer": _describe(layer),
                             "output_shape": "x".join(str(d) for d in h.shape[1:])})
    return rows
