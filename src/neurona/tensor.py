"""The engine: ``Tensor``, the ``Function`` base every op derives from, and reverse-mode autograd.

Read this file top to bottom and you have seen all of backpropagation:

1. Every op is a :class:`Function`. ``apply`` runs its ``forward`` on raw NumPy arrays and, when a
   gradient is wanted, links the result to a :class:`Context` node that remembers the inputs.
2. ``Tensor.backward`` orders the graph topologically (iteratively, so a 100,000-op chain is fine),
   then walks it from the output back, calling each op's ``backward`` (the chain rule) and summing
   the gradients that reach each tensor.
3. ``backward`` methods are written with neurona's own ops, so with ``create_graph=True`` the
   gradient computation is itself recorded and can be differentiated again.

The user-facing methods (``x + y``, ``x.sum()``, ...) are thin calls into :mod:`neurona.ops`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from neurona.errors import fmt_shape

# grad mode lives in grad_mode.py; re-exported here because ops and layers import it with Tensor
from neurona.grad_mode import AnomalyMode, _GradMode, _SetGrad, enable_grad, is_grad_enabled, no_grad  # noqa: F401


# --------------------------------------------------------------------------------------------------
# Function and Context: one op call in the graph
# --------------------------------------------------------------------------------------------------
class Context:
    """What one op call remembers for its backward.

    ``forward`` stores arrays with ``ctx.save_for_backward(...)`` (and may set other attributes);
    ``backward`` reads them back as Tensors through ``ctx.saved``. A saved array that is one of the
    op's inputs or its output comes back as *that* Tensor, so a backward written with it stays
    connected to the graph (this is what makes higher-order gradients work).
    """

    def __init__(self) -> None:
        self.inputs: tuple[Tensor, ...] = ()
        self.released = False

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        self._saved = arrays

    @property
    def saved(self) -> tuple[Tensor, ...]:
        if self.released:
            raise RuntimeError(_FREED_MESSAGE)
        out = self.output()
        result = []
        for a in self._saved:
            if out is not None and a is out.data:
                result.append(out)
            else:
                match = next((t for t in self.inputs if t.data is a), None)
                result.append(match if match is not None else Tensor._wrap(a))
        return tuple(result)

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        return tuple(t.requires_grad for t in self.inputs)

    def release(self) -> None:
        """Free everything backward needed (after a backward without ``retain_graph``)."""
        name = self.fn_name
        self.__dict__.clear()
        self.inputs, self.released, self.fn_name = (), True, name


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time."
)


class Function:
    """Base class of every differentiable op.

    Subclasses define ``forward(self, ctx, *arrays) -> array`` on raw NumPy arrays and
    ``backward(self, ctx, grad) -> Tensor | tuple`` returning one gradient (or None) per input,
    written with neurona ops. Options (``dim=...``) are passed to ``apply`` as keywords and become
    attributes of the Function instance.
    """

    def __init__(self, **options: Any) -> None:
        self.__dict__.update(options)

    def forward(self, ctx: Context, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, ctx: Context, grad: Tensor) -> Tensor | tuple[Tensor | None, ...] | None:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **options: Any) -> Tensor:
        fn = cls(**options)
        ctx = Context()
        data = fn.forward(ctx, *[t.data for t in inputs])
        if type(data) is not np.ndarray:  # NumPy gives scalars for 0-d results; keep .data an array
            data = _as_array(data, ctx)
        if AnomalyMode.enabled:
            AnomalyMode.check(cls.__name__, inputs, data)
        requires_grad = _GradMode.enabled and any(t.requires_grad for t in inputs)
        out = Tensor._wrap(data, requires_grad)
        if requires_grad:
            ctx.fn, ctx.fn_name, ctx.inputs = fn, cls.__name__, inputs
            ctx.output = weakref.ref(out)  # a weak link: the output must not keep its own node alive
            out._ctx = ctx
        return out


def _as_array(scalar: Any, ctx: Context) -> np.ndarray:
    """A 0-d array for a NumPy scalar result, also where ``forward`` saved it (so ``ctx.saved`` still
    recognises the op's output)."""
    data = np.asarray(scalar)
    if hasattr(ctx, "_saved"):
        ctx._saved = tuple(data if a is scalar else a for a in ctx._saved)
    return data


# --------------------------------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------------------------------
def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """NumPy array for ``data``: floats become float32 unless ``dtype`` says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    arr = np.asarray(data, dtype=dtype)
    if dtype is None:
        if arr.dtype.kind == "f" and arr.dtype != np.float32:
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "fiub":
            raise TypeError(f"cannot make a Tensor from data of dtype {arr.dtype}; expected numbers or bools")
    return arr


def to_numpy(value: Any) -> np.ndarray:
    """A NumPy array from a neurona Tensor, a torch tensor or anything array-like (no copy when possible)."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


class Tensor:
    """An n-dimensional array that remembers how it was computed, so gradients can flow back.

    ``data`` is the NumPy array; ``grad`` is filled by ``backward()`` for leaves with
    ``requires_grad=True``. Floating data defaults to float32.
    """

    __slots__ = ("__weakref__", "_ctx", "_retains_grad", "data", "grad", "requires_grad")
    __array_ufunc__ = None  # make NumPy hand `ndarray * Tensor` to Tensor.__rmul__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self._ctx: Context | None = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Fast path for ops: wrap an array that already has the right dtype."""
        t = cls.__new__(cls)
        t.data, t.grad, t._ctx, t._retains_grad, t.requires_grad = data, None, None, False, requires_grad
        return t

    # ---- basic properties --------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {fmt_shape(self.shape)}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        self._retains_grad = True

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extras = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras += f", dtype={self.dtype}"
        if self._ctx is not None:
            extras += f", grad_fn=<{self._ctx.fn_name}>"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

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

    __hash__ = object.__hash__

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

    # ---- autograd -----------------------------------------------------------------------------
    def backward(
        self, grad: Tensor | None = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf with ``requires_grad``.

        ``grad`` is d(loss)/d(self); it may be omitted only when ``self`` has one element.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of its inputs had "
                "requires_grad=True, or it was computed inside no_grad()."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {fmt_shape(self.shape)} needs a `grad` argument of "
                    "the same shape: a gradient is implicitly created only for scalar outputs "
                    "(reduce first, e.g. loss.mean().backward())."
                )
            grad = Tensor._wrap(np.ones_like(self.data))
        elif not isinstance(grad, Tensor):
            grad = Tensor._wrap(np.asarray(grad, dtype=self.dtype))
        elif grad.dtype != self.dtype:  # gradients always have their tensor's dtype
            grad = ops.cast(grad, self.dtype)
        if grad.shape != self.shape:
            raise ValueError(
                f"backward(): grad has shape {fmt_shape(grad.shape)} but the tensor has {fmt_shape(self.shape)}"
            )
        run_backward([self], [grad], retain_graph=create_graph if retain_graph is None else retain_graph,
                     create_graph=create_graph)

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
    def permute(self, *dims): return ops.permute(self, *dims)
    def expand(self, *sizes): return ops.expand(self, *sizes)
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)
    def split(self, split_size_or_sections, dim=0): return ops.split(self, split_size_or_sections, dim)
    def chunk(self, chunks, dim=0): return ops.chunk(self, chunks, dim)
    def contiguous(self): return self
    T = property(lambda self: ops.permute(self, *reversed(range(self.ndim))))
    mT = property(lambda self: ops.transpose(self, -2, -1))


