"""Elementwise ops: arithmetic, math functions, clamping and comparisons, each with its derivative beside it.

Binary ops broadcast like NumPy; the engine sums broadcast gradients back to each input's shape.
Dtypes follow PyTorch: a Python number never widens a tensor (``float32 * 2.0`` stays float32),
integers meet floats as the float, float32 meets float64 as float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from neurona.errors import ShapeError, fmt_shape
from neurona.ops.promotion import _SCALARS, _broadcast_error, as_tensor, cast, pair  # noqa: F401 (re-exported)
from neurona.tensor import Function, Tensor


# --------------------------------------------------------------------------------------------------
# arithmetic
# --------------------------------------------------------------------------------------------------
class _Binary(Function):
    """y = compute(a, b) for a NumPy binary function; shapes that do not broadcast get a clear error."""

    def forward(self, ctx, a, b):
        try:
            return self.compute(a, b)
        except ValueError:
            raise _broadcast_error(type(self).__name__.lower(), a, b) from None


class Add(_Binary):
    """y = a + b;  dy/da = 1, dy/db = 1"""

    compute = staticmethod(np.add)

    def backward(self, ctx, grad):
        return grad, grad


class Sub(_Binary):
    """y = a - b;  dy/da = 1, dy/db = -1"""

    compute = staticmethod(np.subtract)

    def backward(self, ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(_Binary):
    """y = a * b;  dy/da = b, dy/db = a"""

    compute = staticmethod(np.multiply)

    def backward(self, ctx, grad):
        (a, b), (need_a, need_b) = ctx.inputs, ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(_Binary):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b^2"""

    compute = staticmethod(np.divide)

    def backward(self, ctx, grad):
        (a, b), (need_a, need_b) = ctx.inputs, ctx.needs_input_grad
        return (grad / b if need_a else None), (-grad * a / (b * b) if need_b else None)


class Neg(Function):
    """y = -x;  dy/dx = -1"""

    def forward(self, ctx, x):
        return np.negative(x)

    def backward(self, ctx, grad):
        return -grad


class PowScalar(Function):
    """y = x^p for a constant p;  dy/dx = p x^(p-1)"""

    def forward(self, ctx, x):
        return np.power(x, x.dtype.type(self.p))

    def backward(self, ctx, grad):
        (x,) = ctx.inputs
        if self.p == 0:  # y = 1: the derivative is 0 everywhere, also at x = 0 (not 0 * inf)
            return grad * 0.0
        if self.p == 2:
            return grad * 2.0 * x
        return grad * self.p * x ** (self.p - 1)


class Pow(_Binary):
    """y = a^b;  dy/da = b a^(b-1), dy/db = y ln(a)  (taken as 0 where a = 0 and b >= 0, as in torch)"""

    compute = staticmethod(np.power)

    def backward(self, ctx, grad):
        (a, b), y = ctx.inputs, ctx.output
        need_a, need_b = ctx.needs_input_grad
        ga = grad * b * a ** (b - 1) if need_a else None
        one_where_zero = (a == 0) & (b >= 0)  # y ln(a) -> 0 as a -> 0: take ln(1) there, no 0 * -inf
        gb = grad * y * Log.apply(a + one_where_zero) if need_b else None
        return ga, gb


def add(a: Any, b: Any) -> Tensor:
    return Add.apply(*pair(a, b))


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(*pair(a, b))


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(*pair(a, b))


def div(a: Any, b: Any) -> Tensor:
    a, b = pair(a, b)
    if a.data.dtype.kind != "f" or b.data.dtype.kind != "f":  # true division gives floats, as in torch
        floats = [t.data.dtype for t in (a, b) if t.data.dtype.kind == "f"]
        dtype = floats[0] if floats else np.float32
        a, b = cast(a, dtype), cast(b, dtype)
    return Div.apply(a, b)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


