"""The InfoGAN auto-encoder of the paper (Appendix A, Table 3) for 28, 32 and 64 pixel images."""
from __future__ import annotations

import torch
from torch import nn


def init_weights(module: nn.Module) -> None:
    """Initialise conv/linear weights from N(0, 0.02) and biases to 0; BatchNorm scales from N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _check_size(image_size: int) -> int:
    if image_size % 4:
        raise ValueError(f"image size {image_size} must be divisible by 4 (paper sizes: 28, 32, 64)")
    return image_size // 4


class Encoder(nn.Module):
    """x ``(B, C, S, S)`` in [0, 1] -> features ``(B, out_dim)`` (``out_dim`` = latent, or 2*latent for a VAE)."""

    def __init__(self, channels: int, image_size: int, out_dim: int):
        super().__init__()
        side = _check_size(image_size)
        self.net = nn.Sequential(
            nn.Conv2d(channels, 64, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(128 * side * side, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, out_dim),
        )
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """z ``(B, latent)`` -> images ``(B, C, S, S)`` in [0, 1] (sigmoid output)."""

    def __init__(self, channels: int, image_size: int, latent_dim: int):
        super().__init__()
        side = _check_size(image_size)
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, 128 * side * side), nn.BatchNorm1d(128 * side * side), nn.ReLU(),
            nn.Unflatten(1, (128, side, side)),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, channels, 4, 2, 1), nn.Sigmoid(),
        )
        init_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def _describe(layer: nn.Module) -> str:
    if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
        kind = "Conv" if isinstance(layer, nn.Conv2d) else "Deconv"
        return (f"{kind}({layer.in_channels}->{layer.out_channels}, k{layer.kernel_size[0]}, "
                f"s{layer.stride[0]}, p{layer.padding[0]})")
    if isinstance(layer, nn.Linear):
        return f"FC({layer.in_features}->{layer.out_features})"
    if isinstance(layer, nn.BatchNorm1d | nn.BatchNorm2d):
        return "BN"
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
