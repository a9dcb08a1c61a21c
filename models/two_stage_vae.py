"""Two-Stage VAE (Dai & Wipf 2019): an image VAE with learned decoder variance, then a second VAE
fitted on its latents."""
from __future__ import annotations

import torch
from torch import nn

from models.base import ModelSpec, Trainable
from models.gaussian import (
    GaussianLikelihood,
    kl_to_standard_normal,
    reparameterize,
    split_mean_logvar,
)
from models.vae import VAE

SECOND_STAGE_DEPTH = 3  # hidden FC layers per network, as in the authors' code


class SkipMLP(nn.Module):
    """``depth`` FC+ReLU layers of ``width``, then a linear layer on [input, hidden]
    (the authors' second-stage networks): ``(B, d_in)`` -> ``(B, d_out)``."""

    def __init__(self, d_in: int, d_out: int, width: int, depth: int = SECOND_STAGE_DEPTH):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(d_in if i == 0 else width, width), nn.ReLU()]
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(d_in + width, d_out)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([h, self.hidden(h)], dim=1))


class LatentVAE(Trainable):
    """Second-stage VAE on latent vectors ``(B, dim)``: MLP encoder to (mean, logvar) of u, MLP
    decoder to the mean of z, learned scalar variance gamma_z.  Logs ``loss``, ``recon``, ``kl``,
    ``gamma``.  ``steps_trained`` (a buffer, saved with the weights) counts its optimisation steps."""

    def __init__(self, dim: int, width: int):
        super().__init__()
        self.encoder = SkipMLP(dim, 2 * dim, width)
        self.decoder = SkipMLP(dim, dim, width)
        self.likelihood = GaussianLikelihood(learn_variance=True)
        self.register_buffer("steps_trained", torch.zeros((), dtype=torch.long))

    def losses(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        mean, logvar = split_mean_logvar(self.encoder(z))
        kl = kl_to_standard_normal(mean, logvar).mean()
        recon_term, logged = self.likelihood(self.decoder(reparameterize(mean, logvar)), z)
        return {"loss": recon_term + kl, **logged, "kl": kl}

    def train_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        logged = super().train_step(batch, optimizers, index)
        self.steps_trained += 1
        return logged


class TwoStageVAE(VAE):
    """Stage 1: :class:`models.vae.VAE` with a learned decoder variance gamma (``learn_variance``
    defaults to true).  Stage 2 (``second_stage = "train"``): :meth:`second_stage_module`, a
    :class:`LatentVAE` with MLPs of width ``second_stage_width`` (default 1024, 3 hidden layers)
    trained on :meth:`training_latents`, the stage-1 posterior means (the authors' code draws a
    fresh posterior sample of each image every epoch instead).

    Sampling: u ~ N(0, I) -> stage-2 decoder mean -> z -> stage-1 decoder.  Until the second stage
    has taken a training step, samples are those of the stage-1 VAE (z ~ N(0, I)).
    The paper's training settings (batch 100, Adam lr 1e-4 in both stages) come from the config.
    """

    second_stage = "train"
    default_learn_variance = True

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.latent_vae = LatentVAE(spec.latent_dim, int(spec.param("second_stage_width", 1024)))

    def second_stage_module(self) -> LatentVAE:
        return self.latent_vae

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        if self.latent_vae.steps_trained == 0:
            return eps
        return self.latent_vae.decoder(eps)
