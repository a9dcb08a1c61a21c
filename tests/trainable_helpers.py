"""A one-weight trainable whose loss is scaled from (or only at) a given step: divergence tests."""
import torch

from models.base import Trainable


class ScaledAtStep(Trainable):
    """Loss (w - 3)^2, multiplied by ``factor`` from step ``step`` on (``once``: in that step only)."""

    def __init__(self, step, factor, once=False):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.step, self.factor, self.once, self.calls = step, factor, once, 0

    def losses(self, batch):
        self.calls += 1
        loss = (self.w - 3).pow(2).sum() + 0 * batch.sum()
        scaled = self.calls == self.step if self.once else self.calls >= self.step
        return {"loss": loss * self.factor if scaled else loss}
