"""Normalisation and regularisation ops: dropout, batch norm and layer norm.

Batch and layer norm are composed from primitive ops (mean, subtract, multiply, power), so their
gradients — first and higher order — follow from the chain rule with nothing new to get wrong:

    x_hat = (x - mean) / sqrt(var + eps),   y = gamma * x_hat + beta
"""

from __future__ import annotations

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.random import default_generator
from neurona.tensor import Tensor


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: y = x * m / (1 - p),  m_i ~ Bernoulli(1 - p).  Identity when not training.

    Scaling at train time keeps E[y] = x, so nothing changes at evaluation.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = default_generator().random(x.shape, dtype=np.float32) >= p
    scale = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor._wrap(scale)


def _stat_shape(x: Tensor, channel_dim: int) -> tuple[int, ...]:
    return tuple(x.shape[i] if i == channel_dim else 1 for i in range(x.ndim))


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
    num_batches_tracked: Tensor | None = None,
) -> Tensor:
    """Batch normalisation over every dimension but the channel dimension 1 (as torch's F.batch_norm).

    Training: normalise with the batch's mean and biased variance, and update the running estimates
    running = (1 - momentum) * running + momentum * batch  (unbiased variance; momentum=None: cumulative mean).
    Evaluation: normalise with the running estimates.
    """
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: input needs a batch and a channel dimension, got shape {fmt_shape(x.shape)}")
    axes = (0, *range(2, x.ndim))
    shape = _stat_shape(x, 1)
    if training:
        n = x.data.size // x.shape[1]
        if n <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                f"{fmt_shape(x.shape)}; use a larger batch or call model.eval()"
            )
        mean = x.mean(axes, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(axes, keepdim=True)
        y = centered * (var + eps) ** -0.5
        if running_mean is not None:
            if num_batches_tracked is not None:
                num_batches_tracked.data += 1
            m = 1.0 / float(num_batches_tracked.data) if momentum is None else momentum
            batch_mean = mean.data.reshape(-1).astype(running_mean.dtype)
            batch_var = var.data.reshape(-1).astype(running_var.dtype) * (n / (n - 1))
            running_mean.data = (1 - m) * running_mean.data + m * batch_mean
            running_var.data = (1 - m) * running_var.data + m * batch_var
            running_mean.data = running_mean.data.astype(x.dtype, copy=False)
            running_var.data = running_var.data.astype(x.dtype, copy=False)
    else:
        if running_mean is None:
            raise ValueError("batch_norm: evaluation mode needs running statistics (track_running_stats=True)")
        inv = Tensor._wrap((1.0 / np.sqrt(running_var.data + eps)).astype(x.dtype).reshape(shape))
        y = (x - Tensor._wrap(running_mean.data.reshape(shape))) * inv
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(
    x: Tensor,
    normalized_shape: tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions of each sample (biased variance),
    then scale and shift elementwise: y = x_hat * weight + bias."""
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if x.shape[x.ndim - k :] != normalized_shape:
        raise ShapeError(
            f"layer_norm: input of shape {fmt_shape(x.shape)} must end with normalized_shape "
            f"{fmt_shape(normalized_shape)}"
        )
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    y = centered * (var + eps) ** -0.5
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
