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
from neurona.device import _unavailable, check_device, device
from neurona.dtypes import _TYPE_NAMES, Size, as_numpy_dtype
from neurona.errors import fmt_shape
from neurona.graph_info import register_hook
from neurona.ops import torch_style
from neurona.ops.inplace import InplaceMethods
from neurona.tensor import Tensor


class TensorMethods:
    def size(self, dim: int | None = None) -> Size | int:
        return Size(self.data.shape) if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise RuntimeError(f"a Tensor with {self.data.size} elements cannot be converted to Scalar "
                               f"(item() needs exactly one element; this tensor has shape {fmt_shape(self.shape)})")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extras = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras += f", dtype={self.dtype}"
        if self._ctx is not None:
            extras += f", grad_fn=<{self._ctx.name()}>"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

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

    def astype(self, dtype: Any) -> Tensor: return ops.cast(self, as_numpy_dtype(dtype))
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




def _parse_to(args: tuple, kwargs: dict) -> Any:
    """The dtype asked for by ``to(...)`` (None for a device-only move): torch's spellings
    ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``, ``to(dtype=..., device=...)``."""
    dtype = kwargs.pop("dtype", None)
    check_device(kwargs.pop("device", None))
    kwargs.pop("non_blocking", None), kwargs.pop("copy", None), kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, device) or (isinstance(a, str) and not _is_dtype_name(a)):
            check_device(a)
        elif isinstance(a, int) and not isinstance(a, bool):
            check_device(a)
        elif a is not None and not isinstance(a, bool):
            dtype = a
    return dtype


def _is_dtype_name(text: str) -> bool:
    try:
        as_numpy_dtype(text)
        return True
    except TypeError:
        return False


