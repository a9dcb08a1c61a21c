"""RealNVP flow of the paper (authors' code): affine couplings with an atan soft clamp.

As FrEIA's ``RNVPCouplingBlock`` (used by the authors), each coupling has separate s and t
subnets by default (``subnets="separate"``, 4 subnets per block); ``"joint"`` uses one net with
both outputs.  The authors initialise every flow parameter, BatchNorm included, from N(0, 0.05)
(``init_std``; ``None`` keeps PyTorch's default initialisation).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from models.params import Param, declare

SCALE_CLAMP = 2 * 0.636  # s = exp(SCALE_CLAMP * atan(raw)), so |log s| < 2
SUBNETS = ("separate", "joint")
AUTHORS_INIT_STD = 0.05

FLOW_PARAMS = declare(
    Param("flow_blocks", int, 4, "RealNVP blocks (2 couplings each)"),
    Param("flow_subnets", str, "separate", "separate s and t subnets per coupling (FrEIA, authors) or one "
          "joint net", choices=SUBNETS),
    Param("flow_init_std", float, AUTHORS_INIT_STD, "std of the N(0, std) init of every flow parameter "
          "(authors: 0.05); null keeps PyTorch's default init", nullable=True),
)


def subnet(d_in: int, d_out: int, width: int) -> nn.Sequential:
    """Linear, ReLU, BN, Linear, ReLU, BN, Linear: ``(B, d_in)`` -> ``(B, d_out)``."""
    return nn.Sequential(
        nn.Linear(d_in, width), nn.ReLU(), nn.BatchNorm1d(width),
        nn.Linear(width, width), nn.ReLU(), nn.BatchNorm1d(width),
        nn.Linear(width, d_out),
    )


class CouplingNet(nn.Module):
    """s and t of one coupling, ``(B, d_in)`` -> (log s, t), each ``(B, d_out)``: two subnets
    (``separate=True``) or one subnet with ``2 * d_out`` outputs."""

    def __init__(self, d_in: int, d_out: int, width: int, separate: bool = True):
        super().__init__()
        self.separate = separate
        if separate:
            self.scale, self.shift = subnet(d_in, d_out, width), subnet(d_in, d_out, width)
        else:
            self.net = subnet(d_in, 2 * d_out, width)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.separate:
            raw_scale, shift = self.scale(h), self.shift(h)
        else:
            raw_scale, shift = self.net(h).chunk(2, dim=1)
        return SCALE_CLAMP * torch.atan(raw_scale), shift


class AffineCoupling(nn.Module):
    """Transforms one half of the input conditioned on the other half."""

    def __init__(self, dim: int, width: int, transform_first: bool, separate: bool = True):
        super().__init__()
        self.split = dim // 2
        self.transform_first = transform_first
        first, second = self.split, dim - self.split
        d_cond, d_out = (second, first) if transform_first else (first, second)
        self.net = CouplingNet(d_cond, d_out, width, separate)

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
    ``(B,)``; ``inverse`` maps noise back to latents.  ``subnets`` and ``init_std``: see the module.
    """

    def __init__(self, dim: int, width: int, blocks: int = 4, permutation_seed: int = 0,
                 subnets: str = "separate", init_std: float | None = AUTHORS_INIT_STD):
        super().__init__()
        if dim < 2:
            raise ValueError(f"a coupling flow needs at least 2 dimensions, got {dim}")
        if subnets not in SUBNETS:
            raise ValueError(f"flow subnets must be one of {SUBNETS}, got {subnets!r}")
        self.dim = dim
        self.couplings = nn.ModuleList(
            AffineCoupling(dim, width, transform_first=bool(i % 2), separate=subnets == "separate")
            for i in range(2 * blocks)
        )
        if init_std is not None:
            for parameter in self.couplings.parameters():
                nn.init.normal_(parameter, 0.0, init_std)
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


def flow_from_spec(spec) -> RealNVP:
    """The RealNVP a method's spec asks for (``spec.latent_dim``, ``spec.flow_width`` and the
    :data:`FLOW_PARAMS`)."""
    init_std = spec.param("flow_init_std")
    return RealNVP(spec.latent_dim, spec.flow_width, blocks=spec.param("flow_blocks"),
                   subnets=spec.param("flow_subnets"), init_std=None if init_std is None else float(init_std))
