"""In-place ops (``x += y``, ``x.add_(y)``, ``x[mask] = 0``, ``x.uniform_()``), made safe for autograd
the way PyTorch does it.

* Every tensor has a version counter (``x._version``), shared with its views; each in-place op bumps it.
  An op records its inputs' versions when it runs, and its backward, on reading an input changed since,
  raises PyTorch's error ("... has been modified by an inplace operation ... is at version 1; expected
  version 0 instead"), naming the in-place op and the op that needed the value.
* An in-place op on a leaf that requires grad is refused outside ``no_grad()`` (it would lose the
  value the gradient is taken at); inside ``no_grad()`` it is how optimisers update parameters.
* An in-place op on a tensor of the graph is differentiable: it is computed as the out-of-place op on
  a copy of the old value, written into the tensor's array, and the tensor is re-pointed at the new
  node ("rebasing" the graph, as torch does), so ``y = x * 2; y += 1; y.sum().backward()`` is right.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

# ruff: noqa: E704
import numpy as np

from neurona.errors import fmt_shape
from neurona.grad_mode import _GradMode
from neurona.graph_info import _EPOCH, counter
from neurona.ops.shape import _normalize_index
from neurona.tensor import Function, Tensor

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def _graph_needed(self: Tensor, args: tuple) -> bool:
    return _GradMode.enabled and (self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args))


def _check_target(self: Tensor, name: str) -> None:
    if not self.data.flags.writeable:
        raise RuntimeError(
            f"{name}: this tensor's memory is read-only (it is an expand()/broadcast view or wraps a "
            "read-only array); clone() it first"
        )
    if _GradMode.enabled and self.requires_grad:
        if self._ctx is None:
            raise RuntimeError(_LEAF_MESSAGE + f" ({name}; wrap parameter updates in `with neurona.no_grad():`)")
        node = self._ctx
        while node is not None and node.fn.view:  # up the chain of views to the tensor they share memory with
            base = node.tensors[0]
            if base._ctx is None and base.requires_grad:
                raise RuntimeError(f"a view of a leaf Variable that requires grad is being used in an in-place "
                                   f"operation ({name}; do it under `with neurona.no_grad():` or clone() first).")
            node = base._ctx


def _store(self: Tensor, values: np.ndarray, name: str) -> None:
    """Write ``values`` into ``self``'s array, with torch's checks on shape and dtype."""
    target = self.data
    if values.shape != target.shape:
        raise RuntimeError(
            f"{name}: output with shape {fmt_shape(target.shape)} doesn't match the broadcast shape "
            f"{fmt_shape(values.shape)}"
        )
    if (values.dtype.kind == "f" and target.dtype.kind in "iub") or (values.dtype.kind in "iu" and target.dtype.kind == "b"):
        raise RuntimeError(
            f"{name}: result type {values.dtype} can't be cast to the desired output type {target.dtype} "
            "(an in-place op keeps the tensor's dtype; compute out of place, or .float() first)"
        )
    np.copyto(target, values, casting="unsafe")


def inplace(self: Tensor, name: str, op: Callable[..., Tensor], *args: Any, bump: bool = True) -> Tensor:
    """``self <- op(self, *args)`` written into ``self``'s memory; differentiable when the graph needs it."""
    _check_target(self, name)
    if not _graph_needed(self, args):
        previous, _GradMode.enabled = _GradMode.enabled, False
        try:
            result = op(self, *args)
        finally:
            _GradMode.enabled = previous
        _store(self, result.data, name)
        _bump(self, name)
        return self
    old = Tensor._wrap(self.data.copy(), self.requires_grad)  # the value before: the new node's input
    old._ctx = self._ctx
    result = op(old, *args)
    if result is old:  # the op changed nothing (e.g. clamp_() with no bounds)
        return self
    _store(self, result.data, name)  # checks shape and dtype before it writes
    if self._ctx is not None:  # the node that made self now makes `old`; its saved output is self's memory
        self._ctx._refs = [weakref.ref(old) if r() is self else r for r in self._ctx._refs]
        self._ctx._view_boxes += (counter(self),)
    if bump:  # (a view's base shares its counter: the view's change counted once)
        _bump(self, name)
    counter(self).remember(self, old)  # ops recorded before this one still mean `old` when they name self
    if result._ctx is not None:
        ctx = result._ctx
        ctx._refs = [weakref.ref(self) if r() is result else r for r in ctx._refs]
        ctx._epoch, ctx._arrays = _EPOCH[0], [self.data]
        self._ctx, self.requires_grad = ctx, True
    if old._ctx is not None and old._ctx.fn.view:  # self was a view: its base changed too (torch's CopySlices)
        _write_back(old._ctx, self, name)
    return self


