"""Basic probability distributions, as ``torch.distributions``: ``Normal``, ``Bernoulli``,
``Categorical``, ``Uniform``. ``log_prob`` and ``entropy`` are built from neurona's ops, so they are
differentiable in the parameters (the policy-gradient and VAE losses of the course need that);
``rsample`` (Normal, Uniform) is the reparameterised sample, differentiable too; ``sample`` is not.

Draws come from the global generator seeded by ``neurona.manual_seed``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurona import ops
from neurona.creation import tensor
from neurona.dtypes import get_default_dtype
from neurona.errors import ShapeError
from neurona.grad_mode import no_grad
from neurona.random import rng
from neurona.tensor import Tensor

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform"]


def _param(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value if value.data.dtype.kind == "f" else value.float()
    return tensor(value, dtype=get_default_dtype())


def _shape(sample_shape: Any) -> tuple[int, ...]:
    return tuple(sample_shape) if isinstance(sample_shape, tuple | list) else (int(sample_shape),)


class Distribution:
    """The shared interface: ``sample``, ``rsample``, ``log_prob``, ``entropy``, ``mean``, ``batch_shape``."""

    batch_shape: tuple[int, ...] = ()
    has_rsample = False

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sample; use sample()")

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_shape={list(self.batch_shape)})"


class Normal(Distribution):
    """N(loc, scale^2):  log p(x) = -(x - loc)^2 / (2 scale^2) - log scale - log(2 pi) / 2."""

    has_rsample = True

    def __init__(self, loc: Any, scale: Any) -> None:
        self.loc, self.scale = _param(loc), _param(scale)
        if (self.scale.data <= 0).any():
            raise ValueError("Normal: scale must be positive")
        self.batch_shape = tuple(np.broadcast_shapes(self.loc.shape, self.scale.shape))

    mean = property(lambda self: ops.broadcast_to(self.loc, self.batch_shape))
    stddev = property(lambda self: ops.broadcast_to(self.scale, self.batch_shape))
    variance = property(lambda self: self.stddev ** 2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = rng().standard_normal(_shape(sample_shape) + self.batch_shape).astype(self.loc.data.dtype)
        return self.loc + self.scale * Tensor._wrap(eps)

    def log_prob(self, value: Any) -> Tensor:
        z = (value - self.loc) / self.scale
        return -0.5 * z * z - ops.log(self.scale) - 0.5 * math.log(2 * math.pi)

    def entropy(self) -> Tensor:
        return ops.broadcast_to(0.5 + 0.5 * math.log(2 * math.pi) + ops.log(self.scale), self.batch_shape)


class Uniform(Distribution):
    """U[low, high):  log p(x) = -log(high - low) inside the interval, -inf outside."""

    has_rsample = True

    def __init__(self, low: Any, high: Any) -> None:
        self.low, self.high = _param(low), _param(high)
        if (self.high.data <= self.low.data).any():
            raise ValueError("Uniform: high must be greater than low")
        self.batch_shape = tuple(np.broadcast_shapes(self.low.shape, self.high.shape))

    mean = property(lambda self: (self.low + self.high) / 2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = rng().random(_shape(sample_shape) + self.batch_shape).astype(self.low.data.dtype)
        return self.low + (self.high - self.low) * Tensor._wrap(u)

    def log_prob(self, value: Any) -> Tensor:
        v = value.data if isinstance(value, Tensor) else np.asarray(value)
        inside = (v >= self.low.data) & (v < self.high.data)
        lp = -ops.log(self.high - self.low)
        return ops.where(inside, lp, np.asarray(-np.inf, dtype=self.low.data.dtype))

    def entropy(self) -> Tensor:
        return ops.log(self.high - self.low)


class Bernoulli(Distribution):
    """1 with probability p:  log p(x) = x log p + (1 - x) log(1 - p), from ``probs`` or ``logits``."""

    def __init__(self, probs: Any = None, logits: Any = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli: give exactly one of probs or logits")
        self.logits = _param(logits) if logits is not None else None
        self.probs = ops.sigmoid(self.logits) if logits is not None else _param(probs)
        self.batch_shape = tuple(self.probs.shape)

    mean = property(lambda self: self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        u = rng().random(_shape(sample_shape) + self.batch_shape)
        return Tensor._wrap((u < self.probs.data).astype(self.probs.data.dtype))

    def log_prob(self, value: Any) -> Tensor:
        if self.logits is not None:  # -softplus(-l) for x = 1, -softplus(l) for x = 0: stable
            return value * self.logits - ops.softplus(self.logits)
        p = ops.clamp(self.probs, 1e-12, 1 - 1e-7)
        return value * ops.log(p) + (1 - value) * ops.log(1 - p)

    def entropy(self) -> Tensor:
        p = ops.clamp(self.probs, 1e-12, 1 - 1e-7)
        return -(p * ops.log(p) + (1 - p) * ops.log(1 - p))


class Categorical(Distribution):
    """One of K classes with probabilities ``probs`` (normalised) or ``softmax(logits)``, over the last dim:
    log p(k) = log_softmax(logits)_k."""

    def __init__(self, probs: Any = None, logits: Any = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: give exactly one of probs or logits")
        if probs is not None:
            probs = _param(probs)
            with np.errstate(divide="ignore"):  # a class of probability 0 has log-probability -inf
                self.logits = ops.log(probs / probs.sum(-1, keepdim=True))
        else:
            self.logits = ops.log_softmax(_param(logits), -1)  # normalised, as torch stores them
        if self.logits.ndim == 0:
            raise ShapeError("Categorical: probs/logits need at least one dimension (the classes)")
        self.batch_shape = tuple(self.logits.shape[:-1])

    probs = property(lambda self: ops.exp(self.logits))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        p = np.exp(self.logits.data.astype(np.float64)).reshape(-1, self.logits.shape[-1])
        n = int(np.prod(_shape(sample_shape)))
        gen = rng()
        draws = np.stack([gen.choice(p.shape[1], size=n, p=row / row.sum()) for row in p], axis=-1)
        return Tensor._wrap(draws.reshape(_shape(sample_shape) + self.batch_shape).astype(np.int64))

    def log_prob(self, value: Any) -> Tensor:
        index = value.data if isinstance(value, Tensor) else np.asarray(value)
        logits = ops.broadcast_to(self.logits, tuple(np.broadcast_shapes(index.shape, self.batch_shape)) + self.logits.shape[-1:])
        index = np.broadcast_to(index, logits.shape[:-1])
        return ops.gather(logits, -1, index[..., None].astype(np.int64)).squeeze(-1)

    def entropy(self) -> Tensor:
        return -(self.probs * self.logits).sum(-1)
