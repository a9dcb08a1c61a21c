"""GLF whose reconstruction term is the GLO/GLANN perceptual loss (Table 1, "GLF+perceptual loss")."""
from __future__ import annotations

import torch

from models.base import ModelSpec
from models.glf import GLF
from models.perceptual import PERCEPTUAL_PARAMS, perceptual_loss_from_spec


class GLFPerceptual(GLF):
    """loss = beta * perceptual(x, G(E(x))) + NLL_F(stop_gradient(E(x))); logs it as ``recon``.

    Params as :class:`GLF` plus :data:`models.perceptual.PERCEPTUAL_PARAMS` (``perceptual_reduction``
    "sum" as the authors, or "mean").  With the stop-gradient, ``beta`` only scales the AE's
    gradients, which its Adam optimiser largely normalises away, so the default 1 serves both.
    """

    declared_params = {**GLF.declared_params, **PERCEPTUAL_PARAMS}

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.perceptual = perceptual_loss_from_spec(self.spec)

    def reconstruction(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.perceptual(x_hat, x)
