"""Dropout: a regulariser that zeroes random activations during training."""

from __future__ import annotations

from neurona.nn.module import Module
from neurona.ops.normalization import dropout
from neurona.tensor import Tensor


class Dropout(Module):
    """Inverted dropout: in training, y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p); in eval, y = x."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
