"""Tensor factories, as in torch: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``eye``, ``randn``, ..."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.random import default_generator
from neurona.tensor import Tensor


def _size(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _float(dtype: Any) -> np.dtype:
    return np.dtype(np.float32 if dtype is None else dtype)


def _new(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    t = Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor from data (lists, NumPy arrays, numbers). Floats become float32 unless ``dtype`` is given;
    integers stay integers (int64)."""
    t = Tensor(np.array(data.data if isinstance(data, Tensor) else data, dtype=dtype, copy=True), dtype=dtype)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_size(size), dtype=_float(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_size(size), dtype=_float(dtype)), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = np.int64 if isinstance(fill_value, int) and not isinstance(fill_value, bool) else np.float32
    return _new(np.full(_size((size,)), fill_value, dtype=dtype), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros_like(t.data, dtype=dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones_like(t.data, dtype=dtype), requires_grad)


def full_like(t: Tensor, fill_value: float, dtype: Any = None) -> Tensor:
    return _new(np.full_like(t.data, fill_value, dtype=dtype))


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = np.int64 if ints else np.float32
    return _new(np.arange(start, end, step, dtype=dtype))


def linspace(start: float, end: float, steps: int, dtype: Any = None) -> Tensor:
    return _new(np.linspace(start, end, steps, dtype=_float(dtype)))


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    return _new(np.eye(n, m, dtype=_float(dtype)))


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the generator seeded by ``manual_seed``."""
    data = default_generator().standard_normal(_size(size), dtype=_float(dtype))
    return _new(data, requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the generator seeded by ``manual_seed``."""
    data = default_generator().random(_size(size), dtype=_float(dtype))
    return _new(data, requires_grad)


def randint(low: int, high: int | None = None, size: tuple = (), dtype: Any = np.int64) -> Tensor:
    if high is None:
        low, high = 0, low
    return _new(default_generator().integers(low, high, size=size, dtype=dtype))
