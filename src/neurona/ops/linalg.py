"""Matrix products: batched ``matmul`` and the fused ``linear`` layer op (y = x W^T + b)."""

from __future__ import annotations

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.ops.elementwise import pair
from neurona.ops.shape import SumTo, reshape, unsqueeze
from neurona.tensor import Function, Tensor


class MatMul(Function):
    """Y = A B (batched over leading dims);  dL/dA = G B^T,  dL/dB = A^T G"""

    def forward(self, ctx, a, b):
        if a.shape[-1] != b.shape[-2]:
            raise _not_aligned(a.shape, b.shape)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ShapeError(
                f"matmul: batch dimensions of {fmt_shape(a.shape)} and {fmt_shape(b.shape)} cannot be "
                "broadcast together"
            ) from None

    def backward(self, ctx, grad):
        (a, b), (need_a, need_b) = ctx.inputs, ctx.needs_input_grad
        ga = grad @ b.swapaxes(-1, -2) if need_a else None
        gb = a.swapaxes(-1, -2) @ grad if need_b else None
        return ga, gb


def _not_aligned(a_shape: tuple, b_shape: tuple) -> ShapeError:
    b_inner = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    return ShapeError(
        f"matmul: shapes {fmt_shape(a_shape)} and {fmt_shape(b_shape)} are not aligned: the last "
        f"dimension of the first ({a_shape[-1]}) must equal the second-to-last of the second ({b_inner})"
    )


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy/torch semantics for 1-D operands and batch broadcasting."""
    a, b = pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dimension, got {fmt_shape(a.shape)} and {fmt_shape(b.shape)}")
    if a.ndim == 1 and b.ndim == 1:
        if a.shape != b.shape:
            raise ShapeError(f"matmul: vectors of shapes {fmt_shape(a.shape)} and {fmt_shape(b.shape)} differ in length")
        return reshape(MatMul.apply(unsqueeze(a, 0), unsqueeze(b, 1)), ())
    if a.shape[-1] != (b.shape[0] if b.ndim == 1 else b.shape[-2]):  # name the shapes the user passed
        raise _not_aligned(a.shape, b.shape)
    if a.ndim == 1:
        y = MatMul.apply(unsqueeze(a, 0), b)
        return reshape(y, (*y.shape[:-2], y.shape[-1]))
    if b.ndim == 1:
        y = MatMul.apply(a, unsqueeze(b, 1))
        return reshape(y, y.shape[:-1])
    return MatMul.apply(a, b)


class Linear(Function):
    """y = x W^T + b  for x of shape (..., in);  dL/dx = G W,  dL/dW = G^T x,  dL/db = sum_rows G

    One op instead of matmul + transpose + add: fewer graph nodes and no copies on the hot path.
    """

    def forward(self, ctx, x, weight, *bias):
        y = x @ weight.T
        if bias:
            y += bias[0]
        return y

    def backward(self, ctx, grad):
        x, weight = ctx.inputs[:2]
        needs = ctx.needs_input_grad
        rows = grad.reshape(-1, grad.shape[-1])  # (..., out) -> (N, out)
        gx = grad @ weight if needs[0] else None
        gw = rows.T @ x.reshape(-1, x.shape[-1]) if needs[1] else None
        gb = SumTo.apply(rows, shape=weight.shape[:1]) if len(needs) > 2 and needs[2] else None
        return gx, gw, gb


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, as ``torch.nn.functional.linear``; ``weight`` has shape (out, in)."""
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got {fmt_shape(weight.shape)}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear: input of shape {fmt_shape(x.shape)} does not fit a weight of shape "
            f"{fmt_shape(weight.shape)}; the input's last dimension must be {weight.shape[1]}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"linear: bias must have shape ({weight.shape[0]},), got {fmt_shape(bias.shape)}")
    x, weight = pair(x, weight)
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, pair(bias, x)[0])
