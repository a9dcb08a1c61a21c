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
from models.params import Param, declare
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
    """Second-stage VAE on latent vectors z ``(B, dim)``: MLP encoder to (mean, logvar) of u, MLP
    decoder to the mean of z, learned scalar variance gamma_z.  Logs ``loss``, ``recon``, ``kl``,
    ``gamma``.  ``steps_trained`` (a buffer, saved with the weights) counts its optimisation steps.

    With ``sampled_input`` its training rows are stage-1 posteriors ``(B, 2 * dim)`` (mean,
    logvar) and each step draws fresh targets z = mu + sigma * eps (Dai & Wipf's code: a new z
    every epoch); otherwise the rows are the targets z themselves."""

    def __init__(self, dim: int, width: int, sampled_input: bool = True):
        super().__init__()
        self.sampled_input = sampled_input
        self.encoder = SkipMLP(dim, 2 * dim, width)
        self.decoder = SkipMLP(dim, dim, width)
        self.likelihood = GaussianLikelihood(learn_variance=True)
        self.register_buffer("steps_trained", torch.zeros((), dtype=torch.long))

    def targets(self, rows: torch.Tensor) -> torch.Tensor:
        """The latents z ``(B, dim)`` a step fits: a fresh posterior sample of each row, or the row."""
        return reparameterize(*split_mean_logvar(rows)) if self.sampled_input else rows

    def gamma(self) -> torch.Tensor:
        """The learned decoder standard deviation gamma_z (scalar)."""
        return self.likelihood.log_gamma.exp()

    def losses(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.targets(rows)
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
    trained on :meth:`training_latents`: with ``stage2_latents: sampled`` (default, Dai & Wipf's
    code) the stage-1 posteriors, from which each step draws fresh z; with ``mean`` the posterior
    means.

    Sampling: u ~ N(0, I) -> stage-2 decoder mean, plus gamma_z * N(0, I) noise when
    ``stage2_sample_noise`` (default true, Dai & Wipf's code) -> z -> stage-1 decoder.  Until the
    second stage has taken a training step, samples are those of the stage-1 VAE (z ~ N(0, I)).
    The training settings (batch 100, Adam lr 1e-4, the LR halvings) come from the preset.
    """

    second_stage = "train"
    sampling = "eval"  # Dai & Wipf's generate(): is_training False, sigmoid output as is
    declared_params = {**VAE.declared_params, **declare(
        Param("learn_variance", bool, True, "learn the stage-1 decoder variance gamma (Two-Stage VAE: true)"),
        Param("second_stage_width", int, 1024, "width of the stage-2 MLPs"),
        Param("stage2_latents", str, "sampled", "stage 2 trains on fresh posterior samples z = mu + sigma*eps "
              "(Dai & Wipf) or on the posterior means", choices=("sampled", "mean")),
        Param("stage2_sample_noise", bool, True, "sampling adds the stage-2 decoder's gamma_z noise (Dai & Wipf)"),
    )}

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.latent_vae = LatentVAE(spec.latent_dim, int(self.spec.param("second_stage_width")),
                                    sampled_input=self.spec.param("stage2_latents") == "sampled")

    def second_stage_module(self) -> LatentVAE:
        return self.latent_vae

    @torch.no_grad()
    def training_latents(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Stage-2 training rows of the uint8 training images ``(N, C, S, S)``: posterior
        (mean, logvar) ``(N, 2 * latent_dim)`` with ``stage2_latents: sampled``, else the means
        ``(N, latent_dim)`` (eval mode)."""
        if not self.latent_vae.sampled_input:
            return super().training_latents(images, batch_size)
        return self.map_images(self.encoder, images, batch_size)

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        if self.latent_vae.steps_trained == 0:
            return eps
        return self.latent_vae.decoder(eps)

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = super().sample_latents(n, generator)
        if self.latent_vae.steps_trained == 0 or not self.spec.param("stage2_sample_noise"):
            return z
        return z + self.latent_vae.gamma() * torch.randn(z.shape, generator=generator, device=z.device)
