"""The one interface every method implements.

A method is a :class:`GenerativeModel`: it builds its networks from a :class:`ModelSpec`, returns
its losses for a batch of images in [0, 1], makes its optimisers, and can ``sample``,
``reconstruct`` and ``encode``.  The trainer only ever calls :meth:`Trainable.train_step`.

Two-stage methods set ``second_stage`` to ``"fit"`` (a closed-form fit on the latents, e.g. a
GMM: implement :meth:`GenerativeModel.fit_second_stage`) or ``"train"`` (a second network trained
by the same trainer on the latents: implement :meth:`GenerativeModel.second_stage_module`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Mapping

import torch
from torch import nn

from models.flow import RealNVP
from models.params import Param, check_params
from models.sampling import finish, protocol_mode


@dataclass(frozen=True)
class ModelSpec:
    """Everything a method needs to build itself: image shape, latent size, flow width and its
    own hyper-parameters (``params``, e.g. ``beta``).  A model's own spec (``model.spec``) also
    knows the method's declared params (:meth:`declaring`), so :meth:`param` reads their defaults;
    they are no field, so ``asdict(spec)`` (what model files store) holds plain values only."""

    channels: int
    image_size: int
    latent_dim: int
    flow_width: int = 64
    num_train: int = 0  # training-set size, for methods with per-image parameters (GLO codes)
    params: dict[str, Any] = field(default_factory=dict)

    def declaring(self, declared: Mapping[str, Param]) -> ModelSpec:
        """A copy of this spec whose :meth:`param` falls back on the defaults of ``declared``."""
        spec = replace(self)
        object.__setattr__(spec, "_declared", declared)
        return spec

    def param(self, name: str) -> Any:
        """The value of param ``name``: the preset's, else the method's declared default."""
        declared = getattr(self, "_declared", {})
        if name not in declared:
            raise KeyError(f"param {name!r} is not declared by the method; declared: {sorted(declared)}")
        return self.params.get(name, declared[name].default)


class Trainable(nn.Module):
    """A module the trainer can fit: ``losses`` on a float batch, ``configure_optimizers``."""

    def losses(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return scalar losses for ``batch``; the key ``"loss"`` is the one minimised."""
        raise NotImplementedError

    def configure_optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        """Return the optimisers (default: one Adam over all parameters)."""
        return [adam(self.parameters(), lr=lr)]

    def train_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   index: torch.Tensor | None = None) -> dict[str, float]:
        """One optimisation step on ``batch``; ``index`` ``(B,)`` holds the batch's positions in the
        training set (for per-image parameters).  Returns the logged losses as detached scalar
        tensors (no host sync: the trainer reads them once per epoch)."""
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        losses = self.losses(batch)
        losses["loss"].backward()
        for opt in optimizers:
            opt.step()
        return detach_all(losses)


class GenerativeModel(Trainable):
    """Base class of every method in the registry; ``declared_params`` lists the method's
    hyper-parameters (see :mod:`models.params`), checked when the model is built; ``sampling``
    names the protocol (:data:`models.sampling.SAMPLING_PROTOCOLS`) the method's own released
    code samples with, "eval" where it has none (every method sets it).  It is only reported
    beside Table 1 (``own_sampling`` of ``table1_long``): every run is drawn under the preset's
    one protocol, ``evaluation.sampling``."""

    second_stage: ClassVar[str | None] = None
    declared_params: ClassVar[dict[str, Param]] = {}
    sampling: ClassVar[str]

    def __init__(self, spec: ModelSpec):
        super().__init__()
        check_params(self.declared_params, spec.params, "params")
        self.spec = spec.declaring(self.declared_params)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.spec.channels, self.spec.image_size, self.spec.image_size)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic latent code ``(B, latent_dim)`` of images ``x (B, C, S, S)``."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images ``(B, C, S, S)`` in [0, 1] from latents ``z (B, latent_dim)``."""
        raise NotImplementedError

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` latents ``(n, latent_dim)`` from the model's generative prior."""
        raise NotImplementedError

    def noise_dim(self) -> int:
        """Size of the standard-normal noise vector that :meth:`noise_to_latent` maps (default
        ``latent_dim``; a sampler that draws more noise than one latent says so)."""
        return self.spec.latent_dim

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        """Map standard-normal noise ``(B, noise_dim())`` to latents ``(B, latent_dim)`` (for
        interpolations between noise samples); methods whose prior is no function of Gaussian
        noise leave it undefined."""
        raise NotImplementedError(f"{type(self).__name__} does not sample through Gaussian noise")

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, protocol: str = "eval") -> torch.Tensor:
        """Return ``n`` generated images ``(n, C, S, S)`` in [0, 1], no gradients, under the
        sampling ``protocol`` (:mod:`models.sampling`: "eval", or "authors" = batch statistics
        and a min-max stretch per image); the model is left as it was."""
        with protocol_mode(self, protocol):
            return finish(self.decode(self.sample_latents(n, generator)), protocol)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Return reconstructions ``(B, C, S, S)`` of ``x`` (eval mode)."""
        with protocol_mode(self, "eval"):
            return finish(self.decode(self.encode(x)), "eval")

    @torch.no_grad()
    def training_latents(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Latents ``(N, latent_dim)`` of the training images (uint8 ``(N, C, S, S)``) that a
        second stage is fitted on; default: the encoder's codes, in eval mode."""
        return self.map_images(self.encode, images, batch_size)

    @torch.no_grad()
    def map_images(self, function, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """``function`` of uint8 images ``(N, C, S, S)`` (as floats in [0, 1], ``batch_size`` at a
        time, eval mode), concatenated along the first dimension."""
        with protocol_mode(self, "eval"):
            return torch.cat([function(chunk.to(self.device).float() / 255.0) for chunk in images.split(batch_size)])

    def fit_second_stage(self, latents: torch.Tensor, seed: int) -> dict[str, float]:
        """Closed-form second stage on training latents ``(N, latent_dim)``; returns logged values."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form second stage")

    def second_stage_module(self) -> Trainable:
        """The network trained on latents in the second stage (``second_stage == "train"``)."""
        raise NotImplementedError(f"{type(self).__name__} has no trained second stage")


def detach_all(losses: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The logged losses, detached from the graph (scalar tensors, on their device)."""
    return {name: value.detach() for name, value in losses.items()}


FUSED_ADAM_DEVICES = frozenset({"cpu", "cuda"})


def adam(params, **hyper: Any) -> torch.optim.Adam:
    """``torch.optim.Adam(params, **hyper)`` (params: tensors or parameter groups), using the fused
    kernel (one pass over each tensor instead of a dozen) when every parameter is a float tensor
    on a device that has it; the update is the same Adam.  Every method's optimiser comes from here."""
    groups = list(params)
    tensors = [t for g in groups for t in (g["params"] if isinstance(g, dict) else [g])]
    fused = bool(tensors) and all(t.device.type in FUSED_ADAM_DEVICES and t.is_floating_point() for t in tensors)
    return torch.optim.Adam(groups, fused=fused or None, **hyper)


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared error summed per image, averaged over the batch: ``(B, ...)`` x2 -> scalar."""
    return (x_hat - x).pow(2).flatten(1).sum(dim=1).mean()


def flow_optimizer_group(flow: RealNVP, lr: float) -> dict:
    """Adam parameter group of the paper's flow optimiser: betas (0.8, 0.9), eps 1e-6, wd 2e-5."""
    return {"params": list(flow.parameters()), "lr": lr, "betas": (0.8, 0.9), "eps": 1e-6,
            "weight_decay": 2e-5}
