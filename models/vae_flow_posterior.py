"""VAE whose posterior is a Gaussian pushed through a RealNVP flow (Table 1 "VAE+flow posterior")."""
from __future__ import annotations

import torch

from models.flow import FLOW_PARAMS, standard_normal_log_prob
from models.gaussian import gaussian_log_prob, reparameterize
from models.vae import VAE


class VAEFlowPosterior(VAE):
    """Posterior z = F(z0), z0 ~ N(mean(x), exp(logvar(x))), with one RealNVP F shared by all
    images (not conditioned on x); prior N(0, I).  log q(z|x) = log N(z0; mean, var) - log|det dF/dz0|,
    and the KL is estimated with one sample: log q(z|x) - log N(z; 0, I).

    Logs ``recon``, ``kl``, ``loss`` (and ``gamma``).  ``encode`` returns F(mean).
    Params: ``beta`` (default 1), ``learn_variance`` and the flow's.
    """

    declared_params = {**VAE.declared_params, **FLOW_PARAMS}
    has_flow = True

    def flow_posterior(self, z0: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """Push base samples ``z0 (B, D)`` of N(mean, exp(logvar)) through the flow; return
        ``z = F(z0) (B, D)`` and its posterior log-density ``log q(z|x) (B,)``."""
        z, log_det = self.flow(z0)
        return z, gaussian_log_prob(z0, mean, logvar) - log_det

    def latent_divergence(self, mean: torch.Tensor, logvar: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        z, log_q = self.flow_posterior(reparameterize(mean, logvar), mean, logvar)
        kl = (log_q - standard_normal_log_prob(z)).mean()
        return z, kl, {"kl": kl}

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.flow(self.posterior(x)[0])[0]