class TorchMethods:
    """torch's Tensor methods for dtype, device, new tensors and the ops of ``gather.py``/``arrange.py``."""

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def to(self, *args, **kwargs):
        dtype = _parse_to(args, dict(kwargs))
        return self if dtype is None else ops.cast(self, as_numpy_dtype(dtype))

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"neurona.{_TYPE_NAMES.get(self.dtype, self.data.dtype.name)}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            names = {v: k for k, v in _TYPE_NAMES.items()}
            dtype = names.get(dtype.split(".")[-1], dtype)
        return ops.cast(self, as_numpy_dtype(dtype))

    def type_as(self, other): return ops.cast(self, other.data.dtype)
    def half(self): return ops.cast(self, np.float16)
    def int(self): return ops.cast(self, np.int32)
    def short(self): return ops.cast(self, np.int16)
    def byte(self): return ops.cast(self, np.uint8)
    def char(self): return ops.cast(self, np.int8)
    def cpu(self): return self
    def cuda(self, device=None, non_blocking=False): raise RuntimeError(_unavailable("cuda"))
    def is_floating_point(self): return self.data.dtype.kind == "f"
    def element_size(self): return self.data.dtype.itemsize
    def nelement(self): return int(self.data.size)
    def clone(self, memory_format=None): return ops.clone(self)
    def view_as(self, other): return ops.reshape(self, *other.shape)
    def reshape_as(self, other): return ops.reshape(self, *other.shape)
    def expand_as(self, other): return ops.expand(self, *other.shape)
    def repeat(self, *sizes): return ops.repeat(self, *sizes)
    def masked_fill(self, mask, value): return ops.masked_fill(self, mask, value)
    def pow(self, exponent): return ops.pow(self, exponent)
    def add(self, other, alpha=1): return ops.add(self, other if alpha == 1 else ops.mul(other, alpha))
    def sub(self, other, alpha=1): return ops.sub(self, other if alpha == 1 else ops.mul(other, alpha))
    def mul(self, other): return ops.mul(self, other)
    def div(self, other): return ops.div(self, other)
    def neg(self): return ops.neg(self)
    def mm(self, other): return ops.matmul(self, other)
    def bmm(self, other): return ops.matmul(self, other)
    def dot(self, other): return ops.matmul(self, other)
    def t(self): return ops.transpose(self, 0, 1) if self.ndim == 2 else self
    def eq(self, other): return ops.eq(self, other)
    def ne(self, other): return ops.ne(self, other)
    def lt(self, other): return ops.lt(self, other)
    def le(self, other): return ops.le(self, other)
    def gt(self, other): return ops.gt(self, other)
    def ge(self, other): return ops.ge(self, other)
    def logical_not(self): return ops.logical_not(self)
    def any(self, dim=None, keepdim=False): return Tensor._wrap(np.asarray(np.any(self.data, axis=dim, keepdims=keepdim)))
    def all(self, dim=None, keepdim=False): return Tensor._wrap(np.asarray(np.all(self.data, axis=dim, keepdims=keepdim)))
    def gather(self, dim, index): return ops.gather(self, dim, index)
    def scatter(self, dim, index, src): return ops.scatter(self, dim, index, src)
    def scatter_add(self, dim, index, src): return ops.scatter_add(self, dim, index, src)
    def index_select(self, dim, index): return ops.index_select(self, dim, index)
    def sort(self, dim=-1, descending=False): return ops.sort(self, dim, descending)
    def argsort(self, dim=-1, descending=False): return ops.argsort(self, dim, descending)
    def topk(self, k, dim=-1, largest=True, sorted=True): return ops.topk(self, k, dim, largest, sorted)
    def cumsum(self, dim, dtype=None): return ops.cumsum(self, dim, dtype)
    def flip(self, *dims): return ops.flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)
    def roll(self, shifts, dims=None): return ops.roll(self, shifts, dims)
    def tril(self, diagonal=0): return ops.tril(self, diagonal)
    def triu(self, diagonal=0): return ops.triu(self, diagonal)
    def diag(self, diagonal=0): return ops.diag(self, diagonal)
    def trace(self): return ops.trace(self)
    def outer(self, other): return ops.outer(self, other)
    def nonzero(self, as_tuple=False): return ops.nonzero(self, as_tuple)

    def register_hook(self, hook): return register_hook(self, hook)
    def round(self, decimals=0): return torch_style.round(self, decimals)
    def floor(self): return torch_style.floor(self)
    def ceil(self): return torch_style.ceil(self)
    def trunc(self): return torch_style.trunc(self)
    def rsqrt(self): return torch_style.rsqrt(self)
    def log2(self): return torch_style.log2(self)
    def log10(self): return torch_style.log10(self)
    def erf(self): return ops.erf(self)
    def isnan(self): return torch_style.isnan(self)
    def isinf(self): return torch_style.isinf(self)
    def isfinite(self): return ops.isfinite(self)
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None): return torch_style.nan_to_num(self, nan, posinf, neginf)
    def count_nonzero(self, dim=None): return torch_style.count_nonzero(self, dim)
    def unique(self, **kw): return torch_style.unique(self, **kw)
    def lerp(self, end, weight): return torch_style.lerp(self, end, weight)
    def unbind(self, dim=0): return torch_style.unbind(self, dim)
    def select(self, dim, index): return torch_style.select(self, dim, index)
    def narrow(self, dim, start, length): return torch_style.narrow(self, dim, start, length)
    def tile(self, *dims): return torch_style.tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)
    def movedim(self, source, destination): return torch_style.movedim(self, source, destination)
    def clamp_min(self, min): return ops.clamp(self, min, None)
    def clamp_max(self, max): return ops.clamp(self, None, max)
    def masked_select(self, mask): return torch_style.masked_select(self, mask)
    def where(self, condition, other): return ops.where(condition, self, other)
    def remainder(self, other): return torch_style.remainder(self, other)
    def is_contiguous(self): return bool(self.data.flags.c_contiguous)
    def stride(self, dim=None):
        strides = tuple(s // self.data.itemsize for s in self.data.strides)
        return strides if dim is None else strides[dim]

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from neurona import creation

        return creation.tensor(data, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from neurona import creation

        return creation.zeros(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from neurona import creation

        return creation.ones(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from neurona import creation

        return creation.empty(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from neurona import creation

        return creation.full(size, fill_value, dtype=self.dtype if dtype is None else dtype, device=device,
                             requires_grad=requires_grad)


_PLUMBING = {"__module__", "__dict__", "__weakref__", "__doc__", "__qualname__", "__firstlineno__",
             "__static_attributes__", "__annotations__", "__hash__"}  # __eq__ here must not unset hashing
for _methods in (TensorMethods, TorchMethods, InplaceMethods):
    for _name, _value in list(vars(_methods).items()):
        if _name not in _PLUMBING:
            setattr(Tensor, _name, _value)
