"""Regularised auto-encoder with an ex-post GMM density (RAE+GMM, Ghosh et al. 2020)."""
from __future__ import annotations

import torch
from sklearn.mixture import GaussianMixture

from models.architecture import AUTOENCODER_PARAMS, decoder_from_spec, encoder_from_spec
from models.base import GenerativeModel, ModelSpec, adam, reconstruction_loss
from models.params import Param, declare


class RAEGMM(GenerativeModel):
    """loss = recon + z_penalty * mean_b(|z_b|^2 / 2); then a full-covariance GMM fitted on the
    training codes is the sampling prior.

    Params: ``z_penalty`` (default 1; the GLF paper searched it), ``decoder_weight_decay``
    (Adam L2 on the decoder only, default 0: the GLF paper's RAE penalises z only; > 0 gives the
    RAE paper's RAE-L2), ``gmm_components`` (default 10), ``gmm_max_iter`` (2000) and ``gmm_tol``
    (1e-3) as the RAE code.  The fitted mixture lives in buffers, so it is saved and loaded with the
    ``state_dict``.
    """

    second_stage = "fit"
    sampling = "eval"  # the RAE code: Keras decoder.predict (inference-mode BatchNorm), clipped to [0, 1]
    declared_params = {**AUTOENCODER_PARAMS, **declare(
        Param("z_penalty", float, 1.0, "weight of the L2 penalty on z (the GLF paper searched it)"),
        Param("decoder_weight_decay", float, 0.0, "Adam L2 on the decoder (> 0: the RAE paper's RAE-L2)"),
        Param("gmm_components", int, 10, "components of the full-covariance GMM on the latents"),
        Param("gmm_max_iter", int, 2000, "EM iterations at most (RAE code: 2000)"),
        Param("gmm_tol", float, 1e-3, "EM convergence tolerance (RAE code: 1e-3)"),
    )}

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.z_penalty = float(self.spec.param("z_penalty"))
        self.decoder_weight_decay = float(self.spec.param("decoder_weight_decay"))
        self.components = int(self.spec.param("gmm_components"))
        self.encoder = encoder_from_spec(self.spec, spec.latent_dim)
        self.decoder = decoder_from_spec(self.spec)
        k, d = self.components, spec.latent_dim
        self.register_buffer("gmm_fitted", torch.tensor(False))
        self.register_buffer("gmm_weights", torch.full((k,), 1.0 / k))
        self.register_buffer("gmm_means", torch.zeros(k, d))
        self.register_buffer("gmm_covariances", torch.eye(d).repeat(k, 1, 1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.encoder(x)
        recon = reconstruction_loss(self.decoder(z), x)
        z_l2 = z.pow(2).sum(dim=1).mean() / 2
        return {"loss": recon + self.z_penalty * z_l2, "recon": recon, "z_l2": z_l2}

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        return [adam([
            {"params": list(self.encoder.parameters()), "lr": lr},
            {"params": list(self.decoder.parameters()), "lr": lr, "weight_decay": self.decoder_weight_decay},
        ])]

    def fit_second_stage(self, latents: torch.Tensor, seed: int) -> dict[str, float]:
        """Fit the GMM on training codes ``(N, latent_dim)`` (sklearn, full covariances, seeded);
        returns its mean log-likelihood per code, convergence flag and EM iterations."""
        if latents.shape[0] < self.components:
            raise ValueError(f"cannot fit a {self.components}-component GMM on {latents.shape[0]} latents; "
                             f"lower the param gmm_components or use more training images")
        codes = latents.detach().double().cpu().numpy()
        gmm = GaussianMixture(n_components=self.components, covariance_type="full", random_state=seed,
                              max_iter=int(self.spec.param("gmm_max_iter")), tol=float(self.spec.param("gmm_tol")))
        gmm.fit(codes)
        for name, value in (("gmm_weights", gmm.weights_), ("gmm_means", gmm.means_),
                            ("gmm_covariances", gmm.covariances_)):
            buffer = getattr(self, name)
            buffer.copy_(torch.from_numpy(value).to(buffer))
        self.gmm_fitted.fill_(True)
        return {"gmm_log_likelihood": float(gmm.score(codes)), "gmm_converged": float(gmm.converged_),
                "gmm_iterations": float(gmm.n_iter_)}

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` codes ``(n, latent_dim)`` from the fitted GMM: component ~ weights, then
        mean + L eps with L the Cholesky factor of its covariance."""
        if not bool(self.gmm_fitted):
            raise RuntimeError("RAE+GMM has no fitted GMM yet: run its second stage "
                               "(python -m benchmark.commands.second_stage, i.e. fit_second_stage) before sampling")
        component = torch.multinomial(self.gmm_weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.spec.latent_dim, 1, generator=generator, device=self.gmm_means.device)
        scale_tril = torch.linalg.cholesky(self.gmm_covariances.double()).to(self.gmm_means.dtype)
        return self.gmm_means[component] + (scale_tril[component] @ eps).squeeze(2)
