"""Module-level functions with torch's signatures, over neurona's ops: ``add(a, b, alpha=, out=)``,
``mm``, ``bmm``, ``t``, ``allclose``, ``isclose``, ``equal``, ``where(cond)``, ``nonzero``, ``meshgrid``...

``out=`` writes the result into an existing tensor in place (no gradient flows through ``out=``, as in
torch, where it is refused for tensors that require grad).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona import ops
from neurona.errors import ShapeError, fmt_shape
from neurona.graph_info import counter
from neurona.tensor import Tensor


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    if result.requires_grad or out.requires_grad:
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of the arguments requires grad")
    if out.data.shape != result.data.shape:
        out.data = np.empty(result.data.shape, dtype=out.data.dtype)  # torch resizes out, too
    np.copyto(out.data, result.data, casting="unsafe")
    counter(out).bump("out=")
    return out


def add(input: Any, other: Any, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """input + alpha * other"""
    return _out(ops.add(input, other if alpha == 1 else ops.mul(other, alpha)), out)


def sub(input: Any, other: Any, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """input - alpha * other"""
    return _out(ops.sub(input, other if alpha == 1 else ops.mul(other, alpha)), out)


def mul(input: Any, other: Any, out: Tensor | None = None) -> Tensor:
    return _out(ops.mul(input, other), out)


def div(input: Any, other: Any, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:
    result = ops.div(input, other)
    if rounding_mode == "floor":
        result = Tensor._wrap(np.floor(result.data))
    elif rounding_mode == "trunc":
        result = Tensor._wrap(np.trunc(result.data))
    elif rounding_mode is not None:
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
    return _out(result, out)


def matmul(input: Tensor, other: Tensor, out: Tensor | None = None) -> Tensor:
    return _out(ops.matmul(input, other), out)


def pow(input: Any, exponent: Any, out: Tensor | None = None) -> Tensor:
    return _out(ops.pow(input, exponent), out)


def mm(input: Tensor, mat2: Tensor, out: Tensor | None = None) -> Tensor:
    """The product of two matrices (2-D only; ``matmul`` broadcasts)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise ShapeError(f"mm: expected two 2-D tensors, got shapes {fmt_shape(input.shape)} and {fmt_shape(mat2.shape)}")
    return matmul(input, mat2, out=out)


def bmm(input: Tensor, mat2: Tensor, out: Tensor | None = None) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) tensors."""
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm: expected (b, n, m) and (b, m, p) tensors, got {fmt_shape(input.shape)} and "
                         f"{fmt_shape(mat2.shape)}")
    return matmul(input, mat2, out=out)


def t(input: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 dimensions."""
    if input.ndim > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D; use transpose(dim0, dim1)")
    return ops.transpose(input, 0, 1) if input.ndim == 2 else input


def numel(input: Tensor) -> int:
    return int(input.data.size)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.data.dtype.kind == "f"


