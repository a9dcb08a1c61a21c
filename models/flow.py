"""RealNVP flow of the paper (authors' code): affine couplings with an atan soft clamp."""
from __future__ import annotations

import math

import torch
from torch import nn

SCALE_CLAMP = 2 * 0.636  # s = exp(SCALE_CLAMP * atan(raw)), so |log s| < 2


class CouplingNet(nn.Module):
    """s/t network: Linear, ReLU, BN, Linear, ReLU, BN, Linear; ``(B, d_in)`` -> ``(B, 2 * d_out)``."""

    def __init__(self, d_in: int, d_out: int, width: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, width), nn.ReLU(), nn.BatchNorm1d(width),
            nn.Linear(width, width), nn.ReLU(), nn.BatchNorm1d(width),
            nn.Linear(width, 2 * d_out),
        )

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raw_scale, shift = self.net(h).chunk(2, dim=1)
        return SCALE_CLAMP * torch.atan(raw_scale), shift


class AffineCoupling(nn.Module):
    """Transforms one half of the input conditioned on the other half."""

    def __init__(self, dim: int, width: int, transform_first: bool):
        super().__init__()
        self.split = dim // 2
        self.transform_first = transform_first
        first, second = self.split, dim - self.split
        d_cond, d_out = (second, first) if transform_first else (first, second)
        self.net = CouplingNet(d_cond, d_out, width)

    def _halves(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = x[:, : self.split], x[:, self.split:]
        return (b, a) if self.transform_first else (a, b)  # (conditioning, transformed)

    def _join(self, cond: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return torch.cat([out, cond] if self.transform_first else [cond, out], dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(y, log|det dy/dx|)`` with shapes ``(B, D)`` and ``(B,)``."""
        cond, target = self._halves(x)
        log_s, t = self.net(cond)
        return self._join(cond, target * torch.exp(log_s) + t), log_s.sum(dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        cond, target = self._halves(y)
        log_s, t = self.net(cond)
        return self._join(cond, (target - t) * torch.exp(-log_s))


class RealNVP(nn.Module):
    """``blocks`` blocks of two couplings (both halves), each followed by a fixed random permutation.

    ``forward`` maps latents ``z (B, D)`` to noise ``eps (B, D)`` and returns the log-determinant
    ``(B,)``; ``inverse`` maps noise back to latents.
    """

    def __init__(self, dim: int, width: int, blocks: int = 4, permutation_seed: int = 0):
        super().__init__()
        if dim < 2:
            raise ValueError(f"a coupling flow needs at least 2 dimensions, got {dim}")
        self.dim = dim
        self.couplings = nn.ModuleList(
            AffineCoupling(dim, width, transform_first=bool(i % 2)) for i in range(2 * blocks)
        )
        gen = torch.Generator().manual_seed(permutation_seed)
        perms = torch.stack([torch.randperm(dim, generator=gen) for _ in range(blocks)])
        self.register_buffer("permutations", perms)
        self.register_buffer("inverse_permutations", torch.argsort(perms, dim=1))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_det = z.new_zeros(z.shape[0])
        h = z
        for block, perm in enumerate(self.permutations):
            for coupling in self.couplings[2 * block: 2 * block + 2]:
                h, ld = coupling(h)
                log_det = log_det + ld
            h = h[:, perm]
        return h, log_det

    def inverse(self, eps: torch.Tensor) -> torch.Tensor:
        h = eps
        for block in reversed(range(len(self.permutations))):
            h = h[:, self.inverse_permutations[block]]
            for coupling in reversed(self.couplings[2 * block: 2 * block + 2]):
                h = coupling.inverse(h)
        return h

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """Return log p(z) ``(B,)`` under the flow with a standard normal base."""
        return self.log_prob_from(*self(z))

    @staticmethod
    def log_prob_from(eps: torch.Tensor, log_det: torch.Tensor) -> torch.Tensor:
        """log p(z) ``(B,)`` from an already computed forward pass ``(eps, log_det)``."""
        return standard_normal_log_prob(eps) + log_det

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` latents ``(n, D)``: eps ~ N(0, I), z = F^-1(eps)."""
        device = self.permutations.device
        eps = torch.randn(n, self.dim, generator=generator, device=device)
        return self.inverse(eps)


def standard_normal_log_prob(x: torch.Tensor) -> torch.Tensor:
    """Return log N(x; 0, I) summed over the last dimension: ``(B, D)`` -> ``(B,)``."""
    return -0.5 * (x.pow(2).sum(dim=1) + x.shape[1] * math.log(2 * math.pi))
