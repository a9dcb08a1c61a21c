"""GLANN (Hoshen, Li, Malik 2019): GLO latent codes + decoder, then an IMLE map from noise to codes.

Stage 1 (GLO) learns one latent code per training image jointly with the decoder through the
reconstruction loss (the perceptual loss by default, as in Table 1).  Stage 2 trains an MLP from
Gaussian noise to the code space with IMLE.  Sampling: noise -> IMLE map -> decoder.
"""
from __future__ import annotations

import torch
from torch import nn

from models.architecture import AUTOENCODER_PARAMS, decoder_from_spec
from models.base import GenerativeModel, ModelSpec, Trainable, adam, detach_all, reconstruction_loss
from models.params import Param, declare
from models.perceptual import PERCEPTUAL_PARAMS, perceptual_loss_from_spec

PROJECTIONS = ("ball", "sphere")
PUBLISHED_EPOCHS = {"glo": 500, "imle": 50}  # GLANN's own training (Hoshen et al. 2019; GLF paper, Table 2)


class IMLEMapper(Trainable):
    """MLP from noise ``(B, noise_dim)`` to latents ``(B, latent_dim)`` trained by IMLE: for each
    target code the nearest of ``samples_factor * B`` generated points is pulled onto it."""

    def __init__(self, noise_dim: int, latent_dim: int, width: int, samples_factor: int):
        super().__init__()
        self.noise_dim = noise_dim
        self.samples_factor = samples_factor
        self.net = nn.Sequential(
            nn.Linear(noise_dim, width), nn.ReLU(),
            nn.Linear(width, width), nn.ReLU(),
            nn.Linear(width, latent_dim),
        )

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.net(noise)

    def losses(self, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """IMLE loss for target codes ``(B, latent_dim)``: mean over targets of the squared
        distance to their nearest generated point (global RNG draws the noise)."""
        noise = torch.randn(self.samples_factor * targets.shape[0], self.noise_dim,
                            device=targets.device, dtype=targets.dtype)
        with torch.no_grad():
            nearest = torch.cdist(targets, self(noise)).argmin(dim=1)
        loss = (self(noise[nearest]) - targets).pow(2).sum(dim=1).mean()
        return {"loss": loss}


class GLANN(GenerativeModel):
    """GLO + IMLE.  Params: ``perceptual`` (default true: VGG16 perceptual loss, see
    :mod:`models.perceptual` for its weight params; false: summed squared error),
    ``code_projection`` ("ball": codes norm-clipped to 1, as GLANN's code, default; "sphere":
    projected onto the unit sphere, as GLO), ``code_lr_scale`` (codes' learning rate relative to the
    decoder's, default 1), ``noise_dim`` (default latent_dim), ``imle_width`` (default 512),
    ``imle_samples_factor`` (generated points per target code, default 10).

    Needs ``spec.num_train`` (one code per training image); stage-1 steps need ``index``.
    """

    second_stage = "train"
    sampling = "eval"  # no released sampler (the paper cites GLANN's numbers)
    declared_params = {
        **declare(
            Param("perceptual", bool, True, "VGG16 perceptual loss (false: summed squared error)"),
            Param("code_projection", str, "ball", "codes norm-clipped to 1 (GLANN) or put on the unit sphere (GLO)",
                  choices=PROJECTIONS),
            Param("code_lr_scale", float, 1.0, "learning rate of the codes relative to the decoder's"),
            Param("noise_dim", int, None, "dimension of the IMLE noise (null: latent_dim)", nullable=True),
            Param("imle_width", int, 512, "width of the IMLE map's hidden layers"),
            Param("imle_samples_factor", int, 10, "generated points per target code in IMLE"),
        ),
        **PERCEPTUAL_PARAMS,
        **AUTOENCODER_PARAMS,
    }

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        spec = self.spec
        if spec.num_train < 1:
            raise ValueError("GLANN learns one latent code per training image: set ModelSpec.num_train "
                             "to the number of training images")
        self.code_projection = spec.param("code_projection")
        if self.code_projection not in PROJECTIONS:
            raise ValueError(f"code_projection must be one of {PROJECTIONS}, got {self.code_projection!r}")
        self.code_lr_scale = float(spec.param("code_lr_scale"))
        self.decoder = decoder_from_spec(spec)
        self.codes = nn.Embedding(spec.num_train, spec.latent_dim, sparse=True)
        with torch.no_grad():
            self.codes.weight.copy_(self.project(torch.randn_like(self.codes.weight)))
        self.perceptual = perceptual_loss_from_spec(spec) if spec.param("perceptual") else None
        self.imle = IMLEMapper(int(spec.param("noise_dim") or spec.latent_dim), spec.latent_dim,
                               int(spec.param("imle_width")), int(spec.param("imle_samples_factor")))

    def project(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes ``(B, latent_dim)`` moved onto the unit sphere or clipped into the unit ball."""
        norms = codes.norm(dim=1, keepdim=True)
        return codes / (norms.clamp_min(1.0) if self.code_projection == "ball" else norms.clamp_min(1e-12))

    def reconstruction(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Perceptual loss, or summed squared error when ``perceptual`` is false (scalar)."""
        return self.perceptual(x_hat, x) if self.perceptual is not None else reconstruction_loss(x_hat, x)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("GLANN has no encoder: its latents are per-training-image GLO codes "
                                  "learned by optimisation; use training_latents() for those codes")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def noise_dim(self) -> int:
        return self.imle.noise_dim

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        if eps.shape[1] != self.imle.noise_dim:
            raise NotImplementedError(f"GLANN's IMLE map takes noise of dimension {self.imle.noise_dim}, "
                                      f"not {eps.shape[1]}")
        return self.imle(eps)

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn(n, self.imle.noise_dim, generator=generator, device=self.device)
        return self.imle(eps)

    def code_losses(self, x: torch.Tensor, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """``loss`` (= ``recon``) of images ``x (B, C, S, S)`` decoded from their codes at ``index (B,)``."""
        recon = self.reconstruction(self.decoder(self.codes(index)), x)
        return {"loss": recon, "recon": recon}

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError("GLANN's losses depend on which training images x are: call "
                                  "code_losses(x, index) or train_step(x, optimizers, index)")

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        """[Adam on the decoder, SparseAdam on the codes]: SparseAdam moves only the codes of the
        batch, so codes of images not in the batch stay put (no stale momentum)."""
        return [adam(self.decoder.parameters(), lr=lr),
                torch.optim.SparseAdam(self.codes.parameters(), lr=lr * self.code_lr_scale)]

    def train_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """GLO step on the batch's images and codes (``index`` = their training-set positions),
        then re-projects the updated codes."""
        if index is None:
            raise ValueError("GLANN.train_step needs index, the batch's positions in the training set")
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        losses = self.code_losses(batch, index)
        losses["loss"].backward()
        for opt in optimizers:
            opt.step()
        with torch.no_grad():
            self.codes.weight[index] = self.project(self.codes.weight[index])
        return detach_all(losses)

    @torch.no_grad()
    def training_latents(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """The learned code table ``(num_train, latent_dim)``; ``images`` must be the training set
        the codes belong to (only its size is checked)."""
        if images.shape[0] != self.codes.num_embeddings:
            raise ValueError(f"GLANN has codes for {self.codes.num_embeddings} training images, "
                             f"got {images.shape[0]} images")
        return self.codes.weight.detach().clone()

    def second_stage_module(self) -> Trainable:
        return self.imle
