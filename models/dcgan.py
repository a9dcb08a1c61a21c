"""The DCGAN-style auto-encoder of the paper's CelebA-HQ samples (Figures 2e and 6).

The paper names the network "DCGAN-like" and gives no layers, so both halves follow the DCGAN
paper (Radford et al. 2016): the decoder is its generator (a linear "project and reshape" to
4x4, then 4x4 transposed convolutions with stride 2, each doubling the size and halving the
channels, BatchNorm and ReLU, no activation function but the output's), the encoder its
discriminator (4x4 convolutions with stride 2, LeakyReLU 0.2, BatchNorm on every layer but the
first) ending in a linear layer to the latent code.  ``width`` is the channel count at 4x4
(DCGAN: 1024); the decoder's output is a sigmoid, the [0, 1] images of every other network here.
"""
from __future__ import annotations

import torch
from torch import nn

from models.architecture import AUTOENCODER_PARAMS, init_weights, output_layer


def halvings(image_size: int) -> int:
    """How many stride-2 layers take ``image_size`` down to 4 (``image_size`` = 4 * 2^k, k >= 1)."""
    levels = (image_size // 4).bit_length() - 1
    if image_size < 8 or 4 << levels != image_size:
        raise ValueError(f"the DCGAN auto-encoder needs an image size of 4 * 2^k (8, 16, ..., 256), got {image_size}")
    return levels


def _channels(width: int, level: int) -> int:
    """Channels ``level`` doublings of the size above 4x4: ``width`` halved ``level`` times, at least 1."""
    return max(width >> level, 1)


class DCGANEncoder(nn.Module):
    """x ``(B, C, S, S)`` in [0, 1] -> ``(B, out_dim)``: convolutions halving the size to 4x4, then a linear layer."""

    def __init__(self, channels: int, image_size: int, out_dim: int, width: int,
                 batchnorm_init: str = AUTOENCODER_PARAMS["batchnorm_init"].default):
        super().__init__()
        levels = halvings(image_size)
        layers: list[nn.Module] = []
        c_in = channels
        for index in range(levels):
            c_out = _channels(width, levels - 1 - index)
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1))
            if index:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2))
            c_in = c_out
        layers += [nn.Flatten(), nn.Linear(c_in * 16, out_dim)]
        self.net = nn.Sequential(*layers)
        init_weights(self, batchnorm_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class DCGANDecoder(nn.Module):
    """z ``(B, latent)`` -> images ``(B, C, S, S)`` in [0, 1]: project to ``width`` x 4 x 4, then
    transposed convolutions doubling the size up to ``S``, then the ``output`` layer
    (:func:`models.architecture.output_layer`)."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int,
                 output: str = AUTOENCODER_PARAMS["decoder_output"].default,
                 batchnorm_init: str = AUTOENCODER_PARAMS["batchnorm_init"].default):
        super().__init__()
        levels = halvings(image_size)
        layers: list[nn.Module] = [nn.Linear(latent_dim, width * 16), nn.BatchNorm1d(width * 16), nn.ReLU(),
                                   nn.Unflatten(1, (width, 4, 4))]
        c_in = width
        for index in range(levels):
            last = index == levels - 1
            c_out = channels if last else _channels(width, index + 1)
            layers.append(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1))
            layers += [output_layer(output)] if last else [nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        self.net = nn.Sequential(*layers)
        init_weights(self, batchnorm_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)
