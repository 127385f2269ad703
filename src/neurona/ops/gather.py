"""Picking elements by index along a dimension: ``gather`` (and ``take_along_dim``), ``index_select``,
and the ops built on them: ``sort``, ``argsort``, ``topk``, and ``scatter``/``scatter_add`` (the adjoint
of gather). Indices are computed with NumPy (no gradient); values flow through ``Gather``, so their
gradient is the scatter-add of the incoming gradient back to the places they came from."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.ops.shape import _dim, getitem
from neurona.tensor import Function, Tensor

SortResult = namedtuple("SortResult", ["values", "indices"])


def _index_array(index: Any) -> np.ndarray:
    array = index.data if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"index must be an integer tensor (int64), got dtype {array.dtype}")
    return array


class Gather(Function):
    """y[..., i, ...] = x[..., index[..., i, ...], ...] along ``dim``;  dL/dx = scatter-add of g at index"""

    def forward(self, ctx, x):
        return np.take_along_axis(x, self.index, axis=self.dim)

    def backward(self, ctx, grad):
        return ScatterAddAlong.apply(grad, shape=ctx.shapes[0], index=self.index, dim=self.dim)


class ScatterAddAlong(Function):
    """y = zeros(shape);  y[..., index[..., i, ...], ...] += g[..., i, ...] along ``dim``;  dL/dg = gather of G"""

    def forward(self, ctx, g):
        out = np.zeros(self.shape, dtype=g.dtype)
        grid = list(np.indices(self.index.shape, sparse=True))
        grid[self.dim] = self.index
        np.add.at(out, tuple(grid), g)
        return out

    def backward(self, ctx, grad):
        return Gather.apply(grad, index=self.index, dim=self.dim)


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for dim 0 (and so on), as ``torch.gather``."""
    index, dim = _index_array(index), _dim(dim, input.ndim, "gather")
    if index.ndim != input.ndim:
        raise ShapeError(f"gather: index has {index.ndim} dimensions, input {input.ndim}; they must match")
    if any(i > s for k, (i, s) in enumerate(zip(index.shape, input.shape)) if k != dim):
        raise ShapeError(f"gather: index shape {fmt_shape(index.shape)} is larger than input {fmt_shape(input.shape)} "
                         f"outside dimension {dim}")
    if index.size and (index.min() < -input.shape[dim] or index.max() >= input.shape[dim]):
        raise IndexError(f"gather: index out of range for dimension {dim} of size {input.shape[dim]}")
    sliced = getitem(input, tuple(slice(0, i) if k != dim else slice(None) for k, i in enumerate(index.shape)))
    return Gather.apply(sliced, index=index % max(input.shape[dim], 1), dim=dim)


def take_along_dim(input: Tensor, indices: Any, dim: int) -> Tensor:
    return gather(input, dim, indices)


def scatter_add(input: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """``input`` plus ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    index, dim = _index_array(index), _dim(dim, input.ndim, "scatter_add")
    src = getitem(src, tuple(slice(0, i) for i in index.shape))
    return input + ScatterAddAlong.apply(src, shape=input.data.shape, index=index, dim=dim)


def scatter(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """``input`` with ``src`` written at ``index`` along ``dim`` (``src`` a tensor or a number)."""
    index, dim = _index_array(index), _dim(dim, input.ndim, "scatter")
    hit = np.zeros(input.data.shape, dtype=bool)
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    hit[tuple(grid)] = True
    if not isinstance(src, Tensor):
        src = Tensor._wrap(np.full(index.shape, src, dtype=input.data.dtype))
    placed = ScatterAddAlong.apply(getitem(src, tuple(slice(0, i) for i in index.shape)), shape=input.data.shape,
                                   index=index, dim=dim)
    from neurona.ops.elementwise import where

    return where(hit, placed, input)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The slices ``index`` (1-D) of ``input`` along ``dim``."""
    index, dim = _index_array(index), _dim(dim, input.ndim, "index_select")
    if index.ndim > 1:
        raise ShapeError(f"index_select: index must be 1-D, got shape {fmt_shape(index.shape)}")
    return getitem(input, (slice(None),) * dim + (index.reshape(-1),))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    dim = _dim(dim, max(input.ndim, 1), "argsort")
    data = input.data if input.ndim else input.data.reshape(1)
    order = np.argsort(-data if descending and data.dtype.kind != "b" else data, axis=dim, kind="stable")
    if descending and data.dtype.kind == "b":
        order = np.argsort(~data, axis=dim, kind="stable")
    return Tensor._wrap(order.astype(np.int64).reshape(input.data.shape))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    """``(values, indices)`` sorted along ``dim``; values are differentiable (through ``gather``)."""
    if input.ndim == 0:
        return SortResult(input, Tensor._wrap(np.zeros((), np.int64)))
    indices = argsort(input, dim, descending)
    return SortResult(gather(input, dim, indices), indices)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> SortResult:
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    dim = _dim(dim, max(input.ndim, 1), "topk")
    size = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= size:
        raise IndexError(f"topk: k ({k}) must be between 0 and the size of dimension {dim} ({size})")
    order = argsort(input, dim, descending=largest).data
    indices = Tensor._wrap(np.take(order, np.arange(k), axis=dim) if input.ndim else order)
    return SortResult(gather(input, dim, indices) if input.ndim else input, indices)
