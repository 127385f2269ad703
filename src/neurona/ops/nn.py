"""Neural-network ops: softmax, log-softmax and the fused softmax cross-entropy.

Cross-entropy and NLL share one idea: with a constant target matrix ``q`` (one-hot rows, weighted,
smoothed or soft), the per-sample loss is ``-sum_c q_c log p_c``. Building ``q`` once covers class
indices, ``weight``, ``ignore_index``, ``label_smoothing`` and probability targets alike.
"""

from __future__ import annotations

import numpy as np

from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.ops.elementwise import Exp, Log, Log1p, Maximum, where
from neurona.ops.reduction import sum as _sum
from neurona.tensor import Function, Tensor


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


class Softmax(Function):
    """y_i = e^(x_i) / sum_j e^(x_j);  dL/dx = y * (g - sum(g * y))"""

    def forward(self, ctx, x):
        e = np.exp(x - np.max(x, axis=self.dim, keepdims=True))
        e /= np.sum(e, axis=self.dim, keepdims=True)
        return e

    def backward(self, ctx, grad):
        y = ctx.output
        return y * (grad - (grad * y).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - ln sum_j e^(x_j);  dL/dx = g - softmax(x) * sum(g)"""

    def forward(self, ctx, x):
        return _log_softmax(x, self.dim)

    def backward(self, ctx, grad):
        return grad - Exp.apply(ctx.output) * grad.sum(axis=self.dim, keepdims=True)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return Softmax.apply(x, dim=dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return LogSoftmax.apply(x, dim=dim)


class BinaryCrossEntropy(Function):
    """loss = -[y ln p + (1 - y) ln(1 - p)], each log clamped at -100 (as torch);
    dloss/dp = (p - y) / max(p (1 - p), 1e-12),  dloss/dy = ln(1 - p) - ln p.

    One op, so a prediction that saturated to exactly 0 or 1 gets a finite gradient, not 0 * inf = NaN.
    """

    def forward(self, ctx, p, y):
        with np.errstate(divide="ignore"):
            log_p, log_not_p = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
        return -(y * log_p + (1 - y) * log_not_p)

    def backward(self, ctx, grad):
        (p, y), (need_p, need_y) = ctx.inputs, ctx.needs_input_grad
        gp = grad * (p - y) / Maximum.apply(p * (1.0 - p), np.asarray(1e-12, p.dtype)) if need_p else None
        with np.errstate(divide="ignore"):
            gy = grad * (Log1p.apply(-p) - Log.apply(p)) if need_y else None
        return gp, gy


class SoftmaxCrossEntropy(Function):
    """loss_n = -sum_c q_nc log softmax(x_n)_c  for constant targets q; with a ``denominator`` D the op
    returns the reduced loss  L = (sum_n loss_n) / D  instead (D = 1 for 'sum', the summed target
    weights for 'mean'), saving the graph a sum and a division.

    dL/dx_nc = g_n * (softmax(x_n)_c * Q_n - q_nc),  Q_n = sum_c q_nc  (g_n = g / D when reduced).
    One pass, numerically stable (log-sum-exp), and no log of a probability that rounded to 0.
    """

    denominator = None

    def forward(self, ctx, x):
        logp = _log_softmax(x, 1)
        ctx.probs = np.exp(logp)
        # classes with q = 0 add nothing, also where a masked logit made logp = -inf (no 0 * -inf = NaN)
        per_sample = -np.einsum("nc,nc->n", self.q, np.where(self.q != 0, logp, 0))
        return per_sample if self.denominator is None else per_sample.sum() / self.denominator

    def backward(self, ctx, grad):
        (x,), q = ctx.inputs, self.q
        g = grad.reshape(-1, 1) if self.denominator is None else grad / self.denominator
        # at first order the forward's softmax; under create_graph a recorded one, so second derivatives flow
        probs = Softmax.apply(x, dim=1) if ctx.on_tensors else ctx.probs
        return g * (probs * q.sum(1, keepdims=True) - q)


def _target_matrix(
    logits_shape: tuple[int, ...],
    target: np.ndarray,
    weight: np.ndarray | None,
    ignore_index: int,
    label_smoothing: float,
    dtype: np.dtype,
    fn: str,
) -> tuple[np.ndarray, np.ndarray]:
    """(q, denominator) for 2-D logits (N, C): loss_n = -sum_c q_nc logp_nc; mean = sum / denominator."""
    n, c = logits_shape
    w = np.ones(c, dtype=dtype) if weight is None else weight.astype(dtype, copy=False)
    if weight is not None and weight.shape != (c,):
        raise ShapeError(f"{fn}: weight must have one entry per class, shape ({c},), got {fmt_shape(weight.shape)}")
    if target.dtype.kind == "f":  # class probabilities
        if target.shape != (n, c):
            raise ShapeError(f"{fn}: probability targets must have the input's shape {fmt_shape((n, c))}, got {fmt_shape(target.shape)}")
        soft = target.astype(dtype, copy=False)
        if label_smoothing:
            soft = soft * (1 - label_smoothing) + label_smoothing / c
        return soft * w, np.asarray(n, dtype=dtype)
    if target.dtype.kind not in "iu":
        raise DTypeError(f"{fn}: targets must be class indices (integers) or probabilities (floats), got {target.dtype}")
    if target.shape != (n,):
        raise ShapeError(f"{fn}: class-index targets must have shape ({n},) for input {fmt_shape((n, c))}, got {fmt_shape(target.shape)}")
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= c))
    if bad.any():
        raise ValueError(
            f"{fn}: target {int(target[bad][0])} is out of range for {c} classes; labels must be in [0, {c - 1}]"
            + (f" (or ignore_index={ignore_index})" if ignore_index != -100 else "")
        )
    safe = np.where(keep, target, 0)
    q = np.zeros((n, c), dtype=dtype)
    q[np.arange(n), safe] = w[safe] * (1 - label_smoothing)
    if label_smoothing:
        q += w * (label_smoothing / c)
    q[~keep] = 0
    return q, np.asarray(w[safe][keep].sum(), dtype=dtype)


def _reduce(per_sample: Tensor, reduction: str, denominator, fn: str) -> Tensor:
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    if reduction == "mean":
        if denominator == 0:  # every target ignored: the loss is NaN but the gradient 0, as in torch
            return per_sample.sum() * 0.0 + float("nan")
        return per_sample.sum() / Tensor._wrap(np.asarray(denominator, dtype=per_sample.dtype))
    raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _flatten_classes(x: Tensor, target: np.ndarray, fn: str) -> tuple[Tensor, np.ndarray, tuple]:
    """(N, C, d1, ...) inputs to (N*d1*..., C) rows, as torch's K-dimensional losses."""
    if x.ndim == 1:  # one sample: (C,) logits with a class index () or probabilities (C,)
        return x.reshape(1, -1), target.reshape(1, -1) if target.dtype.kind == "f" else target.reshape(1), ()
    if x.ndim == 2:
        return x, target, ()
    if x.ndim < 1:
        raise ShapeError(f"{fn}: input must have a class dimension, got shape {fmt_shape(x.shape)}")
    spatial = (x.shape[0], *x.shape[2:])
    rows = x.permute(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])
    if target.dtype.kind == "f":
        target = np.moveaxis(target, 1, -1).reshape(-1, x.shape[1])
    else:
        if target.shape != spatial:
            raise ShapeError(f"{fn}: target shape {fmt_shape(target.shape)} does not match input {fmt_shape(x.shape)}; expected {fmt_shape(spatial)}")
        target = target.reshape(-1)
    return rows, target, spatial


