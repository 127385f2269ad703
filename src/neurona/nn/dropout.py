"""Dropout: a regulariser that zeroes random activations (Dropout) or whole channels (Dropout1d/2d)
during training."""

from __future__ import annotations

import warnings

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.nn.module import Module
from neurona.ops.normalization import dropout
from neurona.random import default_generator
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


def _channel_dropout(x: Tensor, p: float, training: bool, layer: str, spatial: int) -> Tensor:
    """Zero whole channels: one Bernoulli(1 - p) draw per (sample, channel), shared by its positions."""
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ShapeError(
            f"{layer} expects a {spatial + 2}-D (N, C, ...) or {spatial + 1}-D (C, ...) input, got shape "
            f"{fmt_shape(x.shape)}"
        )
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    mask_shape = x.shape[: x.ndim - spatial] + (1,) * spatial
    keep = default_generator().random(mask_shape, dtype=np.float32) >= p
    return x * Tensor._wrap(keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p)))


class Dropout1d(Dropout):
    """Channel dropout for (N, C, L) or (C, L): each channel is zeroed whole with probability p, the
    others scaled by 1 / (1 - p) (neighbouring positions are correlated, so per-element dropout barely
    regularises a conv layer)."""

    def forward(self, x: Tensor) -> Tensor:
        return _channel_dropout(x, self.p, self.training, "Dropout1d", spatial=1)


class Dropout2d(Dropout):
    """Channel dropout for (N, C, H, W): whole feature maps are zeroed with probability p. A 3-D input is
    read as (N, C, L), with a warning, as torch reads it."""

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 3:  # torch reads a 3-D input as (N, C, L) and warns; so do we, to give the same masks
            warnings.warn(
                "Dropout2d got a 3-D input and treats it as (N, C, L), dropping channels of a 1-D signal as "
                "torch does; use Dropout1d for that, or add the batch dimension to (C, H, W)",
                UserWarning, stacklevel=2,
            )
            return _channel_dropout(x, self.p, self.training, "Dropout2d", spatial=1)
        return _channel_dropout(x, self.p, self.training, "Dropout2d", spatial=2)
