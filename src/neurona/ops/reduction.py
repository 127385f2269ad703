"""Reductions: sum, mean, max/min, prod, logsumexp, var/std, norms, argmax/argmin, and ``sum_to``.

``dim`` may be None (all dimensions), an int or a tuple of ints; ``keepdim`` keeps reduced
dimensions as size 1. NumPy's ``axis=`` / ``keepdims=`` are accepted as aliases.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from neurona.errors import fmt_shape
from neurona.ops.elementwise import Exp, cast, sqrt
from neurona.ops.elementwise import abs as _abs
from neurona.ops.shape import BroadcastTo
from neurona.tensor import Function, Tensor

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _dims(dim: Any, ndim: int, kw: dict) -> tuple[int, ...] | None:
    """Normalised reduction dims (None = all), accepting NumPy's ``axis`` alias."""
    if "axis" in kw:
        dim = kw.pop("axis")
    if kw:
        raise TypeError(f"unexpected keyword arguments {sorted(kw)}")
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    out, n = [], ndim if ndim > 0 else 1
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"dimension {d} is out of range for a tensor with {ndim} dimensions")
        out.append(int(d) % n)
    return tuple(sorted(set(out))) if ndim else None


def _keep(keepdim: bool, kw: dict) -> bool:
    return kw.pop("keepdims", keepdim)


def _spread(grad: Any, fn: Function, shape: tuple[int, ...]) -> Any:
    """A reduced gradient (or value) broadcast back to the reduction's input ``shape``."""
    if grad.shape != shape and not fn.keepdim and fn.dims is not None:
        grad = grad.reshape(tuple(1 if i in fn.dims else s for i, s in enumerate(shape)))
    return BroadcastTo.apply(grad, shape=shape) if grad.shape != shape else grad


class Sum(Function):
    """y = sum_i x_i over ``dims``;  dy/dx_i = 1 (the gradient is broadcast back)"""

    def forward(self, ctx, x):
        return np.sum(x, axis=self.dims, keepdims=self.keepdim)

    def backward(self, ctx, grad):
        return _spread(grad, self, ctx.shapes[0])


class Mean(Function):
    """y = (1/n) sum_i x_i;  dy/dx_i = 1/n"""

    def forward(self, ctx, x):
        ctx.n = x.size if self.dims is None else int(np.prod([x.shape[d] for d in self.dims]))
        return np.mean(x, axis=self.dims, keepdims=self.keepdim)

    def backward(self, ctx, grad):
        return _spread(grad * (1.0 / (ctx.n or 1)), self, ctx.shapes[0])


class Max(Function):
    """y = max_i x_i;  dy/dx_i = [i is the arg max]  (``even``: split equally between ties)"""

    def forward(self, ctx, x):
        reduce = np.max if self.largest else np.min
        return reduce(x, axis=self.dims, keepdims=self.keepdim)

    def backward(self, ctx, grad):
        (x,) = ctx.arrays  # which elements won is a constant of the gradient
        if self.even:
            y = np.max(x, self.dims, keepdims=True) if self.largest else np.min(x, self.dims, keepdims=True)
            hit = x == y
            mask = hit / np.sum(hit, axis=self.dims, keepdims=True)
        else:  # one winner per slice: the index argmax/argmin reports
            (d,) = self.dims
            idx = (np.argmax if self.largest else np.argmin)(x, axis=d)
            mask = np.zeros(x.shape, dtype=bool)
            np.put_along_axis(mask, np.expand_dims(idx, d), True, axis=d)
        return _spread(grad, self, x.shape) * mask.astype(x.dtype)


class Prod(Function):
    """y = prod_i x_i;  dy/dx_i = prod_{j != i} x_j"""

    def forward(self, ctx, x):
        return np.prod(x, axis=self.dims, keepdims=self.keepdim)

    def backward(self, ctx, grad):
        (x,), g = ctx.inputs, _spread(grad, self, ctx.shapes[0])
        if np.all(ctx.arrays[0] != 0):
            return g * _spread(ctx.output, self, x.shape) / x
        # with zeros, y / x is undefined: multiply the others directly (first order only)
        return g * _prod_of_others(ctx.arrays[0], self.dims)