def cross_entropy(
    input: Tensor,
    target,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C) or (N, C, d1, ...) against class indices or
    class probabilities, exactly as ``torch.nn.functional.cross_entropy``."""
    fn = "cross_entropy"
    target = target.data if isinstance(target, Tensor) else np.asarray(target)
    weight = weight.data if isinstance(weight, Tensor) else (None if weight is None else np.asarray(weight))
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.data.dtype.kind != "f":
        raise DTypeError(f"{fn}: logits must be floating point, got {input.dtype}")
    rows, flat_target, spatial = _flatten_classes(input, target, fn)
    q, denominator = _target_matrix(rows.shape, flat_target, weight, ignore_index, label_smoothing, rows.dtype, fn)
    if reduction == "sum" or (reduction == "mean" and denominator != 0):  # reduced inside the op
        total = denominator if reduction == "mean" else np.asarray(1, dtype=rows.dtype)
        return SoftmaxCrossEntropy.apply(rows, q=q, denominator=total)
    per_sample = SoftmaxCrossEntropy.apply(rows, q=q)
    if reduction == "none":
        return per_sample.reshape(spatial) if spatial else (per_sample.reshape(()) if input.ndim == 1 else per_sample)
    return _reduce(per_sample, reduction, denominator, fn)


def nll_loss(
    input: Tensor,
    target,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C): -w_y logp_y, as torch's nll_loss."""
    fn = "nll_loss"
    target = target.data if isinstance(target, Tensor) else np.asarray(target)
    weight = weight.data if isinstance(weight, Tensor) else (None if weight is None else np.asarray(weight))
    if target.dtype.kind == "f":
        raise DTypeError(f"{fn}: targets must be class indices (integers), got {target.dtype}")
    rows, flat_target, spatial = _flatten_classes(input, target, fn)
    q, denominator = _target_matrix(rows.shape, flat_target, weight, ignore_index, 0.0, rows.dtype, fn)
    weighted = where(Tensor._wrap(q != 0), rows, 0.0) * Tensor._wrap(q)  # 0, not NaN, for a -inf input
    per_sample = -_sum(weighted, 1)
    if reduction == "none":
        return per_sample.reshape(spatial) if spatial else (per_sample.reshape(()) if input.ndim == 1 else per_sample)
    return _reduce(per_sample, reduction, denominator, fn)
