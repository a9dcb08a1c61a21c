"""Which auto-encoder a model builds: the InfoGAN network of Table 3 (:mod:`models.architecture`),
used on every Table 1 dataset, or the DCGAN-style one of the paper's CelebA-HQ samples
(:mod:`models.dcgan`).  A method that declares :data:`NETWORK_PARAMS` offers both; either network
takes the shared output layer and batch-norm init of :data:`models.architecture.AUTOENCODER_PARAMS`."""
from __future__ import annotations

from torch import nn

from models.architecture import AUTOENCODER_PARAMS, decoder_from_spec, encoder_from_spec
from models.base import ModelSpec
from models.dcgan import DCGANDecoder, DCGANEncoder
from models.params import Param, declare

AUTOENCODERS = ("infogan", "dcgan")
NETWORK_PARAMS = {**AUTOENCODER_PARAMS, **declare(
    Param("autoencoder", str, "infogan", "the auto-encoder: the InfoGAN network of Table 3 (every Table 1 "
          "dataset) or the DCGAN-style one of the paper's CelebA-HQ samples", choices=AUTOENCODERS),
    Param("dcgan_width", int, 1024, "channels of the DCGAN-style auto-encoder at 4x4, halved at each doubling "
          "of the size (DCGAN's generator: 1024)"),
)}


def build_autoencoder(spec: ModelSpec, encoder_out: int) -> tuple[nn.Module, nn.Module]:
    """(encoder, decoder) of the network a model's own spec asks for (:data:`NETWORK_PARAMS`):
    encoder ``(B, C, S, S) -> (B, encoder_out)``, decoder ``(B, latent_dim) -> (B, C, S, S)``."""
    if spec.param("autoencoder") == "dcgan":
        width = spec.param("dcgan_width")
        return (DCGANEncoder(spec.channels, spec.image_size, encoder_out, width, spec.param("batchnorm_init")),
                DCGANDecoder(spec.channels, spec.image_size, spec.latent_dim, width, spec.param("decoder_output"),
                             spec.param("batchnorm_init")))
    return encoder_from_spec(spec, encoder_out), decoder_from_spec(spec)
