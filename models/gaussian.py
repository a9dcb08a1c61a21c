"""Diagonal-Gaussian pieces shared by the VAE family: the encoder's posterior parameters,
reparameterised sampling, KL to N(0, I), entropy, log-density, and the Gaussian decoder likelihood
with a fixed (``beta``) or learned (Two-Stage VAE's ``gamma``) variance."""
from __future__ import annotations

import math

import torch
from torch import nn

from models.base import reconstruction_loss

LOG_2PI = math.log(2 * math.pi)


def split_mean_logvar(params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split encoder outputs ``(B, 2D)`` into posterior mean and log-variance, each ``(B, D)``."""
    if params.shape[-1] % 2:
        raise ValueError(f"posterior parameters need an even last dimension (mean, log-variance), "
                         f"got shape {tuple(params.shape)}; build the encoder with out_dim = 2 * latent_dim")
    mean, logvar = params.chunk(2, dim=-1)
    return mean, logvar


def reparameterize(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """One differentiable sample ``(B, D)`` of N(mean, exp(logvar))."""
    return mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)


def kl_to_standard_normal(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) per row: ``(B, D)`` x2 -> ``(B,)``."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)


def gaussian_entropy(logvar: torch.Tensor) -> torch.Tensor:
    """Entropy of N(., exp(logvar)) per row: ``(B, D)`` -> ``(B,)``."""
    return 0.5 * (logvar + 1 + LOG_2PI).sum(dim=-1)


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, exp(logvar)) summed over the last dimension: ``(B, D)`` x3 -> ``(B,)``."""
    return -0.5 * ((x - mean).pow(2) * torch.exp(-logvar) + logvar + LOG_2PI).sum(dim=-1)


class GaussianLikelihood(nn.Module):
    """Reconstruction term of a Gaussian decoder p(x|z) = N(x_hat, gamma^2 I), per item averaged
    over the batch.

    Fixed variance (``learn_variance=False``): the term is ``beta * SSE`` with SSE the squared error
    summed per item, exactly GLF's ``beta * recon`` (so beta = 1 matches GLF's MSE sum).  It is the
    Gaussian negative log-likelihood with gamma^2 = 1 / (2 beta), less its constant log-normaliser.

    Learned variance (``learn_variance=True``, a scalar ``log_gamma`` initialised to 0 as in
    Two-Stage VAE): the full negative log-likelihood ``SSE / (2 gamma^2) + D log gamma + D/2 log 2pi``
    with D the number of values per item; ``beta`` is then unused.
    """

    def __init__(self, beta: float = 1.0, learn_variance: bool = False):
        super().__init__()
        if not beta > 0:
            raise ValueError(f"decoder precision beta must be > 0, got {beta}; set params.beta to a positive number")
        self.beta = float(beta)
        self.log_gamma = nn.Parameter(torch.zeros(())) if learn_variance else None

    def forward(self, x_hat: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Return the scalar loss term for ``x_hat, x (B, ...)`` and the values to log: ``recon``
        (SSE per item, batch mean) and, when learned, ``gamma``."""
        sse = reconstruction_loss(x_hat, x)
        if self.log_gamma is None:
            return self.beta * sse, {"recon": sse}
        dim = x[0].numel()
        nll = 0.5 * sse * torch.exp(-2 * self.log_gamma) + dim * (self.log_gamma + 0.5 * LOG_2PI)
        return nll, {"recon": sse, "gamma": self.log_gamma.exp()}
