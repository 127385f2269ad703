"""Activation functions as ops: ReLU and its relatives (piecewise: their derivatives are masks, constant
in x, so their second derivatives are 0) and the smooth ones (softplus, GELU, SiLU, SELU).

Their derivatives, written with neurona ops, sit beside each forward.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from neurona.ops.elementwise import Erf, Exp, Sigmoid, Where, sigmoid, tanh
from neurona.ops.kernels import select
from neurona.tensor import Function, Tensor


class ReLU(Function):
    """y = max(x, 0);  dy/dx = [x > 0]"""

    def forward(self, ctx, x):
        return np.maximum(x, 0)

    def backward(self, ctx, grad):
        return grad * (ctx.arrays[0] > 0)


class LeakyReLU(Function):
    """y = x if x > 0 else s x;  dy/dx = 1 if x > 0 else s"""

    def forward(self, ctx, x):
        return np.where(x > 0, x, x * x.dtype.type(self.slope))

    def backward(self, ctx, grad):
        (x,) = ctx.arrays
        return grad * np.where(x > 0, 1, self.slope).astype(x.dtype)


class ELU(Function):
    """y = x if x > 0 else a (e^x - 1);  dy/dx = 1 if x > 0 else y + a"""

    def forward(self, ctx, x):
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)

    def backward(self, ctx, grad):
        positive = ctx.arrays[0] > 0
        return Where.apply(grad, grad * (ctx.output + self.alpha), cond=positive)


class Hardtanh(Function):
    """y = clip(x, lo, hi);  dy/dx = [lo < x < hi]"""

    def forward(self, ctx, x):
        return np.clip(x, self.lo, self.hi).astype(x.dtype, copy=False)  # an integer tensor stays integer, as in torch

    def backward(self, ctx, grad):
        (x,) = ctx.arrays
        return grad * ((x > self.lo) & (x < self.hi))


def relu(x: Tensor) -> Tensor:
    return select(ReLU).apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply(x, slope=negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return ELU.apply(x, alpha=alpha)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return Hardtanh.apply(x, lo=min_val, hi=max_val)


# --------------------------------------------------------------------------------------------------
# smooth activations
# --------------------------------------------------------------------------------------------------
class Softplus(Function):
    """y = ln(1 + e^(b x)) / b  (y = x where b x > threshold);  dy/dx = sigmoid(b x)"""

    def forward(self, ctx, x):
        bx = x * x.dtype.type(self.beta)
        y = np.logaddexp(x.dtype.type(0), bx) / x.dtype.type(self.beta)
        return np.where(bx > self.threshold, x, y).astype(x.dtype, copy=False)

    def backward(self, ctx, grad):
        (x,), linear = ctx.inputs, ctx.arrays[0] * self.beta > self.threshold
        return Where.apply(grad, grad * Sigmoid.apply(x * self.beta), cond=linear)


class GELU(Function):
    """y = x Phi(x), Phi the standard normal CDF;  dy/dx = Phi(x) + x phi(x)"""

    def forward(self, ctx, x):
        return (x * 0.5 * (1.0 + special.erf(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)

    def backward(self, ctx, grad):
        (x,) = ctx.inputs
        cdf = (Erf.apply(x * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5
        pdf = Exp.apply(x * x * -0.5) * (1.0 / math.sqrt(2.0 * math.pi))
        return grad * (cdf + x * pdf)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return Softplus.apply(x, beta=beta, threshold=threshold)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    if approximate == "none":
        return GELU.apply(x)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (tanh(inner) + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Tensor) -> Tensor:
    """y = x sigmoid(x)"""
    return x * sigmoid(x)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Tensor) -> Tensor:
    """y = scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017)."""
    return elu(x, SELU_ALPHA) * SELU_SCALE