def _prod_of_others(x: np.ndarray, dims: tuple[int, ...] | None) -> np.ndarray:
    """prod_{j != i} x_j along ``dims`` via exclusive cumulative products (works with zeros)."""
    moved = x.reshape(-1) if dims is None else np.moveaxis(x, dims, range(-len(dims), 0))
    lead = moved.shape[: moved.ndim - (1 if dims is None else len(dims))]
    flat = moved.reshape(*lead, -1)
    ones = np.ones((*lead, 1), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = (before * after).reshape(moved.shape)
    if dims is None:
        return others.reshape(x.shape)
    return np.moveaxis(others, range(-len(dims), 0), dims)


class LogSumExp(Function):
    """y = ln sum_i e^(x_i)  (computed as m + ln sum e^(x_i - m));  dy/dx_i = e^(x_i - y)"""

    def forward(self, ctx, x):
        m = np.max(x, axis=self.dims, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        y = np.log(np.sum(np.exp(x - m), axis=self.dims, keepdims=True)) + m
        if not self.keepdim:
            y = np.squeeze(y, axis=self.dims) if self.dims is not None else y.reshape(())
        return y.astype(x.dtype, copy=False)

    def backward(self, ctx, grad):
        (x,) = ctx.inputs
        return _spread(grad, self, x.shape) * Exp.apply(x - _spread(ctx.output, self, x.shape))


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    keepdim = _keep(keepdim, kw)
    return Sum.apply(x, dims=_dims(dim, x.ndim, kw), keepdim=keepdim)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    keepdim = _keep(keepdim, kw)
    if x.data.dtype.kind != "f":
        raise TypeError(f"mean() needs a floating-point tensor, got dtype {x.dtype}; call .float() first")
    return Mean.apply(x, dims=_dims(dim, x.ndim, kw), keepdim=keepdim)


def _extreme(x: Tensor, dim: Any, keepdim: bool, kw: dict, largest: bool, even: bool):
    keepdim = _keep(keepdim, kw)
    dims = _dims(dim, x.ndim, kw)
    if x.data.size == 0:
        raise ValueError(f"max/min of an empty tensor of shape {fmt_shape(x.shape)}")
    values = Max.apply(x, dims=dims, keepdim=keepdim, largest=largest, even=even or dims is None)
    if even or dims is None:
        return values
    if len(dims) != 1:
        raise ValueError("max(dim=...)/min(dim=...) take one dim; use amax/amin for several")
    indices = (np.argmax if largest else np.argmin)(x.data, axis=dims[0], keepdims=keepdim)
    return MaxResult(values, Tensor._wrap(indices.astype(np.int64)))


def max(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any):
    """The largest element, or with ``dim`` a ``(values, indices)`` pair, as in torch.max."""
    return _extreme(x, dim, keepdim, kw, largest=True, even=False)


def min(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any):
    """The smallest element, or with ``dim`` a ``(values, indices)`` pair, as in torch.min."""
    return _extreme(x, dim, keepdim, kw, largest=False, even=False)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _extreme(x, dim, keepdim, kw, largest=True, even=True)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _extreme(x, dim, keepdim, kw, largest=False, even=True)


def prod(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    keepdim = _keep(keepdim, kw)
    return Prod.apply(x, dims=_dims(dim, x.ndim, kw), keepdim=keepdim)


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    keepdim = _keep(keepdim, kw)
    if x.data.dtype.kind != "f":  # integers are taken as float32, as torch does
        x = cast(x, np.float32)
    return LogSumExp.apply(x, dims=_dims(dim, x.ndim, kw), keepdim=keepdim)


def var(
    x: Tensor, dim: Any = None, *, correction: int | None = None, unbiased: bool | None = None,
    keepdim: bool = False, **kw: Any,
) -> Tensor:
    """Variance  sum (x - mean)^2 / (n - correction);  ``correction=1`` (Bessel) by default, as torch."""
    keepdim = _keep(keepdim, kw)
    dims = _dims(dim, x.ndim, kw)
    if correction is None:
        correction = 0 if unbiased is False else 1
    n = x.data.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    centered = x - mean(x, dims, keepdim=True)
    return sum(centered * centered, dims, keepdim=keepdim) * (1.0 / np.maximum(n - correction, 0))


def std(
    x: Tensor, dim: Any = None, *, correction: int | None = None, unbiased: bool | None = None,
    keepdim: bool = False, **kw: Any,
) -> Tensor:
    """Standard deviation: sqrt of :func:`var`."""
    return sqrt(var(x, dim, correction=correction, unbiased=unbiased, keepdim=keepdim, **kw))


def norm(x: Tensor, p: float = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Vector p-norm (p = 1, 2, inf or any p > 0) over ``dim`` (all elements by default)."""
    if p == 2:
        return sqrt(sum(x * x, dim, keepdim))
    if p == 1:
        return sum(_abs(x), dim, keepdim)
    if p == float("inf"):
        return amax(_abs(x), dim, keepdim)
    return sum(_abs(x) ** p, dim, keepdim) ** (1.0 / p)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
    keepdim = _keep(keepdim, kw)
    dim = kw.pop("axis", dim)
    out = np.argmax(x.data, axis=dim, keepdims=keepdim)  # dim=None + keepdim: shape (1, ..., 1), as torch
    return Tensor._wrap(np.asarray(out, dtype=np.int64))


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
    keepdim = _keep(keepdim, kw)
    dim = kw.pop("axis", dim)
    out = np.argmin(x.data, axis=dim, keepdims=keepdim)
    return Tensor._wrap(np.asarray(out, dtype=np.int64))
