"""Model registry: method name -> class.  Adding a method is one file plus one line here."""
from __future__ import annotations

from models.base import GenerativeModel, ModelSpec
from models.glann import GLANN
from models.glf import GLF, RegularizedGLF
from models.glf_perceptual import GLFPerceptual
from models.rae import RAEGMM
from models.two_stage_vae import TwoStageVAE
from models.vae import VAE
from models.vae_flow_posterior import VAEFlowPosterior
from models.vae_flow_prior import VAEFlowPrior
from models.wae import WAEGAN, WAEMMD

MODELS: dict[str, type[GenerativeModel]] = {
    "glf": GLF,
    "regularized_glf": RegularizedGLF,
    "vae": VAE,
    "vae_flow_prior": VAEFlowPrior,
    "vae_flow_posterior": VAEFlowPosterior,
    "two_stage_vae": TwoStageVAE,
    "wae_gan": WAEGAN,
    "wae_mmd": WAEMMD,
    "rae_gmm": RAEGMM,
    "glann": GLANN,
    "glf_perceptual": GLFPerceptual,
}


def build_model(method: str, spec: ModelSpec) -> GenerativeModel:
    """Instantiate the registered method ``method`` for ``spec``; unknown names raise ``KeyError``
    with the list of known methods."""
    try:
        cls = MODELS[method]
    except KeyError:
        raise KeyError(f"unknown model method {method!r}; registered methods: {sorted(MODELS)}") from None
    return cls(spec)