def _write_back(view_node: Any, new_view: Tensor, name: str) -> None:
    """Record on the base of a view that the view's elements now hold ``new_view``."""
    fn, base = view_node.fn, view_node.tensors[0]
    shared = base._vc is not new_view._vc  # False: the view's change was already counted on the base
    if hasattr(fn, "index"):  # GetItem: the base with new values at the view's places
        inplace(base, name, lambda old, v: IndexPut.apply(old, v, index=fn.index), new_view, bump=shared)
    elif hasattr(fn, "dims"):  # Permute: the whole base, permuted back
        inverse = tuple(int(d) for d in np.argsort(fn.dims))
        inplace(base, name, lambda old, v: ops.permute(v, *inverse), new_view, bump=shared)
    else:  # Reshape: the whole base, reshaped back
        inplace(base, name, lambda old, v: ops.reshape(v, *old.shape), new_view, bump=shared)


def _bump(self: Tensor, name: str) -> None:
    counter(self).bump(name)


class Overwrite(Function):
    """y = c (new values that do not depend on x, as ``fill_`` or ``normal_`` write);  dy/dx = 0"""

    def forward(self, ctx, x):
        return np.broadcast_to(np.asarray(self.values, dtype=x.dtype), x.shape).copy()

    def backward(self, ctx, grad):
        return grad * 0


class IndexPut(Function):
    """y = x with y[index] = v;  dy/dx = g with g[index] = 0,  dy/dv = g[index] (summed to v's shape)"""

    def forward(self, ctx, x, v):
        out = x.copy()
        out[self.index] = _fit(v, out[self.index])
        return out

    def backward(self, ctx, grad):
        return IndexPut.apply(grad, np.zeros((), grad.dtype), index=self.index), grad[self.index]


def _fit(value: np.ndarray, target: np.ndarray) -> np.ndarray:
    """A one-element value for a scalar place (torch lets ``y[0, 2] = v`` take a ``(1,)`` tensor)."""
    return value.reshape(np.shape(target)) if value.size == 1 and np.ndim(target) < value.ndim else value


