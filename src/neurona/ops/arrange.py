"""Ops that copy, repeat, shift, accumulate or mask a tensor's elements: ``clone``, ``repeat``, ``roll``,
``flip``, ``cumsum``, ``tril``/``triu``, ``diag``, ``trace``, ``masked_fill``, ``one_hot``, and the
contraction ``einsum`` (with ``outer``). Composite ones are written with other ops, so they need no
backward of their own."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.ops.elementwise import where
from neurona.ops.shape import BroadcastTo, ScatterAdd, _dim, getitem, reshape
from neurona.tensor import Function, Tensor


class Clone(Function):
    """y = a copy of x (its own memory);  dy/dx = 1"""

    def forward(self, ctx, x):
        return x.copy()

    def backward(self, ctx, grad):
        return grad


class Repeat(Function):
    """y = x tiled ``reps`` times along each dimension;  dL/dx sums the gradient over the tiles"""

    def forward(self, ctx, x):
        return np.tile(x, self.reps)

    def backward(self, ctx, grad):
        shape = ctx.shapes[0]
        shape = (1,) * (len(self.reps) - len(shape)) + shape
        split = [n for r, s in zip(self.reps, shape) for n in (r, s)]
        summed = grad.reshape(split).sum(axis=tuple(range(0, 2 * len(shape), 2)))
        return summed.reshape(ctx.shapes[0])


class CumSum(Function):
    """y_i = x_1 + ... + x_i along ``dim``;  dL/dx_i = g_i + ... + g_n (a cumulative sum from the end)"""

    def forward(self, ctx, x):
        return np.cumsum(x, axis=self.dim, dtype=x.dtype)

    def backward(self, ctx, grad):
        flip = (slice(None),) * self.dim + (slice(None, None, -1),)
        return CumSum.apply(grad[flip], dim=self.dim)[flip]


class Roll(Function):
    """y = x shifted cyclically by ``shifts`` along ``dims``;  dL/dx = g shifted back"""

    def forward(self, ctx, x):
        return np.roll(x, self.shifts, axis=self.dims)

    def backward(self, ctx, grad):
        return Roll.apply(grad, shifts=tuple(-s for s in self.shifts), dims=self.dims)


class Einsum(Function):
    """y = einsum(spec, x_1, ..., x_n);  dL/dx_k = einsum(spec with x_k's and y's subscripts swapped, ...),
    broadcast over the subscripts that only x_k has (summed out of y)"""

    def forward(self, ctx, *xs):
        return np.einsum(self.spec, *xs, optimize=len(xs) > 2)

    def backward(self, ctx, grad):
        xs, (ins, out) = ctx.inputs, (self.spec.split("->")[0].split(","), self.spec.split("->")[1])
        grads = []
        for k, need in enumerate(ctx.needs_input_grad):
            others = [s for i, s in enumerate(ins) if i != k]
            kept = "".join(c for c in ins[k] if c in out + "".join(others))
            spec = ",".join([out, *others]) + "->" + kept
            g = Einsum.apply(grad, *[x for i, x in enumerate(xs) if i != k], spec=spec) if need else None
            if need and kept != ins[k]:  # letters only x_k has: y is constant along them
                shape = [xs[k].shape[i] if c in kept else 1 for i, c in enumerate(ins[k])]
                g = BroadcastTo.apply(g.reshape(shape), shape=tuple(xs[k].shape))
            grads.append(g)
        return tuple(grads)


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """``x`` repeated ``sizes[i]`` times along dimension i (torch's ``repeat``, NumPy's ``tile``)."""
    reps = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], tuple | list) else tuple(sizes)
    if len(reps) < x.ndim:
        raise ShapeError(f"repeat: {len(reps)} repeat counts for a tensor with {x.ndim} dimensions; give at least {x.ndim}")
    return Repeat.apply(x, reps=tuple(int(r) for r in reps))


def cumsum(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    elif x.data.dtype.kind in "bui":
        x = x.long()
    return CumSum.apply(x, dim=_dim(dim, max(x.ndim, 1), "cumsum")) if x.ndim else x


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    if dims is None:
        return reshape(roll(reshape(x, -1), shifts, 0), *x.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Roll.apply(x, shifts=shifts, dims=tuple(_dim(d, x.ndim, "roll") for d in dims))


def flip(x: Tensor, dims: Any) -> Tensor:
    dims = {_dim(d, x.ndim, "flip") for d in ((dims,) if isinstance(dims, int) else dims)}
    return getitem(x, tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(x.ndim)))


def _triangle(x: Tensor, keep: np.ndarray) -> Tensor:
    if x.ndim < 2:
        raise ShapeError(f"tril/triu: expected a tensor with at least 2 dimensions, got shape {fmt_shape(x.shape)}")
    return where(keep, x, np.zeros((), x.data.dtype))


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below ``diagonal``) of the last two dimensions; zeros above."""
    n, m = x.shape[-2:] if x.ndim >= 2 else (0, 0)
    return _triangle(x, np.tri(n, m, diagonal, dtype=bool))


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above ``diagonal``) of the last two dimensions; zeros below."""
    n, m = x.shape[-2:] if x.ndim >= 2 else (0, 0)
    return _triangle(x, ~np.tri(n, m, diagonal - 1, dtype=bool))


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor's values on a square matrix's diagonal, or a 2-D tensor's diagonal as 1-D."""
    if x.ndim == 1:
        n, i = x.shape[0] + abs(diagonal), np.arange(x.shape[0])
        index = (i + max(-diagonal, 0), i + max(diagonal, 0))
        return ScatterAdd.apply(x, shape=(n, n), index=index, repeats=False)
    if x.ndim != 2:
        raise ShapeError(f"diag: expected a 1-D or 2-D tensor, got shape {fmt_shape(x.shape)}")
    i = np.arange(max(0, min(x.shape[0] + min(diagonal, 0), x.shape[1] - max(diagonal, 0))))
    return getitem(x, (i + max(-diagonal, 0), i + max(diagonal, 0)))


