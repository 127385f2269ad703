"""Shape ops: reshape, permute, broadcast / sum_to, indexing, concatenation and padding.

None of them does arithmetic; their backward moves the gradient back to where each element came
from (a reshape back, an inverse permutation, a scatter for indexing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.tensor import Function, Tensor


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _dim(d: int, ndim: int, op: str) -> int:
    if not -ndim <= d < ndim:
        raise IndexError(f"{op}: dimension {d} is out of range for a tensor with {ndim} dimensions")
    return d % ndim


class Reshape(Function):
    """y = x viewed with another shape;  dy/dx reshapes the gradient back"""

    view = True  # the result may share x's memory (and so its version counter)

    def forward(self, ctx, x):
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot view a tensor of shape {fmt_shape(x.shape)} ({x.size} elements) "
                f"as {fmt_shape(self.shape)}"
            ) from None

    def backward(self, ctx, grad):
        return grad.reshape(ctx.shapes[0])


class Permute(Function):
    """y = x with its dimensions reordered;  the gradient is permuted by the inverse order"""

    view = True  # the result may share x's memory (and so its version counter)

    def forward(self, ctx, x):
        return np.transpose(x, self.dims)

    def backward(self, ctx, grad):
        return Permute.apply(grad, dims=tuple(int(d) for d in np.argsort(self.dims)))


class BroadcastTo(Function):
    """y = x repeated along broadcast dimensions;  dy/dx sums the gradient back (``sum_to``)"""

    view = True  # the result may share x's memory (and so its version counter)

    def forward(self, ctx, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, ctx, grad):
        return SumTo.apply(grad, shape=ctx.shapes[0])


class SumTo(Function):
    """y = x summed down to ``shape`` (undoes broadcasting);  dy/dx = 1, broadcast back"""

    def forward(self, ctx, x):
        if x.ndim < len(self.shape) or any(a < b for a, b in zip(x.shape[::-1], self.shape[::-1])):
            x = np.broadcast_to(x, np.broadcast_shapes(x.shape, self.shape))  # smaller than the target
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(self.shape) if s == 1 and x.shape[i + lead] != 1
        )
        if axes == (0,) and x.ndim == 2 and x.flags.c_contiguous:
            # the bias-gradient case (N, F) -> (F,): a GEMV with ones beats sum(axis=0) several-fold
            return (np.ones(x.shape[0], dtype=x.dtype) @ x).reshape(self.shape)
        return np.sum(x, axis=axes, keepdims=True).reshape(self.shape) if axes else x.reshape(self.shape)

    def backward(self, ctx, grad):
        return BroadcastTo.apply(grad, shape=ctx.shapes[0])


def reshape(x: Tensor, *shape: Any) -> Tensor:
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = _dim(start_dim, x.ndim, "flatten"), _dim(end_dim, x.ndim, "flatten")
    return reshape(x, *x.shape[:start], -1, *x.shape[end + 1 :])


def squeeze(x: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    dims = {_dim(d, max(x.ndim, 1), "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    d = _dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, (*x.shape[:d], 1, *x.shape[d:]))


def permute(x: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims)
    if sorted(d % x.ndim if -x.ndim <= d < x.ndim else d for d in dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dimensions of {fmt_shape(x.shape)}")
    dims = tuple(d % x.ndim for d in dims)
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    if x.ndim < 2:
        return x
    dims = list(range(x.ndim))
    a, b = _dim(dim0, x.ndim, "transpose"), _dim(dim1, x.ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, *dims)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {fmt_shape(x.shape)} to {fmt_shape(shape)}") from None
    return BroadcastTo.apply(x, shape=shape)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0 or -1 in sizes[:lead]:
        raise ShapeError(f"expand: cannot expand shape {fmt_shape(x.shape)} to {sizes}; -1 (keep the size) "
                         "is only allowed for existing dimensions")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    if x.ndim < len(shape):  # a gradient of lower rank that broadcasts against the input
        x = reshape(x, (1,) * (len(shape) - x.ndim) + x.shape)
    lead = x.ndim - len(shape)
    if any(xs < s for xs, s in zip(x.shape[lead:], shape)):
        x = broadcast_to(x, x.shape[:lead] + tuple(max(xs, s) for xs, s in zip(x.shape[lead:], shape)))
    return SumTo.apply(x, shape=shape) if x.shape != shape else x


# --------------------------------------------------------------------------------------------------
# indexing
# --------------------------------------------------------------------------------------------------
def _normalize_index(index: Any) -> tuple[Any, bool]:
    """NumPy index for ``index`` and whether it holds integer arrays (which may repeat positions)."""
    items = index if isinstance(index, tuple) else (index,)
    out, has_int_array = [], False
    for item in items:
        if isinstance(item, Tensor):
            item = item.data
        elif isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray) and item.dtype.kind in "iu":
            has_int_array = True
        out.append(item)
    return (tuple(out) if isinstance(index, tuple) else out[0]), has_int_array


class GetItem(Function):
    """y = x[index];  dy/dx scatters the gradient back to the indexed places (summing repeats)"""

    view = True  # the result may share x's memory (and so its version counter)

    def forward(self, ctx, x):
        return x[self.index]

    def backward(self, ctx, grad):
        return ScatterAdd.apply(grad, shape=ctx.shapes[0], index=self.index, repeats=self.repeats)


class ScatterAdd(Function):
    """y = zeros(shape) with g added at ``index``;  dy/dg = y[index]  (the adjoint of GetItem)"""

    def forward(self, ctx, g):
        out = np.zeros(self.shape, dtype=g.dtype)
        if self.repeats:
            np.add.at(out, self.index, g)
        else:
            out[self.index] = g
        return out

    def backward(self, ctx, grad):
        return GetItem.apply(grad, index=self.index, repeats=self.repeats)


def getitem(x: Tensor, index: Any) -> Tensor:
    index, repeats = _normalize_index(index)
    try:
        return GetItem.apply(x, index=index, repeats=repeats)
    except IndexError as e:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {fmt_shape(x.shape)}: {e}") from None


# --------------------------------------------------------------------------------------------------
# joining, splitting, padding
# --------------------------------------------------------------------------------------------------
class Cat(Function):
    """y = [x_1, x_2, ...] joined along ``dim``;  each dy/dx_k is the gradient's slice for x_k"""

    def forward(self, ctx, *xs):
        return np.concatenate(xs, axis=self.dim)

    def backward(self, ctx, grad):
        grads, start = [], 0
        lead = (slice(None),) * self.dim
        for x, need in zip(ctx.arrays, ctx.needs_input_grad):
            stop = start + x.shape[self.dim]
            grads.append(grad[(*lead, slice(start, stop))] if need else None)
            start = stop
        return tuple(grads)