# --------------------------------------------------------------------------------------------------
# The backward engine
# --------------------------------------------------------------------------------------------------
def _topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Tensors that need a gradient, every tensor after all tensors it was computed from.

    An explicit stack instead of recursion, so very deep graphs (long RNN unrolls) are fine.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in roots]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if t._ctx is not None:
            stack.extend((i, False) for i in t._ctx.inputs if i.requires_grad and id(i) not in seen)
    return order


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> list[Tensor | None] | None:
    """Backpropagate ``root_grads`` from ``roots``: the chain rule, one op at a time.

    With ``inputs`` (what :func:`neurona.autograd.grad` uses), the gradients reaching those tensors
    are returned instead of being accumulated into ``.grad``.
    """
    wanted = None if inputs is None else {id(t): None for t in inputs}
    grads: dict[int, Tensor] = {}
    for r, g in zip(roots, root_grads):
        grads[id(r)] = grads[id(r)] + g if id(r) in grads else g
    stored = {id(g.data) for g in root_grads}  # arrays a .grad must not share (see _accumulate)
    previous_mode = _GradMode.enabled
    _GradMode.enabled = create_graph  # gradient ops are recorded only for higher-order gradients
    try:
        for t in reversed(_topological_order(roots)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            ctx = t._ctx
            if wanted is not None:
                if id(t) in wanted:
                    wanted[id(t)] = g if wanted[id(t)] is None else wanted[id(t)] + g
            elif ctx is None or t._retains_grad:
                _accumulate(t, g, create_graph, stored)
            if ctx is None:
                continue
            if ctx.released:
                raise RuntimeError(_FREED_MESSAGE)
            input_grads = ctx.fn.backward(ctx, g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for inp, ig in zip(ctx.inputs, input_grads):
                if ig is None or not inp.requires_grad:
                    continue
                if ig.shape != inp.shape:  # undo broadcasting, in this one place for every op
                    ig = ops.sum_to(ig, inp.shape)
                if ig.dtype != inp.dtype:
                    ig = ops.cast(ig, inp.dtype)
                key = id(inp)
                grads[key] = grads[key] + ig if key in grads else ig
            if not retain_graph:
                ctx.release()
    finally:
        _GradMode.enabled = previous_mode
    return None if wanted is None else [wanted[id(t)] for t in inputs]


def _accumulate(t: Tensor, g: Tensor, create_graph: bool, stored: set[int]) -> None:
    """Add ``g`` to ``t.grad``. A ``.grad`` owns its array: a view, a read-only broadcast, the caller's
    gradient or an array already stored in another ``.grad`` (``a + b`` hands both the same one) is
    copied, so an in-place ``a.grad.zero_()`` cannot change ``b.grad``. Fresh arrays are kept as they are."""
    if not create_graph:
        data = g.data
        if not data.flags.writeable or data.base is not None or id(data) in stored:
            data = data.copy()
        stored.add(id(data))
        g = Tensor._wrap(data)
    t.grad = g if t.grad is None else t.grad + g


from neurona import ops  # noqa: E402  (ops build on Tensor and Function defined above)
