"""Wasserstein auto-encoders (Tolstikhin et al. 2018): WAE-GAN and WAE-MMD.

Both are the shared deterministic AE with loss = recon_scale * SSE + wae_lambda * D(Q_Z, P_Z)
(the WAE code's reconstruction cost is 0.05 * the squared error summed per image), where the
prior P_Z is N(0, prior_std^2 I) and samples are decoded prior draws.  WAE-GAN estimates the
divergence with an adversary on z, WAE-MMD with an inverse-multiquadratic-kernel MMD.
Optimisers follow the WAE paper: Adam with betas (0.5, 0.999); the adversary's learning rate is
half the AE's unless ``adversary_lr`` sets it (WAE CelebA: 1e-3 with an AE lr of 3e-4).
"""
from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from models.architecture import AUTOENCODER_PARAMS, decoder_from_spec, encoder_from_spec
from models.base import GenerativeModel, ModelSpec, adam, detach_all, reconstruction_loss
from models.params import Param, declare

WAE_BETAS = (0.5, 0.999)
IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


class WAE(GenerativeModel):
    """Shared part of the WAEs: AE, Gaussian prior, ``recon + wae_lambda * penalty``.

    Params: ``prior_std`` (default 1; WAE CelebA: sigma_z^2 = 2), ``wae_lambda``, ``recon_scale``
    (default 0.05, the WAE code).  Subclasses define :meth:`latent_penalty` and the name it is
    logged under.  ``recon`` is logged as the unscaled SSE per image, as for every other method.
    """

    penalty_name: ClassVar[str]
    sampling = "eval"  # the WAE code decodes prior draws with is_training False
    declared_params = {**AUTOENCODER_PARAMS, **declare(
        Param("prior_std", float, 1.0, "std of the Gaussian prior on z (WAE CelebA: sqrt(2))"),
        Param("recon_scale", float, 0.05, "reconstruction cost = recon_scale * SSE per image (WAE code: 0.05)"),
    )}

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.prior_std = float(self.spec.param("prior_std"))
        self.wae_lambda = float(self.spec.param("wae_lambda"))
        self.recon_scale = float(self.spec.param("recon_scale"))
        self.encoder = encoder_from_spec(self.spec, spec.latent_dim)
        self.decoder = decoder_from_spec(self.spec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        return eps * self.prior_std

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn(n, self.spec.latent_dim, generator=generator, device=self.device)
        return self.noise_to_latent(eps)

    def prior_like(self, z: torch.Tensor) -> torch.Tensor:
        """Prior draws shaped like the codes ``z (B, latent_dim)`` (global RNG, for training)."""
        return self.noise_to_latent(torch.randn_like(z))

    def latent_penalty(self, z: torch.Tensor) -> torch.Tensor:
        """Scalar divergence between the encoded codes ``z (B, latent_dim)`` and the prior."""
        raise NotImplementedError

    def autoencoder_losses(self, x: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """``loss``, ``recon`` and the penalty for images ``x`` and their codes ``z = E(x)``."""
        recon = reconstruction_loss(self.decoder(z), x)
        penalty = self.latent_penalty(z)
        return {"loss": self.recon_scale * recon + self.wae_lambda * penalty, "recon": recon,
                self.penalty_name: penalty}

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.autoencoder_losses(x, self.encoder(x))

    def autoencoder_optimizer(self, lr: float) -> torch.optim.Optimizer:
        ae = list(self.encoder.parameters()) + list(self.decoder.parameters())
        return adam(ae, lr=lr, betas=WAE_BETAS)

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        return [self.autoencoder_optimizer(lr)]


def imq_mmd(z: torch.Tensor, prior: torch.Tensor, prior_variance: float) -> torch.Tensor:
    """Unbiased MMD^2 estimate between samples ``z`` and ``prior`` ``(B, D)`` with the sum of
    inverse multiquadratic kernels C / (C + |a - b|^2), C = 2 D prior_variance * s, over the WAE
    code's scales s -> scalar."""
    n, dim = z.shape
    both = torch.cat([z, prior])
    squared_norms = both.pow(2).sum(dim=1)
    distances = (squared_norms[:, None] + squared_norms[None, :] - 2.0 * both @ both.T).clamp_min(0.0)
    base = 2.0 * dim * prior_variance
    kernel = sum(base * s / (base * s + distances) for s in IMQ_SCALES)
    off_diagonal = 1.0 - torch.eye(n, device=z.device, dtype=kernel.dtype)
    within = ((kernel[:n, :n] + kernel[n:, n:]) * off_diagonal).sum() / (n * (n - 1))
    across = kernel[:n, n:].sum() * 2.0 / (n * n)
    return within - across


class WAEMMD(WAE):
    """WAE-MMD: penalty = IMQ-kernel MMD between codes and prior draws; ``wae_lambda`` default 10
    (WAE paper, MNIST; it used 100 on CelebA).  Logs ``loss``, ``recon``, ``mmd``."""

    penalty_name = "mmd"
    declared_params = {**WAE.declared_params, **declare(
        Param("wae_lambda", float, 10.0, "weight of the MMD penalty (WAE: 10 MNIST, 100 CelebA)"))}

    def latent_penalty(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[0] < 2:
            raise ValueError("the MMD penalty needs batches of at least 2 images")
        return imq_mmd(z, self.prior_like(z), self.prior_std ** 2)


class LatentAdversary(nn.Module):
    """MLP discriminator on codes: ``(B, latent_dim)`` -> logits ``(B,)`` (prior = 1, codes = 0)."""

    def __init__(self, latent_dim: int, width: int, hidden_layers: int = 4):
        super().__init__()
        layers: list[nn.Module] = []
        d_in = latent_dim
        for _ in range(hidden_layers):
            layers += [nn.Linear(d_in, width), nn.ReLU()]
            d_in = width
        self.net = nn.Sequential(*layers, nn.Linear(d_in, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(1)


class WAEGAN(WAE):
    """WAE-GAN: an adversary (4 hidden layers of ``adversary_width``, default 512, as in the WAE
    paper's MNIST; 1024 on CelebA) tells prior draws from codes; the AE's penalty is the
    non-saturating GAN loss of its codes.  ``wae_lambda`` default 1 (WAE paper, MNIST and CelebA).
    Each step first updates the adversary, then the AE.  Logs ``loss``, ``recon``, ``penalty``,
    ``adversary``.
    """

    penalty_name = "penalty"
    declared_params = {**WAE.declared_params, **declare(
        Param("wae_lambda", float, 1.0, "weight of the adversarial penalty (WAE: 1)"),
        Param("adversary_width", int, 512, "width of the adversary's 4 hidden layers (WAE CelebA: 1024)"),
        Param("adversary_lr", float, None, "adversary learning rate (null: half the AE's; WAE CelebA: 1e-3)",
              nullable=True),
    )}

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.adversary_lr = self.spec.param("adversary_lr")
        self.adversary = LatentAdversary(spec.latent_dim, int(self.spec.param("adversary_width")))

    def latent_penalty(self, z: torch.Tensor) -> torch.Tensor:
        logits = self.adversary(z)
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))

    def adversary_loss(self, z: torch.Tensor) -> torch.Tensor:
        """Discriminator loss (scalar): BCE of prior draws as 1 plus BCE of codes ``z`` as 0."""
        real, fake = self.adversary(self.prior_like(z)), self.adversary(z.detach())
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.encoder(x)
        return {**self.autoencoder_losses(x, z), "adversary": self.adversary_loss(z)}

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        adversary_lr = 0.5 * lr if self.adversary_lr is None else float(self.adversary_lr)
        adversary = adam(self.adversary.parameters(), lr=adversary_lr, betas=WAE_BETAS)
        return [self.autoencoder_optimizer(lr), adversary]

    def train_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Adversary step on detached codes, then AE step against the updated adversary;
        ``optimizers`` = [AE, adversary] from :meth:`configure_optimizers`."""
        ae_opt, adversary_opt = optimizers
        z = self.encoder(batch)
        adversary_opt.zero_grad(set_to_none=True)
        adversary = self.adversary_loss(z)
        adversary.backward()
        adversary_opt.step()
        ae_opt.zero_grad(set_to_none=True)
        losses = self.autoencoder_losses(batch, z)
        losses["loss"].backward()
        ae_opt.step()
        return detach_all({**losses, "adversary": adversary})