def overwrite(self: Tensor, values: Any, name: str) -> Tensor:
    """Fill ``self`` with ``values`` (a number or an array of its shape): ``fill_``, ``zero_``, ``normal_``..."""
    if not (_GradMode.enabled and self.requires_grad):
        _check_target(self, name)
        self.data[...] = values
        _bump(self, name)
        return self
    return inplace(self, name, lambda old: Overwrite.apply(old, values=values))


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value`` for ints, slices, masks and index arrays; differentiable (index_put)."""
    index, _ = _normalize_index(index)
    if not _graph_needed(self, (value,)):
        _check_target(self, "__setitem__")
        self.data[index] = _fit(np.asarray(value.data if isinstance(value, Tensor) else value), self.data[index])
        _bump(self, "__setitem__")
        return
    if not isinstance(value, Tensor):
        value = Tensor._wrap(np.asarray(value, dtype=self.data.dtype))
    inplace(self, "__setitem__", lambda old, v: IndexPut.apply(old, v, index=index), value)


def _rng(generator: Any) -> np.random.Generator:
    from neurona.random import rng

    return rng(generator)


def _random_fill(self: Tensor, name: str, draw: Callable[[np.random.Generator, tuple], np.ndarray], generator: Any) -> Tensor:
    return overwrite(self, draw(_rng(generator), self.data.shape), name)


class InplaceMethods:
    """Tensor's in-place methods (installed on Tensor by ``neurona/ops/methods.py``)."""

    def __iadd__(self, other): return inplace(self, "add_", ops.add, other)
    def __isub__(self, other): return inplace(self, "sub_", ops.sub, other)
    def __imul__(self, other): return inplace(self, "mul_", ops.mul, other)
    def __itruediv__(self, other): return inplace(self, "div_", ops.div, other)
    def __imatmul__(self, other): return inplace(self, "matmul_", ops.matmul, other)
    def __ipow__(self, other): return inplace(self, "pow_", ops.pow, other)
    def __setitem__(self, index, value): setitem(self, index, value)

    def add_(self, other, alpha=1):
        return inplace(self, "add_", lambda a, b: ops.add(a, b if alpha == 1 else ops.mul(b, alpha)), other)

    def sub_(self, other, alpha=1):
        return inplace(self, "sub_", lambda a, b: ops.sub(a, b if alpha == 1 else ops.mul(b, alpha)), other)

    def mul_(self, other): return inplace(self, "mul_", ops.mul, other)
    def div_(self, other): return inplace(self, "div_", ops.div, other)
    def pow_(self, exponent): return inplace(self, "pow_", ops.pow, exponent)
    def neg_(self): return inplace(self, "neg_", ops.neg)
    def abs_(self): return inplace(self, "abs_", ops.abs)
    def exp_(self): return inplace(self, "exp_", ops.exp)
    def log_(self): return inplace(self, "log_", ops.log)
    def sqrt_(self): return inplace(self, "sqrt_", ops.sqrt)
    def sigmoid_(self): return inplace(self, "sigmoid_", ops.sigmoid)
    def tanh_(self): return inplace(self, "tanh_", ops.tanh)
    def relu_(self): return inplace(self, "relu_", ops.relu)
    def clamp_(self, min=None, max=None): return inplace(self, "clamp_", lambda a: ops.clamp(a, min, max))
    clip_ = clamp_
    def masked_fill_(self, mask, value): return inplace(self, "masked_fill_", lambda a, v: ops.where(mask, v, a), value)

    def addcmul_(self, t1, t2, value=1):
        return inplace(self, "addcmul_", lambda a, b, c: ops.add(a, ops.mul(ops.mul(b, c), value)), t1, t2)

    def addcdiv_(self, t1, t2, value=1):
        return inplace(self, "addcdiv_", lambda a, b, c: ops.add(a, ops.mul(ops.div(b, c), value)), t1, t2)

    def lerp_(self, end, weight):
        return inplace(self, "lerp_", lambda a, b: ops.add(a, ops.mul(ops.sub(b, a), weight)), end)

    def zero_(self): return overwrite(self, 0, "zero_")
    def fill_(self, value): return overwrite(self, value.item() if isinstance(value, Tensor) else value, "fill_")

    def copy_(self, src, non_blocking=False):
        if not isinstance(src, Tensor):
            src = Tensor._wrap(np.asarray(src))
        try:
            fits = np.broadcast_shapes(src.data.shape, self.data.shape) == self.data.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"copy_: cannot copy shape {fmt_shape(src.shape)} into {fmt_shape(self.shape)}")
        if not _graph_needed(self, (src,)):
            _check_target(self, "copy_")
            np.copyto(self.data, src.data, casting="unsafe")
            _bump(self, "copy_")
            return self
        return inplace(self, "copy_", lambda a, b: IndexPut.apply(a, b, index=Ellipsis), src)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        return _random_fill(self, "uniform_", lambda r, s: r.uniform(a, b, s), generator)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        return _random_fill(self, "normal_", lambda r, s: r.normal(mean, std, s), generator)

    def bernoulli_(self, p=0.5, generator=None):
        p = p.data if isinstance(p, Tensor) else p
        return _random_fill(self, "bernoulli_", lambda r, s: r.random(s) < p, generator)

    def exponential_(self, lambd=1.0, generator=None):
        return _random_fill(self, "exponential_", lambda r, s: r.exponential(1.0 / lambd, s), generator)

    def random_(self, low=0, high=None, generator=None):
        if high is None:
            low, high = 0, low if low else 2 ** (24 if self.data.dtype.kind == "f" else 31)
        return _random_fill(self, "random_", lambda r, s: r.integers(low, high, s), generator)


from neurona import ops  # noqa: E402
