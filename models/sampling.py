"""The two sampling protocols for FID: the authors' (``generate_sample.py``) and eval mode.

``authors``: every network in train mode, so BatchNorm normalises with the statistics of the
generated batch (the authors draw batches of :data:`AUTHORS_BATCH_SIZE`), and each image min-max
stretched to exactly [0, 1].  ``eval``: eval mode (running BatchNorm statistics), values clamped
to [0, 1].  Neither changes the model: the BatchNorm running statistics are restored afterwards.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

SAMPLING_PROTOCOLS = ("authors", "eval")
AUTHORS_BATCH_SIZE = 500


def check_protocol(protocol: str) -> str:
    """Return ``protocol`` if it is one of :data:`SAMPLING_PROTOCOLS`, else raise ``ValueError``."""
    if protocol not in SAMPLING_PROTOCOLS:
        raise ValueError(f"unknown sampling protocol {protocol!r}; choose one of {SAMPLING_PROTOCOLS} "
                         f"(evaluation.sampling in the preset)")
    return protocol


def stretch_to_unit(images: torch.Tensor) -> torch.Tensor:
    """Min-max stretch each image ``(B, C, S, S)`` over all its values to [0, 1]; a constant image
    becomes 0."""
    flat = images.flatten(1)
    low, high = flat.min(dim=1, keepdim=True).values, flat.max(dim=1, keepdim=True).values
    return ((flat - low) / (high - low).clamp_min(torch.finfo(flat.dtype).tiny)).view_as(images)


@contextmanager
def protocol_mode(model: nn.Module, protocol: str) -> Iterator[None]:
    """Put ``model`` in the protocol's mode (train for ``authors``, eval for ``eval``) for the
    block; restore its mode and its buffers (BatchNorm running statistics) afterwards."""
    check_protocol(protocol)
    was_training = model.training
    buffers = {name: b.clone() for name, b in model.named_buffers()}
    model.train(protocol == "authors")
    try:
        yield
    finally:
        model.train(was_training)
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(buffers[name])


def finish(images: torch.Tensor, protocol: str) -> torch.Tensor:
    """Decoder outputs ``(B, C, S, S)`` -> images in [0, 1] as the protocol does it."""
    return stretch_to_unit(images) if protocol == "authors" else images.clamp(0, 1)
