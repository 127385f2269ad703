"""Dtype promotion and casting: how two operands of different dtypes meet, as in PyTorch.

A Python (or NumPy) number never widens a tensor (``float32 * 2.0`` stays float32); integers meet floats
as the float; within one kind, a 0-d tensor does not widen a dimensioned one; float32 meets float64 as
float64. ``pair`` applies this to the two operands of every binary op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.tensor import Function, Tensor

_SCALARS = (int, float, bool, np.generic)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _scalar(value: Any, like: Tensor) -> Tensor:
    """A Python number as a 0-d tensor that takes the other operand's dtype (a 'weak' scalar)."""
    kind = like.data.dtype.kind
    if isinstance(value, bool | np.bool_):
        dtype = like.data.dtype
    elif isinstance(value, int | np.integer):
        dtype = like.data.dtype if kind in "iuf" else np.int64
    else:
        dtype = like.data.dtype if kind == "f" else np.float32
    return Tensor._wrap(np.asarray(value, dtype=dtype))


def result_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """PyTorch's promotion: higher category wins; within one, a 0-d tensor does not widen the other."""
    if a.dtype == b.dtype:
        return a.dtype
    ca, cb = _CATEGORY.get(a.dtype.kind, 2), _CATEGORY.get(b.dtype.kind, 2)
    if ca != cb:
        return a.dtype if ca > cb else b.dtype
    if a.ndim == 0 and b.ndim > 0:
        return b.dtype
    if b.ndim == 0 and a.ndim > 0:
        return a.dtype
    return np.promote_types(a.dtype, b.dtype)


def as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value)


def _operand(value: Any, like: Tensor) -> Tensor:
    """A number, array or list next to the tensor ``like``: numbers are weak scalars, and floating
    arrays take ``like``'s floating dtype (a float64 array is not rounded to float32 next to float64)."""
    if isinstance(value, _SCALARS):
        return _scalar(value, like)
    array = np.asarray(value)
    if array.dtype.kind == "f" and like.data.dtype.kind == "f":
        return Tensor._wrap(array.astype(like.data.dtype, copy=False))
    return Tensor(array)


def pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of one dtype (bool masks are left as they are: NumPy casts them)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = as_tensor(a)  # two plain values (where(c, 1.0, 0.0)): the first sets the dtype
    if not isinstance(a, Tensor):
        a = _operand(a, b)
    if not isinstance(b, Tensor):
        b = _operand(b, a)
    if a.data.dtype != b.data.dtype:
        dtype = result_dtype(a.data, b.data)
        if a.data.dtype != dtype and a.data.dtype.kind != "b":
            a = cast(a, dtype)
        if b.data.dtype != dtype and b.data.dtype.kind != "b":
            b = cast(b, dtype)
    return a, b


def _broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {fmt_shape(a.shape)} and {fmt_shape(b.shape)} cannot be broadcast together; "
        "each dimension, aligned from the right, must be equal or 1."
    )


# --------------------------------------------------------------------------------------------------
# dtype cast
# --------------------------------------------------------------------------------------------------
class Cast(Function):
    """y = x as another dtype;  dy/dx = 1 (cast back to the input's dtype)."""

    def forward(self, ctx, x):
        return x.astype(self.dtype)

    def backward(self, ctx, grad):
        return grad.astype(ctx.dtypes[0])


def cast(x: Tensor, dtype: Any) -> Tensor:
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    if dtype.kind != "f" or x.data.dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtype))  # integer/bool results carry no gradient
    return Cast.apply(x, dtype=dtype)
