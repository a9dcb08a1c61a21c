"""Variational auto-encoder on the shared InfoGAN architecture, and the base of the VAE family."""
from __future__ import annotations

import torch

from models.architecture import AUTOENCODER_PARAMS, decoder_from_spec, encoder_from_spec
from models.base import GenerativeModel, ModelSpec, adam, flow_optimizer_group
from models.flow import flow_from_spec
from models.gaussian import (
    GaussianLikelihood,
    kl_to_standard_normal,
    reparameterize,
    split_mean_logvar,
)
from models.params import Param, declare


class VAE(GenerativeModel):
    """Gaussian posterior q(z|x) = N(mean, exp(logvar)) from an encoder with 2 * latent outputs,
    one reparameterised sample, N(0, I) prior:  loss = recon term + KL(q(z|x) || N(0, I)).

    The recon term is :class:`models.gaussian.GaussianLikelihood`: ``beta * SSE`` (decoder variance
    1 / (2 beta), beta = 1 matches GLF's loss) or, with ``learn_variance: true``, the full Gaussian
    NLL with a learned scalar decoder variance (logged as ``gamma``).
    Params: ``beta`` (default 1), ``learn_variance`` (default false); subclasses with a flow add
    :data:`models.flow.FLOW_PARAMS`.
    Logs ``loss``, ``recon``, ``kl`` (and ``gamma``).  ``encode`` returns the posterior mean.

    Subclasses change the latent part through :meth:`latent_divergence`; with ``has_flow`` they get
    a RealNVP ``flow`` (width ``spec.flow_width``) trained with the paper's flow optimiser.
    """

    declared_params = {**AUTOENCODER_PARAMS, **declare(
        Param("beta", float, 1.0, "decoder precision: the recon term is beta * SSE (1 = GLF's loss)", positive=True),
        Param("learn_variance", bool, False, "learn a scalar decoder variance gamma (beta unused)"),
    )}
    has_flow = False  # subclasses with a RealNVP (prior or posterior) set True
    sampling = "eval"  # no released sampler: the authors' train_vaeflow.py has none, nor has a plain VAE

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.encoder = encoder_from_spec(self.spec, 2 * spec.latent_dim)
        self.decoder = decoder_from_spec(self.spec)
        self.likelihood = GaussianLikelihood(float(self.spec.param("beta")),
                                             bool(self.spec.param("learn_variance")))
        self.flow = flow_from_spec(self.spec) if self.has_flow else None

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Gaussian posterior parameters (mean, log-variance), each ``(B, latent_dim)``, of ``x``."""
        return split_mean_logvar(self.encoder(x))

    def latent_divergence(self, mean: torch.Tensor, logvar: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Return a posterior sample ``z (B, latent_dim)`` for the decoder, the (estimated) KL from
        posterior to prior averaged over the batch, and the values to log."""
        kl = kl_to_standard_normal(mean, logvar).mean()
        return reparameterize(mean, logvar), kl, {"kl": kl}

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z, kl, logged = self.latent_divergence(*self.posterior(x))
        recon_term, recon_logged = self.likelihood(self.decoder(z), x)
        return {"loss": recon_term + kl, **recon_logged, **logged}

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        return eps

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn(n, self.spec.latent_dim, generator=generator, device=self.device)
        return self.noise_to_latent(eps)

    def autoencoder_parameters(self) -> list[torch.nn.Parameter]:
        """Encoder, decoder and decoder-variance parameters (everything but the flow)."""
        return [*self.encoder.parameters(), *self.decoder.parameters(), *self.likelihood.parameters()]

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        groups = [{"params": self.autoencoder_parameters(), "lr": lr}]
        if self.flow is not None:
            groups.append(flow_optimizer_group(self.flow, lr))
        return [adam(groups)]