class Pad(Function):
    """y = x surrounded by a constant;  dy/dx is the gradient's centre (the padding is cut off)"""

    def forward(self, ctx, x):
        return np.pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, ctx, grad):
        return grad[tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    from neurona.ops.elementwise import as_tensor, cast

    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ndim = tensors[0].ndim
    d = _dim(dim, max(ndim, 1), "cat")
    for t in tensors:
        if t.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != d):
            shapes = ", ".join(fmt_shape(t.shape) for t in tensors)
            raise ShapeError(f"cat: tensors must have the same shape except in dimension {d}; got {shapes}")
    floats = [t.data.dtype for t in tensors if t.data.dtype.kind == "f"]
    dtype = np.result_type(*(floats or [t.data.dtype for t in tensors]))  # integers join floats as the float
    return Cat.apply(*[cast(t, dtype) for t in tensors], dim=d)


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    from neurona.ops.elementwise import as_tensor

    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all tensors must have the same shape; got {', '.join(map(fmt_shape, shapes))}")
    d = _dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def split(x: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    d = _dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        sizes = [min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ShapeError(f"split: sections {sizes} must add up to the size {n} of dimension {d}")
    lead, out, start = (slice(None),) * d, [], 0
    for s in sizes:
        out.append(getitem(x, (*lead, slice(start, start + s))))
        start += s
    return tuple(out)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    n = x.shape[_dim(dim, x.ndim, "chunk")]
    return split(x, max(-(-n // chunks), 1), dim)


def pad(x: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding, torch's convention: ``pad = (left, right)`` for the last dim, then the one before."""
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected pairs for at most {x.ndim} dimensions, got {tuple(pad)}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: widths must be >= 0, got {tuple(pad)}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return Pad.apply(x, widths=tuple(widths), value=value)
