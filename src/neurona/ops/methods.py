"""Tensor's operators and methods: each a thin call into an op of ``neurona.ops``.

``tensor.py`` defines the data structure and the backward engine; this module adds ``x + y``,
``x @ w``, ``x[i]``, ``x.sum()``, ``x.reshape(...)`` and the rest to ``Tensor`` when ``neurona.ops``
loads (the ops themselves need ``Tensor`` first).
"""

# ruff: noqa: E704
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from neurona import ops
from neurona.errors import fmt_shape
from neurona.tensor import Tensor


class TensorMethods:
    # ---- Python's protocols ------------------------------------------------------------------
    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        return int(self.item())

    # ---- in-place helpers (never recorded in the graph, like PyTorch under no_grad) -----------
    def zero_(self) -> Tensor:
        self.data[...] = 0
        return self

    def fill_(self, value: float) -> Tensor:
        self.data[...] = value
        return self

    def copy_(self, src: Tensor | np.ndarray) -> Tensor:
        src = src.data if isinstance(src, Tensor) else np.asarray(src)
        try:
            fits = np.broadcast_shapes(src.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"copy_: cannot copy shape {fmt_shape(src.shape)} into {fmt_shape(self.shape)}")
        np.copyto(self.data, src, casting="unsafe")
        return self

    # ---- operators and methods: thin calls into neurona.ops -----------------------------------
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, other): return ops.pow(self, other)
    def __rpow__(self, other): return ops.pow(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __abs__(self): return ops.abs(self)
    def __getitem__(self, index): return ops.getitem(self, index)
    def __lt__(self, other): return ops.lt(self, other)
    def __le__(self, other): return ops.le(self, other)
    def __gt__(self, other): return ops.gt(self, other)
    def __ge__(self, other): return ops.ge(self, other)
    def __eq__(self, other): return ops.eq(self, other)
    def __ne__(self, other): return ops.ne(self, other)
    def __invert__(self): return ops.logical_not(self)
    def __and__(self, other): return ops.logical_and(self, other)
    def __or__(self, other): return ops.logical_or(self, other)

    def astype(self, dtype: Any) -> Tensor: return ops.cast(self, dtype)
    def to(self, dtype: Any) -> Tensor: return ops.cast(self, dtype)
    def float(self) -> Tensor: return ops.cast(self, np.float32)
    def double(self) -> Tensor: return ops.cast(self, np.float64)
    def long(self) -> Tensor: return ops.cast(self, np.int64)
    def bool(self) -> Tensor: return ops.cast(self, np.bool_)

    def abs(self): return ops.abs(self)
    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def log1p(self): return ops.log1p(self)
    def sqrt(self): return ops.sqrt(self)
    def sin(self): return ops.sin(self)
    def cos(self): return ops.cos(self)
    def tanh(self): return ops.tanh(self)
    def sigmoid(self): return ops.sigmoid(self)
    def relu(self): return ops.relu(self)
    def sign(self): return ops.sign(self)
    def square(self): return ops.mul(self, self)
    def clamp(self, min=None, max=None): return ops.clamp(self, min, max)
    clip = clamp
    def maximum(self, other): return ops.maximum(self, other)
    def minimum(self, other): return ops.minimum(self, other)
    def pow_(self, other): return ops.pow(self, other)
    def matmul(self, other): return ops.matmul(self, other)
    def softmax(self, dim=-1): return ops.softmax(self, dim)
    def log_softmax(self, dim=-1): return ops.log_softmax(self, dim)

    def sum(self, dim=None, keepdim=False, **kw): return ops.sum(self, dim, keepdim, **kw)
    def mean(self, dim=None, keepdim=False, **kw): return ops.mean(self, dim, keepdim, **kw)
    def prod(self, dim=None, keepdim=False, **kw): return ops.prod(self, dim, keepdim, **kw)
    def var(self, dim=None, keepdim=False, **kw): return ops.var(self, dim, keepdim=keepdim, **kw)
    def std(self, dim=None, keepdim=False, **kw): return ops.std(self, dim, keepdim=keepdim, **kw)
    def max(self, dim=None, keepdim=False, **kw): return ops.max(self, dim, keepdim, **kw)
    def min(self, dim=None, keepdim=False, **kw): return ops.min(self, dim, keepdim, **kw)
    def amax(self, dim=None, keepdim=False, **kw): return ops.amax(self, dim, keepdim, **kw)
    def amin(self, dim=None, keepdim=False, **kw): return ops.amin(self, dim, keepdim, **kw)
    def logsumexp(self, dim=None, keepdim=False, **kw): return ops.logsumexp(self, dim, keepdim, **kw)
    def argmax(self, dim=None, keepdim=False, **kw): return ops.argmax(self, dim, keepdim, **kw)
    def argmin(self, dim=None, keepdim=False, **kw): return ops.argmin(self, dim, keepdim, **kw)
    def norm(self, p=2, dim=None, keepdim=False): return ops.norm(self, p, dim, keepdim)

    def reshape(self, *shape): return ops.reshape(self, *shape)
    def view(self, *shape): return ops.reshape(self, *shape)
    def flatten(self, start_dim=0, end_dim=-1): return ops.flatten(self, start_dim, end_dim)
    def squeeze(self, dim=None): return ops.squeeze(self, dim)
    def unsqueeze(self, dim): return ops.unsqueeze(self, dim)
    def transpose(self, dim0=-2, dim1=-1): return ops.transpose(self, dim0, dim1)
    def swapaxes(self, dim0, dim1): return ops.transpose(self, dim0, dim1)
    def permute(self, *dims): return ops.permute(self, *dims)
    def expand(self, *sizes): return ops.expand(self, *sizes)
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)
    def split(self, split_size_or_sections, dim=0): return ops.split(self, split_size_or_sections, dim)
    def chunk(self, chunks, dim=0): return ops.chunk(self, chunks, dim)
    def contiguous(self): return self
    T = property(lambda self: ops.permute(self, *reversed(range(self.ndim))))
    mT = property(lambda self: ops.transpose(self, -2, -1))




_PLUMBING = {"__module__", "__dict__", "__weakref__", "__doc__", "__qualname__", "__firstlineno__",
             "__static_attributes__", "__annotations__", "__hash__"}  # __eq__ here must not unset hashing
for _name, _value in list(vars(TensorMethods).items()):
    if _name not in _PLUMBING:
        setattr(Tensor, _name, _value)