def pow(a: Any, b: Any) -> Tensor:
    if isinstance(a, Tensor) and isinstance(b, _SCALARS) and not isinstance(b, bool):
        if a.data.dtype.kind != "f" and not isinstance(b, int | np.integer):
            a = cast(a, np.float32)  # an integer tensor to a fractional power gives floats, as in torch
        if b == 1:
            return a
        return PowScalar.apply(a, p=float(b) if a.data.dtype.kind == "f" else b)
    return Pow.apply(*pair(a, b))


# --------------------------------------------------------------------------------------------------
# unary math
# --------------------------------------------------------------------------------------------------
class Exp(Function):
    """y = e^x;  dy/dx = y"""

    def forward(self, ctx, x):
        return np.exp(x)

    def backward(self, ctx, grad):
        return grad * ctx.output


class Log(Function):
    """y = ln x;  dy/dx = 1/x"""

    def forward(self, ctx, x):
        return np.log(x)

    def backward(self, ctx, grad):
        return grad / ctx.inputs[0]


class Log1p(Function):
    """y = ln(1 + x);  dy/dx = 1/(1 + x)"""

    def forward(self, ctx, x):
        return np.log1p(x)

    def backward(self, ctx, grad):
        return grad / (ctx.inputs[0] + 1.0)


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1/(2y)"""

    def forward(self, ctx, x):
        return np.sqrt(x)

    def backward(self, ctx, grad):
        return grad / (ctx.output * 2.0)


class Sin(Function):
    """y = sin x;  dy/dx = cos x"""

    def forward(self, ctx, x):
        return np.sin(x)

    def backward(self, ctx, grad):
        return grad * Cos.apply(ctx.inputs[0])


class Cos(Function):
    """y = cos x;  dy/dx = -sin x"""

    def forward(self, ctx, x):
        return np.cos(x)

    def backward(self, ctx, grad):
        return -grad * Sin.apply(ctx.inputs[0])


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y^2"""

    def forward(self, ctx, x):
        return np.tanh(x)

    def backward(self, ctx, grad):
        y = ctx.output
        return grad * (1.0 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y)"""

    def forward(self, ctx, x):
        # tanh form (1 + tanh(x/2)) / 2: SIMD-fast and no overflow for large |x| ...
        y = np.multiply(x, x.dtype.type(0.5), out=np.empty_like(x))
        np.tanh(y, out=y)
        y += 1
        y *= 0.5
        # ... but 1 + tanh cancels for negative x (sigmoid(-20) would round to 0): there use e^x / (1 + e^x)
        tail = x < -2
        if tail.any():
            e = np.exp(x[tail])
            y[tail] = e / (1 + e)
        return y

    def backward(self, ctx, grad):
        y = ctx.output
        return grad * y * (1.0 - y)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x)  (0 at x = 0, as in torch)"""

    def forward(self, ctx, x):
        return np.abs(x)

    def backward(self, ctx, grad):
        return grad * Sign.apply(ctx.inputs[0])


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt;  dy/dx = 2/sqrt(pi) e^(-x^2)"""

    def forward(self, ctx, x):
        return special.erf(x).astype(x.dtype, copy=False)

    def backward(self, ctx, grad):
        (x,) = ctx.inputs
        return grad * (2.0 / math.sqrt(math.pi)) * Exp.apply(-(x * x))


def _floating(x: Tensor) -> Tensor:
    """Integer and bool tensors become float32 before a function with real values, as in torch."""
    return x if x.data.dtype.kind == "f" else cast(x, np.float32)


def exp(x: Tensor) -> Tensor:
    return Exp.apply(_floating(x))


def log(x: Tensor) -> Tensor:
    return Log.apply(_floating(x))


def log1p(x: Tensor) -> Tensor:
    return Log1p.apply(_floating(x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(_floating(x))


def sin(x: Tensor) -> Tensor:
    return Sin.apply(_floating(x))


def cos(x: Tensor) -> Tensor:
    return Cos.apply(_floating(x))


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(_floating(x))


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid.apply(_floating(x))


def abs(x: Tensor) -> Tensor:
    return Abs.apply(x)


def erf(x: Tensor) -> Tensor:
    return Erf.apply(_floating(x))


class Sign(Function):
    """y = sign(x) in {-1, 0, 1};  dy/dx = 0 (almost everywhere)"""

    def forward(self, ctx, x):
        return np.sign(x)

    def backward(self, ctx, grad):
        return grad * 0


def sign(x: Tensor) -> Tensor:
    """sign(x) in {-1, 0, 1}; its derivative is 0 almost everywhere, so no graph is built."""
    return Tensor._wrap(np.sign(x.data))


# --------------------------------------------------------------------------------------------------
# piecewise ops: derivatives are masks (constants), so their higher derivatives are 0
# --------------------------------------------------------------------------------------------------
class Clamp(Function):
    """y = min(max(x, lo), hi);  dy/dx = [lo <= x <= hi]  (as torch.clamp)"""

    def forward(self, ctx, x):
        return np.clip(x, self.lo, self.hi)

    def backward(self, ctx, grad):
        (x,) = ctx.inputs
        if self.lo is not None:
            grad = grad * (x >= self.lo)
        return grad if self.hi is None else grad * (x <= self.hi)


class Maximum(_Binary):
    """y = max(a, b);  dy/da = [a > b] + [a = b]/2  (ties split the gradient, as in torch)"""

    compute = staticmethod(np.maximum)

    def backward(self, ctx, grad):
        a, b = ctx.inputs
        share = ((a > b) + 0.5 * (a == b)).astype(a.dtype)
        return grad * share, grad * (1 - share)


class Minimum(_Binary):
    """y = min(a, b);  dy/da = [a < b] + [a = b]/2"""

    compute = staticmethod(np.minimum)

    def backward(self, ctx, grad):
        a, b = ctx.inputs
        share = ((a < b) + 0.5 * (a == b)).astype(a.dtype)
        return grad * share, grad * (1 - share)


class Where(Function):
    """y = a where cond else b;  dy/da = [cond], dy/db = [not cond]"""

    def forward(self, ctx, a, b):
        try:
            return np.where(self.cond, a, b)
        except ValueError:
            raise ShapeError(
                f"where: condition {fmt_shape(self.cond.shape)} and values {fmt_shape(a.shape)}, "
                f"{fmt_shape(b.shape)} cannot be broadcast together"
            ) from None

    def backward(self, ctx, grad):
        zero, (need_a, need_b) = np.zeros((), dtype=grad.dtype), ctx.needs_input_grad
        ga = Where.apply(grad, zero, cond=self.cond) if need_a else None
        gb = Where.apply(zero, grad, cond=self.cond) if need_b else None
        return ga, gb


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    if x.data.dtype.kind != "f" and any(isinstance(b, float) for b in (min, max)):
        x = cast(x, np.float32)  # an integer tensor clamped to float bounds is float32, as in torch
    return Clamp.apply(x, lo=min, hi=max)


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(*pair(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    return Minimum.apply(*pair(a, b))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    return Where.apply(*pair(a, b), cond=cond)


# --------------------------------------------------------------------------------------------------
# comparisons and logic: results are bool tensors, never part of the graph
# --------------------------------------------------------------------------------------------------
def _compare(fn, name):
    def compare(a: Any, b: Any) -> Tensor:
        a, b = pair(a, b)
        try:
            return Tensor._wrap(fn(a.data, b.data))
        except ValueError:
            raise _broadcast_error(name, a.data, b.data) from None

    compare.__name__ = name
    return compare


lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")


def logical_not(x: Tensor) -> Tensor:
    return Tensor._wrap(np.logical_not(x.data))


def isfinite(x: Tensor) -> Tensor:
    return Tensor._wrap(np.isfinite(x.data))
