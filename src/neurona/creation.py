"""Tensor factories, as in torch: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``eye``, ``randn``, ...

Every factory takes torch's keywords: ``dtype=`` (a neurona, NumPy or torch-style dtype), ``device=``
(only the CPU; anything else raises a clear error), ``requires_grad=``; random ones take ``generator=``
(a :class:`neurona.Generator`; the global generator seeded by ``manual_seed`` otherwise).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.device import check_device
from neurona.dtypes import as_numpy_dtype, get_default_dtype
from neurona.random import rng
from neurona.tensor import Tensor


def _size(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _float(dtype: Any) -> np.dtype:
    return get_default_dtype().dtype if dtype is None else as_numpy_dtype(dtype)


def _new(data: np.ndarray, requires_grad: bool = False, device: Any = None) -> Tensor:
    check_device(device)
    t = Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor from data (lists, NumPy arrays, numbers), always a copy. Floats take the default
    dtype (float32) unless ``dtype`` is given; integers stay integers (int64)."""
    check_device(device)
    if isinstance(data, list | tuple) and any(isinstance(d, Tensor) for d in data):
        data = [d.data if isinstance(d, Tensor) else d for d in data]
    t = Tensor(np.array(data.data if isinstance(data, Tensor) else data, dtype=None if dtype is None else as_numpy_dtype(dtype), copy=True), dtype=dtype)
    return t.requires_grad_(True) if requires_grad else t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a NumPy array (or returning a tensor) when the dtype fits."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == as_numpy_dtype(dtype)):
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (changing one changes the other), keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    return Tensor._wrap(array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_size(size), dtype=_float(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_size(size), dtype=_float(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor, as torch's (here zero-filled, so runs stay reproducible)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, int):
            dtype = np.int64
        else:
            dtype = _float(None)
    return _new(np.full(_size((size,)), fill_value, dtype=as_numpy_dtype(dtype)), requires_grad, device)


def _like_dtype(t: Tensor, dtype: Any) -> np.dtype:
    return t.data.dtype if dtype is None else as_numpy_dtype(dtype)


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(t.data.shape, dtype=_like_dtype(t, dtype)), requires_grad, device)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(t.data.shape, dtype=_like_dtype(t, dtype)), requires_grad, device)


def empty_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: float, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.full(t.data.shape, fill_value, dtype=_like_dtype(t, dtype)), requires_grad, device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 when all three are integers."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = np.int64 if ints else _float(None)
    return _new(np.arange(start, end, step, dtype=as_numpy_dtype(dtype)), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _new(np.linspace(start, end, steps, dtype=_float(dtype)), requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    return _new(np.logspace(start, end, steps, base=base).astype(_float(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


# ---- random ---------------------------------------------------------------------------------------
def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples (the global generator seeded by ``manual_seed``, or ``generator``)."""
    return _new(rng(generator).standard_normal(_size(size), dtype=_float(dtype)), requires_grad, device)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _new(rng(generator).random(_size(size), dtype=_float(dtype)), requires_grad, device)


def randint(low: int, high: int | None = None, size: Any = (), generator: Any = None, dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` means low = 0)."""
    if high is None:
        low, high = 0, low
    elif isinstance(high, tuple | list):  # randint(high, (2, 3))
        low, high, size = 0, low, high
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    data = rng(generator).integers(low, high, size=_size((size,)))
    return _new(data.astype(np.int64 if dtype is None else as_numpy_dtype(dtype)), False, device)


def rand_like(t: Tensor, dtype: Any = None, generator: Any = None) -> Tensor:
    return rand(*t.data.shape, generator=generator, dtype=_like_dtype(t, dtype))


def randn_like(t: Tensor, dtype: Any = None, generator: Any = None) -> Tensor:
    return randn(*t.data.shape, generator=generator, dtype=_like_dtype(t, dtype))


def randint_like(t: Tensor, low: int, high: int | None = None, dtype: Any = None, generator: Any = None) -> Tensor:
    return randint(low, high, t.data.shape, generator=generator, dtype=_like_dtype(t, dtype))


def randperm(n: int, generator: Any = None, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    return _new(rng(generator).permutation(int(n)).astype(np.int64 if dtype is None else as_numpy_dtype(dtype)),
                False, device)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, generator: Any = None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of ``input`` (1-D or 2-D, non-negative)."""
    p = np.asarray(input.data, dtype=np.float64)
    if p.ndim not in (1, 2) or (p < 0).any() or not np.isfinite(p).all():
        raise RuntimeError(f"multinomial: expected a 1-D or 2-D tensor of non-negative finite weights, got shape {p.shape}")
    rows = p.reshape(-1, p.shape[-1])
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: every row of weights must have a positive sum")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise RuntimeError("multinomial: cannot draw more samples than there are non-zero weights without replacement")
    gen = rng(generator)
    out = np.stack([gen.choice(len(r), size=num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return Tensor._wrap(out.astype(np.int64).reshape((*p.shape[:-1], num_samples)))


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, generator: Any = None, dtype: Any = None) -> Tensor:
    """Normal samples: ``mean`` and ``std`` numbers (with ``size``) or tensors (broadcast together)."""
    m = mean.data if isinstance(mean, Tensor) else mean
    s = std.data if isinstance(std, Tensor) else std
    shape = np.broadcast_shapes(np.shape(m), np.shape(s)) if size is None else _size((size,))
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    dt = _like_dtype(like, dtype) if like is not None else _float(dtype)
    return Tensor._wrap((m + s * rng(generator).standard_normal(shape)).astype(dt))


def bernoulli(input: Tensor, p: float | None = None, generator: Any = None) -> Tensor:
    """1 with probability ``input`` (element by element, or ``p``), else 0; the dtype of ``input``."""
    probs = input.data if p is None else p
    return Tensor._wrap((rng(generator).random(input.data.shape) < probs).astype(input.data.dtype))
