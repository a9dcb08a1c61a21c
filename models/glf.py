"""Generative Latent Flow: deterministic AE + RealNVP on stop-gradient latents, one stage."""
from __future__ import annotations

import torch

from models.autoencoders import NETWORK_PARAMS, build_autoencoder
from models.base import GenerativeModel, ModelSpec, adam, flow_optimizer_group, reconstruction_loss
from models.flow import FLOW_PARAMS, flow_from_spec
from models.params import Param, declare


class GLF(GenerativeModel):
    """loss = beta * recon(x, G(E(x))) + NLL_F(stop_gradient(E(x))).

    Params: ``beta``, the flow's (:data:`models.flow.FLOW_PARAMS`) and the auto-encoder's
    (:data:`models.autoencoders.NETWORK_PARAMS`).
    """

    stop_gradient = True
    sampling = "authors"  # generate_sample.py: train mode, batches of 500, each image min-max stretched
    declared_params = {
        **declare(Param("beta", float, 1.0, "weight of the reconstruction term (authors: 1 on the summed MSE)",
                      positive=True)),
        **FLOW_PARAMS,
        **NETWORK_PARAMS,
    }

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.beta = float(self.spec.param("beta"))
        self.encoder, self.decoder = build_autoencoder(self.spec, spec.latent_dim)
        self.flow = flow_from_spec(self.spec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.flow.sample(n, generator)

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        return self.flow.inverse(eps)

    def reconstruction(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction term (scalar) of images ``x_hat`` vs ``x`` ``(B, C, S, S)``."""
        return reconstruction_loss(x_hat, x)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.encoder(x)
        recon = self.reconstruction(self.decoder(z), x)
        flow_input = z.detach() if self.stop_gradient else z
        eps, log_det = self.flow(flow_input)
        nll = -(self.flow.log_prob_from(eps, log_det)).mean()
        return {"loss": self.beta * recon + nll, "recon": recon, "nll": nll,
                "log_det": log_det.mean(), "z_norm": z.detach().pow(2).sum(dim=1).mean().sqrt()}

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        ae = list(self.encoder.parameters()) + list(self.decoder.parameters())
        return [adam([{"params": ae, "lr": lr}, flow_optimizer_group(self.flow, lr)])]


class RegularizedGLF(GLF):
    """GLF without the stop-gradient: the NLL also trains the encoder (paper Section 3.3,
    Figure 4); expected to shrink the latents and diverge or oscillate."""

    stop_gradient = False