def trace(x: Tensor) -> Tensor:
    return diag(x).sum()


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``x`` with ``value`` where ``mask`` is True (``mask`` broadcasts to x's shape)."""
    if not isinstance(value, Tensor):
        value = np.asarray(value, dtype=x.data.dtype)
    return where(mask, value, x)


def einsum(spec: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum("ij,jk->ik", a, b)`` (an explicit ``->`` output is needed
    here unless the result is implicit NumPy order; operands may be given as one list)."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    spec = spec.replace(" ", "")
    if "." in spec:
        spec = _expand_ellipsis(spec, operands)
    if "->" not in spec:
        ins = spec.split(",")
        letters = "".join(ins)
        spec += "->" + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if any(len(set(s)) != len(s) for s in spec.split("->")[0].split(",")):
        raise ValueError(f"einsum: a subscript repeated within one operand ({spec!r}) is not supported; "
                         "use diag()/trace() for diagonals")
    return Einsum.apply(*operands, spec=spec)


def _expand_ellipsis(spec: str, operands: tuple) -> str:
    """``spec`` with each ``...`` spelled out as letters it does not use, aligned from the right as in
    broadcasting (``"...ij,...jk->...ik"`` on 3-D operands becomes ``"Zij,Zjk->Zik"``). As in torch, an
    explicit output without ``...`` sums those dimensions out, and an implicit one puts them first. The
    dimensions one ``...`` stands for must have equal sizes in every operand (no size-1 broadcasting)."""
    ins, arrow, out = spec.partition("->")
    terms = ins.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {spec!r} names {len(terms)} operands, got {len(operands)}")
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec]
    sizes: list[int] = []  # the sizes of the ellipsis dimensions, aligned from the right
    expanded = []
    for term, x in zip(terms, operands, strict=True):
        if term.count("...") > 1 or term.replace("...", "").count("."):
            raise ValueError(f"einsum: {term!r} must hold at most one '...' and no other '.'")
        if "..." not in term:
            expanded.append(term)
            continue
        n = np.ndim(x.data if isinstance(x, Tensor) else x) - (len(term) - 3)
        if n < 0:
            raise ShapeError(f"einsum: {term!r} needs at least {len(term) - 3} dimensions, got an operand with {n + len(term) - 3}")
        shape = (x.shape if isinstance(x, Tensor) else np.shape(x))[term.index("..."):][:n]
        for i, size in enumerate(reversed(shape)):
            if i == len(sizes):
                sizes.append(size)
            elif sizes[i] != size:
                raise ShapeError(f"einsum: the dimensions '...' stands for differ in size ({sizes[i]} vs {size}); "
                                 "expand the operands to one shape first")
        expanded.append(term.replace("...", "".join(free[len(free) - n:]) if n else ""))
    dots = "".join(free[len(free) - len(sizes):]) if sizes else ""
    if arrow and "..." in out:
        out = out.replace("...", dots)
    elif not arrow:  # implicit output: the ellipsis dimensions first, then the letters used once, sorted
        letters = "".join(t for t in ins.replace("...", "").split(","))
        out = dots + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return ",".join(expanded) + "->" + out


def outer(a: Tensor, b: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: y_ij = a_i b_j."""
    return reshape(a, -1, 1) * reshape(b, 1, -1)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows for class indices: shape ``tensor.shape + (num_classes,)``."""
    labels = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer (int64) tensor of class indices, got dtype {labels.dtype}")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got [{labels.min()}, {labels.max()}]")
    return Tensor._wrap((labels[..., None] == np.arange(num_classes)).astype(np.int64))
