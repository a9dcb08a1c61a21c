"""Two-Stage VAE (Dai & Wipf 2019): an image VAE with learned decoder variance, then a second VAE
fitted on its latents."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

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
SOFTPLUS_SD_FLOOR = 1e-6  # Dai & Wipf's InfoGAN encoder: sd = 1e-6 + softplus(output)
STAGE2_NETWORKS = ("dai_wipf", "torch_default")


class SkipMLP(nn.Module):
    """``depth`` FC+ReLU layers of ``width``, then a linear layer on [input, hidden]
    (the authors' second-stage networks): ``(B, d_in)`` -> ``(B, d_out)``."""

    def __init__(self, d_in: int, d_out: int, width: int, depth: int = SECOND_STAGE_DEPTH,
                 glorot: bool = True):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(d_in if i == 0 else width, width), nn.ReLU()]
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(d_in + width, d_out)
        if glorot:  # tf.layers.dense's defaults, as in Dai & Wipf's code; else PyTorch's Linear init
            for layer in self.modules():
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_uniform_(layer.weight)
                    nn.init.zeros_(layer.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([h, self.hidden(h)], dim=1))


class LatentVAE(Trainable):
    """Second-stage VAE on latent vectors z ``(B, dim)``: MLP encoder to the mean and scale of u,
    MLP decoder to the mean of z, learned scalar gamma_z = exp(log gamma_z) (log gamma_z starts at
    0 and is trained by the same Adam, at the stage's learning rate, as the networks: Dai & Wipf's
    code).  Logs ``loss``, ``recon``, ``kl`` (the stage-2 KL, nats per item) and ``gamma_z``.
    ``steps_trained`` (a buffer, saved with the weights) counts its optimisation steps.

    ``network``: ``dai_wipf`` (their code: the encoder's scale output is log sd, every layer
    Glorot-uniform with zero bias, tf.layers.dense's defaults) or ``torch_default`` (the scale
    output is log variance, PyTorch's default Linear init).

    With ``sampled_input`` its training rows are stage-1 posteriors ``(B, 2 * dim)`` (mean,
    logvar) and each step draws fresh targets z = mu + sigma * eps (Dai & Wipf's code: a new z
    every epoch); otherwise the rows are the targets z themselves."""

    def __init__(self, dim: int, width: int, sampled_input: bool = True, network: str = "dai_wipf"):
        super().__init__()
        if network not in STAGE2_NETWORKS:
            raise ValueError(f"unknown stage-2 network {network!r}; choose one of {STAGE2_NETWORKS} "
                             f"(params.stage2_network)")
        self.sampled_input = sampled_input
        self.log_sd_output = network == "dai_wipf"
        self.encoder = SkipMLP(dim, 2 * dim, width, glorot=self.log_sd_output)
        self.decoder = SkipMLP(dim, dim, width, glorot=self.log_sd_output)
        self.likelihood = GaussianLikelihood(learn_variance=True)
        self.register_buffer("steps_trained", torch.zeros((), dtype=torch.long))

    def targets(self, rows: torch.Tensor) -> torch.Tensor:
        """The latents z ``(B, dim)`` a step fits: a fresh posterior sample of each row, or the row."""
        return reparameterize(*split_mean_logvar(rows)) if self.sampled_input else rows

    def gamma(self) -> torch.Tensor:
        """The learned decoder standard deviation gamma_z (scalar)."""
        return self.likelihood.log_gamma.exp()

    def posterior(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(u|z), each ``(B, dim)``, for latents ``z (B, dim)``."""
        mean, scale = split_mean_logvar(self.encoder(z))
        return mean, 2 * scale if self.log_sd_output else scale

    def losses(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.targets(rows)
        mean, logvar = self.posterior(z)
        kl = kl_to_standard_normal(mean, logvar).mean()
        recon_term, logged = self.likelihood(self.decoder(reparameterize(mean, logvar)), z)
        return {"loss": recon_term + kl, "recon": logged["recon"], "kl": kl, "gamma_z": logged["gamma"]}

    def train_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        logged = super().train_step(batch, optimizers, index)
        self.steps_trained += 1
        return logged


class TwoStageVAE(VAE):
    """Stage 1: :class:`models.vae.VAE` with a learned decoder variance (``learn_variance``
    defaults to true): gamma_x = exp(log gamma_x), log gamma_x starting at 0 and trained by the
    same Adam, learning rate and LR schedule as the networks, without a bound (Dai & Wipf's
    code; logged as ``gamma_x``).  The posterior's scale is ``sd = 1e-6 + softplus(output)``
    (``posterior_scale: softplus``, their InfoGAN encoder) or ``exp(output / 2)`` (``exp``, the
    VAE family's log-variance output).  Stage 2 (``second_stage = "train"``): :meth:`second_stage_module`, a
    :class:`LatentVAE` with MLPs of width ``second_stage_width`` (default 1024, 3 hidden layers)
    trained on :meth:`training_latents`: with ``stage2_latents: sampled`` (default, Dai & Wipf's
    code) the stage-1 posteriors, from which each step draws fresh z; with ``mean`` the posterior
    means.

    Sampling: u ~ N(0, I) -> stage-2 decoder mean, plus gamma_z * e, e ~ N(0, I), when
    ``stage2_sample_noise`` (default true, Dai & Wipf's code) -> z -> stage-1 decoder; the noise
    is then (u, e), ``2 * latent_dim`` values, and interpolations walk both.  Until the second
    stage has taken a training step, samples are those of the stage-1 VAE (z ~ N(0, I)).
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
        Param("posterior_scale", str, "softplus", "stage-1 posterior sd: 1e-6 + softplus(output) (Dai & Wipf's "
              "InfoGAN encoder) or exp(output / 2) (the VAE family's log variance)", choices=("softplus", "exp")),
        Param("stage2_network", str, "dai_wipf", "stage-2 encoder scale output and init: log sd with Glorot-uniform "
              "weights and zero biases (Dai & Wipf's TensorFlow code) or log variance with PyTorch's default init",
              choices=STAGE2_NETWORKS),
    )}

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.latent_vae = LatentVAE(spec.latent_dim, int(self.spec.param("second_stage_width")),
                                    sampled_input=self.spec.param("stage2_latents") == "sampled",
                                    network=self.spec.param("stage2_network"))

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, scale = split_mean_logvar(self.encoder(x))
        if self.spec.param("posterior_scale") == "exp":
            return mean, scale
        return mean, 2 * torch.log(SOFTPLUS_SD_FLOOR + F.softplus(scale))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        losses = super().losses(x)
        losses["gamma_x"] = losses.pop("gamma")
        return losses

    def second_stage_module(self) -> LatentVAE:
        return self.latent_vae

    @torch.no_grad()
    def training_latents(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Stage-2 training rows of the uint8 training images ``(N, C, S, S)``: posterior
        (mean, logvar) ``(N, 2 * latent_dim)`` with ``stage2_latents: sampled``, else the means
        ``(N, latent_dim)`` (eval mode)."""
        if not self.latent_vae.sampled_input:
            return super().training_latents(images, batch_size)
        return self.map_images(lambda x: torch.cat(self.posterior(x), dim=1), images, batch_size)

    def stage2_trained(self) -> bool:
        """Whether the second stage has taken a training step (before, sampling is stage 1's)."""
        return bool(self.latent_vae.steps_trained > 0)

    def noise_dim(self) -> int:
        stage2_noise = self.stage2_trained() and self.spec.param("stage2_sample_noise")
        return (2 if stage2_noise else 1) * self.spec.latent_dim

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        """Noise ``(B, noise_dim())`` -> z ``(B, latent_dim)``: eps itself before stage 2 trains,
        else the stage-2 decoder mean of u = ``eps[:, :latent_dim]``, plus gamma_z times
        e = ``eps[:, latent_dim:]`` when the sampler adds stage-2 noise."""
        if not self.stage2_trained():
            return eps
        u, e = eps[:, :self.spec.latent_dim], eps[:, self.spec.latent_dim:]
        z = self.latent_vae.decoder(u)
        return z + self.latent_vae.gamma() * e if e.shape[1] else z

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        blocks = [torch.randn(n, self.spec.latent_dim, generator=generator, device=self.device)
                  for _ in range(self.noise_dim() // self.spec.latent_dim)]  # u, then e
        return self.noise_to_latent(torch.cat(blocks, dim=1))
