"""User-facing functions, as ``torch.nn.functional``:  ``import neurona.functional as F``.

Activations and losses. Each loss takes ``reduction='mean' | 'sum' | 'none'``.
"""

from __future__ import annotations

import numpy as np

from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.ops import (
    abs,
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    linear,
    log,
    log1p,
    log_softmax,
    nll_loss,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
    where,
)
from neurona.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from neurona.ops.elementwise import exp, maximum, pair
from neurona.ops.embedding import embedding
from neurona.ops.nn import BinaryCrossEntropy
from neurona.ops.normalization import batch_norm, dropout, layer_norm
from neurona.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from neurona.tensor import Tensor

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gelu",
    "hardtanh",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]


def _reduce(loss: Tensor, reduction: str, fn: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _pair_same_shape(input, target, fn: str) -> tuple[Tensor, Tensor]:
    input, target = pair(input, target)  # a NumPy target takes the input's float dtype
    if input.shape != target.shape:
        raise ShapeError(
            f"{fn}: input of shape {fmt_shape(input.shape)} and target of shape {fmt_shape(target.shape)} "
            "differ; they would broadcast silently and give a wrong loss. Reshape one of them "
            "(e.g. target.reshape(-1, 1) or input.squeeze(-1))."
        )
    return input, target


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean squared error  (x - y)^2."""
    x, y = _pair_same_shape(input, target, "mse_loss")
    d = x - y
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean absolute error  |x - y|."""
    x, y = _pair_same_shape(input, target, "l1_loss")
    return _reduce(abs(x - y), reduction, "l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta/2);  d = x - y."""
    x, y = _pair_same_shape(input, target, "huber_loss")
    d = x - y
    ad = abs(d)
    return _reduce(where(ad.data < delta, d * d * 0.5, (ad - 0.5 * delta) * delta), reduction, "huber_loss")


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta/2  (Huber divided by beta)."""
    x, y = _pair_same_shape(input, target, "smooth_l1_loss")
    d = x - y
    ad = abs(d)
    if beta == 0:
        return _reduce(ad, reduction, "smooth_l1_loss")
    return _reduce(where(ad.data < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction, "smooth_l1_loss")


def cross_entropy(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C, ...) against integer class indices (N, ...) or class
    probabilities (the shape of the logits), as ``torch.nn.functional.cross_entropy``.

    Float labels of the class-index shape are refused: they are usually integer labels that lost their
    type (``y.astype(float)``), and truncating them would silently change the targets.
    """
    from neurona.ops import cross_entropy as _cross_entropy

    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    if isinstance(input, Tensor) and labels.dtype.kind == "f" and labels.ndim == input.ndim - 1:
        raise DTypeError(
            f"cross_entropy: the targets are float class labels (dtype {labels.dtype}, shape "
            f"{fmt_shape(labels.shape)}); class indices must be integers. Convert them with y.long() "
            "(or np.asarray(y, dtype=np.int64)); float targets are accepted only as class probabilities of "
            f"the logits' shape {fmt_shape(input.shape)}"
        )
    return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """-w [y ln p + (1 - y) ln(1 - p)] for probabilities p; logs are clamped at -100 as in torch."""
    p, y = _pair_same_shape(input, target, "binary_cross_entropy")
    if np.any((p.data < 0) | (p.data > 1)):
        raise ValueError(
            "binary_cross_entropy: input must hold probabilities in [0, 1]; apply sigmoid first, or use "
            "binary_cross_entropy_with_logits on raw scores"
        )
    loss = BinaryCrossEntropy.apply(p, y)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    input, target, weight=None, reduction: str = "mean", pos_weight=None
) -> Tensor:
    """Sigmoid + BCE in one stable formula:
    (1 - y) x + (1 + (pw - 1) y) (ln(1 + e^-|x|) + max(-x, 0))."""
    x, y = _pair_same_shape(input, target, "binary_cross_entropy_with_logits")
    log_sigmoid_neg = log1p(exp(-abs(x))) + maximum(-x, 0.0)  # = -ln sigmoid(x)
    if pos_weight is not None:
        loss = (1.0 - y) * x + (1.0 + (pair(pos_weight, y)[0] - 1.0) * y) * log_sigmoid_neg
    else:
        loss = (1.0 - y) * x + log_sigmoid_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise KL divergence  y (ln y - x)  for log-probabilities x, as torch's kl_div.
    ``reduction='batchmean'`` divides the sum by the batch size (the mathematically right mean)."""
    x, y = _pair_same_shape(input, target, "kl_div")
    if log_target:
        loss = exp(y) * (y - x)
    elif y.requires_grad:
        loss = y * (log(y) - x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y.data > 0, y.data * np.log(y.data), 0).astype(y.dtype)
        loss = Tensor._wrap(ylogy) - y * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


# ---- PyTorch compatibility (issue 22, part A): tensor-level functions F-style code calls --------
from neurona.ops.arrange import one_hot  # noqa: E402, F401  (F.one_hot(labels, num_classes))