def _arrays(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(a.data if isinstance(a, Tensor) else a), np.asarray(b.data if isinstance(b, Tensor) else b)


def isclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol |other|, element by element (a bool tensor)."""
    a, b = _arrays(input, other)
    return Tensor._wrap(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    a, b = _arrays(input, other)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and the same values."""
    a, b = _arrays(input, other)
    return a.shape == b.shape and bool((a == b).all())


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """``where(cond, a, b)`` picks from a where cond holds, else b; ``where(cond)`` is ``nonzero(cond, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return ops.where(condition, input, other)


def nonzero(input: Tensor, as_tuple: bool = False) -> Any:
    """The indices of non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dimension."""
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    found = np.nonzero(data)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in found)
    return Tensor._wrap(np.stack(found, axis=1).astype(np.int64) if found else np.zeros((0, 0), np.int64))


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``indexing="ij"``, torch's default, or ``"xy"``)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    shape = [t.shape[0] for t in tensors]
    if indexing == "xy" and len(shape) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for k, t in enumerate(tensors):
        axis = {0: 1, 1: 0}.get(k, k) if indexing == "xy" and len(shape) >= 2 else k
        view = [1] * len(shape)
        view[axis] = -1
        grids.append(ops.expand(ops.reshape(t, *view), *shape))
    return tuple(grids)


def any(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return Tensor._wrap(np.asarray(np.any(input.data, axis=dim, keepdims=keepdim)))


def all(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return Tensor._wrap(np.asarray(np.all(input.data, axis=dim, keepdims=keepdim)))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ---- more of torch's module-level functions, composed from neurona's ops ------------------------
pi, e, inf, nan = np.pi, np.e, np.inf, np.nan


def _no_grad_result(data: np.ndarray) -> Tensor:
    """A piecewise-constant function's result (rounding, comparisons): no gradient, as torch's is 0."""
    return Tensor._wrap(np.asarray(data))


def square(input: Tensor) -> Tensor:
    return ops.mul(input, input)


def sign(input: Tensor) -> Tensor:
    return ops.sign(input)


def rsqrt(input: Tensor) -> Tensor:
    """1 / sqrt(x)"""
    return ops.div(1.0, ops.sqrt(input))


def log2(input: Tensor) -> Tensor:
    return ops.div(ops.log(input), float(np.log(2.0)))


def log10(input: Tensor) -> Tensor:
    return ops.div(ops.log(input), float(np.log(10.0)))


def floor(input: Tensor) -> Tensor:
    return _no_grad_result(np.floor(input.data))


def ceil(input: Tensor) -> Tensor:
    return _no_grad_result(np.ceil(input.data))


def round(input: Tensor, decimals: int = 0) -> Tensor:
    return _no_grad_result(np.round(input.data, decimals))


def trunc(input: Tensor) -> Tensor:
    return _no_grad_result(np.trunc(input.data))


def isnan(input: Tensor) -> Tensor:
    return _no_grad_result(np.isnan(input.data))


def isinf(input: Tensor) -> Tensor:
    return _no_grad_result(np.isinf(input.data))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN and +-inf replaced by numbers (gradient 1 where the value was kept, 0 where it was replaced)."""
    data = input.data
    kept = np.isfinite(data)
    fill = np.nan_to_num(data, nan=nan, posinf=posinf, neginf=neginf)
    return ops.where(kept, input, fill.astype(data.dtype))


def count_nonzero(input: Tensor, dim: int | None = None) -> Tensor:
    return _no_grad_result(np.count_nonzero(input.data, axis=dim).astype(np.int64))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: int | None = None) -> Any:
    """The distinct values, sorted (with the inverse indices and counts when asked)."""
    values, inverse, counts = np.unique(input.data, return_inverse=True, return_counts=True, axis=dim)
    out = [_no_grad_result(values)]
    if return_inverse:
        out.append(_no_grad_result(inverse.reshape(input.data.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        out.append(_no_grad_result(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def lerp(input: Tensor, end: Any, weight: Any) -> Tensor:
    """input + weight (end - input)"""
    return ops.add(input, ops.mul(ops.sub(end, input), weight))


def dot(input: Tensor, other: Tensor) -> Tensor:
    if input.ndim != 1 or other.ndim != 1:
        raise ShapeError(f"dot: expected two 1-D tensors, got shapes {fmt_shape(input.shape)} and {fmt_shape(other.shape)}")
    return ops.matmul(input, other)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    return ops.matmul(input, vec)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta input + alpha mat1 @ mat2"""
    return ops.add(ops.mul(input, beta), ops.mul(ops.matmul(mat1, mat2), alpha))


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, each without that dimension."""
    return tuple(select(input, dim, i) for i in range(input.shape[dim]))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    dim = dim % input.ndim
    return ops.getitem(input, (slice(None),) * dim + (index,))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    dim = dim % input.ndim
    return ops.getitem(input, (slice(None),) * dim + (slice(start, start + length),))


def tile(input: Tensor, dims: Any) -> Tensor:
    dims = tuple(dims)
    return ops.repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def hstack(tensors: Any) -> Tensor:
    return ops.cat(list(tensors), dim=0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    return ops.cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], dim=0)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    return ops.transpose(input, axis0, axis1)


def movedim(input: Tensor, source: int, destination: int) -> Tensor:
    order = [d for d in range(input.ndim) if d != source % input.ndim]
    order.insert(destination % input.ndim, source % input.ndim)
    return ops.permute(input, *order)


def clamp_min(input: Tensor, min: float) -> Tensor:
    return ops.clamp(input, min, None)


def clamp_max(input: Tensor, max: float) -> Tensor:
    return ops.clamp(input, None, max)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The elements where ``mask`` (broadcast to input's shape) is True, as a 1-D tensor."""
    mask = np.broadcast_to(mask.data if isinstance(mask, Tensor) else np.asarray(mask), input.data.shape)
    return ops.getitem(input, mask)


def remainder(input: Any, other: Any) -> Tensor:
    a, b = _arrays(input, other)
    return _no_grad_result(np.mod(a, b))


def floor_divide(input: Any, other: Any) -> Tensor:
    a, b = _arrays(input, other)
    return _no_grad_result(np.floor_divide(a, b))
