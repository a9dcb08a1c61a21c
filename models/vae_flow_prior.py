"""VAE with a RealNVP prior: the stochastic counterpart of GLF (paper Section 3.3, Figure 3)."""
from __future__ import annotations

import torch

from models.flow import FLOW_PARAMS
from models.gaussian import gaussian_entropy, reparameterize
from models.params import Param, declare
from models.vae import VAE


class VAEFlowPrior(VAE):
    """Gaussian posterior q(z|x), RealNVP flow prior p_F(z), no stop-gradient:

    loss = recon term + KL,  KL ~ -H(q(z|x)) - log p_F(z)  with one sample z ~ q(z|x)

    (the entropy is analytic).  Logs ``recon``, ``entropy`` (posterior entropy, batch mean),
    ``entropy_loss`` (the paper's Figure 3b "entropy loss" -sum(log sigma), batch mean: the
    entropy less its constant, sign flipped), ``nll`` (-log p_F(z), batch mean), ``loss`` (and
    ``gamma`` with ``learn_variance: true``).
    Default ``beta`` 400 (paper).  Sampling: eps ~ N(0, I), z = F^-1(eps), x = G(z).
    Params: ``beta``, ``learn_variance``, ``flow_blocks`` (default 4).
    """

    declared_params = {
        **VAE.declared_params,
        **declare(Param("beta", float, 400.0, "decoder precision: the recon term is beta * SSE (paper: 400)",
                        positive=True)),
        **FLOW_PARAMS,
    }
    has_flow = True

    def latent_divergence(self, mean: torch.Tensor, logvar: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        z = reparameterize(mean, logvar)
        entropy = gaussian_entropy(logvar).mean()
        nll = -self.flow.log_prob(z).mean()
        entropy_loss = -0.5 * logvar.sum(dim=1).mean()
        return z, nll - entropy, {"entropy": entropy, "entropy_loss": entropy_loss, "nll": nll}

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        return self.flow.inverse(eps)
