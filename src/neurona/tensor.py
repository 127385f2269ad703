"""The engine: ``Tensor``, the ``Function`` base every op derives from, and reverse-mode autograd.

Read this file top to bottom and you have seen all of backpropagation:

1. Every op is a :class:`Function`. ``apply`` runs its ``forward`` on raw NumPy arrays and, when a
   gradient is wanted, links the results to a :class:`Context` node that keeps the inputs and outputs.
2. ``run_backward`` orders the op calls topologically (iteratively, so a 100,000-op chain is fine),
   then walks them from the output back, calling each op's ``backward`` (the chain rule) and summing
   the gradients that reach each tensor.
3. A ``backward`` runs on NumPy arrays at first order; with ``create_graph=True`` the same lines run
   on Tensors, so the gradient computation is recorded and can be differentiated again.

The user-facing methods (``x + y``, ``x.sum()``, ...) are thin calls into ops (``neurona/ops/methods.py``).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from neurona.device import CPU
from neurona.dtypes import _BY_NUMPY, Size, as_array
from neurona.errors import fmt_shape
from neurona.grad_mode import AnomalyMode, _GradMode, _SetGrad, enable_grad, is_grad_enabled, no_grad  # noqa: F401 (re-exported)
from neurona.graph_info import _EPOCH, _FREED_MESSAGE, NodeInfo, _run_hooks, _sources, counter


# --------------------------------------------------------------------------------------------------
# Function and Context: one op call in the graph
# --------------------------------------------------------------------------------------------------
class Context(NodeInfo):
    """What one op call keeps for its backward: its inputs, its outputs and plain attributes that
    ``forward`` sets (``ctx.winner = ...``). Nothing else: an op never changes its Function instance.

    In ``backward``, ``ctx.inputs`` and ``ctx.output`` (``ctx.outputs`` for several) hold *values*:
    NumPy arrays when the engine computes first-order gradients, the graph's Tensors when
    ``create_graph=True`` asks for a graph of the gradient. A backward written with operators,
    methods both types share (``@ * .T .reshape .sum``) and other ops' ``apply`` runs on both.
    """

    tensors: tuple[Tensor, ...] = ()  # the input Tensors: the graph's edges
    _epoch = -1  # the in-place epoch when the op ran: a saved value changed since then is stale
    _view_boxes: tuple = ()  # version counters of the outputs' memory held elsewhere (views, in-place)
    on_tensors = False  # set by the engine: compute the gradient with Tensors (create_graph)
    released = False

    @property
    def inputs(self) -> tuple:
        self._check_alive()
        if self._epoch != _EPOCH[0]:
            self._check_versions()
        return self.tensors if self.on_tensors else tuple(t.data for t in self.tensors)

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """The inputs' NumPy arrays in either mode: for constants such as masks."""
        self._check_alive()
        if self._epoch != _EPOCH[0]:
            self._check_versions()
        return tuple(t.data for t in self.tensors)

    # the inputs' shapes and dtypes: an in-place change keeps both, so reading them is never stale
    shapes = property(lambda self: tuple(t.data.shape for t in self.tensors))
    dtypes = property(lambda self: tuple(t.data.dtype for t in self.tensors))

    @property
    def outputs(self) -> tuple:
        self._check_alive()
        if self._epoch != _EPOCH[0]:
            self._check_outputs()
        if not self.on_tensors:
            return self._arrays
        return tuple(Tensor._wrap(a) if ref() is None else ref() for ref, a in zip(self._refs, self._arrays))

    @property
    def output(self) -> Any:
        return self.outputs[0]

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        return tuple(t.requires_grad for t in self.tensors)

    def _check_alive(self) -> None:
        if self.released:
            raise RuntimeError(_FREED_MESSAGE)

    def release(self) -> None:
        """Free everything backward needed (after a backward without ``retain_graph``)."""
        name = self.fn_name
        self.__dict__.clear()
        self.tensors, self.released, self.fn_name, self.on_tensors = (), True, name, False


class Function:
    """Base class of every differentiable op.

    Subclasses define ``forward(self, ctx, *arrays)`` on raw NumPy arrays, returning one array or a
    tuple of arrays (an op with several outputs), and ``backward(self, ctx, *grads)``, one gradient per
    output in, one gradient (or None) per input out. Options (``dim=...``) are passed to ``apply`` as
    keywords and become attributes of the Function instance, read-only from then on.

    ``apply`` on Tensors records the call in the graph; ``apply`` on plain arrays is just the forward
    (that is how a backward built from other ops runs on arrays at first order).
    """

    view = False  # True for ops whose output may be a view of input 0 (shares its version counter)

    def __init__(self, **options: Any) -> None:
        self.__dict__.update(options)

    def forward(self, ctx: Context, *arrays: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        raise NotImplementedError

    def backward(self, ctx: Context, *grads: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Any:
        fn, ctx = cls(**options), Context()
        is_tensor = [isinstance(t, Tensor) for t in inputs]
        if not all(is_tensor):
            if not any(is_tensor):  # plain arrays: the forward alone
                return fn.forward(ctx, *inputs)
            inputs = tuple(t if k else Tensor._wrap(np.asarray(t)) for t, k in zip(inputs, is_tensor))
        result = fn.forward(ctx, *[t.data for t in inputs])
        if type(result) is tuple:
            return tuple(_link(cls, fn, ctx, inputs, result))
        return _link(cls, fn, ctx, inputs, (result,))[0]


def _link(cls: type, fn: Function, ctx: Context, inputs: tuple, results: tuple) -> list[Tensor]:
    """An op call's results as Tensors, linked to ``ctx`` when a gradient is wanted."""
    arrays = [a if type(a) is np.ndarray else np.asarray(a) for a in results]  # NumPy gives scalars for 0-d
    if AnomalyMode.enabled:
        for a in arrays:
            AnomalyMode.check(cls.__name__, inputs, a)
    requires_grad = _GradMode.enabled and any(t.requires_grad for t in inputs)
    outs = [Tensor._wrap(a, requires_grad) for a in arrays]
    if cls.view and np.may_share_memory(arrays[0], inputs[0].data):  # a view shares its base's version counter
        base = inputs[0]
        if base._vc is None and base._ctx is not None:
            base._ctx._view_boxes += (counter(base),)
        outs[0]._vc = counter(base)
    if requires_grad:
        ctx.fn, ctx.fn_name, ctx.tensors, ctx._arrays = fn, cls.__name__, inputs, arrays
        ctx._refs = [weakref.ref(o) for o in outs]  # weak: an output must not keep its own node alive
        ctx._epoch = _EPOCH[0]  # saved values changed in place after this are caught on reading
        for o in outs:
            o._ctx = ctx
    return outs


# --------------------------------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------------------------------
_to_array = as_array  # the name neurona.data imports


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

    __slots__ = ("__weakref__", "_ctx", "_hooks", "_retains_grad", "_vc", "data", "grad", "requires_grad")
    __array_ufunc__ = None  # make NumPy hand `ndarray * Tensor` to Tensor.__rmul__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = as_array(data.data if isinstance(data, Tensor) else data, dtype)
        self.grad: Tensor | None = None
        self._ctx: Context | None = None
        self._retains_grad = False
        self._vc = None  # version counter (graph_info.VersionCounter), made at the first in-place change
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Fast path for ops: wrap an array that already has the right dtype."""
        t = cls.__new__(cls)
        t.data, t.grad, t._ctx, t._retains_grad, t.requires_grad = data, None, None, False, requires_grad
        t._vc = t._hooks = None
        return t

    # ---- basic properties --------------------------------------------------------------------
    shape = property(lambda self: Size(self.data.shape))
    dtype = property(lambda self: _BY_NUMPY.get(self.data.dtype) or self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    device = property(lambda self: CPU)
    is_cuda = False
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)
    _version = property(lambda self: 0 if self._vc is None else self._vc.version)

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
        t = Tensor._wrap(self.data)
        t._vc = counter(self)  # shares memory, so shares the version counter
        return t

    __hash__ = object.__hash__

    # ---- autograd -----------------------------------------------------------------------------
    def backward(
        self, gradient: Tensor | None = None, retain_graph: bool | None = None, create_graph: bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf with ``requires_grad``
        (only into ``inputs``' ``.grad`` when given).

        ``gradient`` is d(loss)/d(self); it may be omitted only when ``self`` has one element.
        """
        grad = gradient
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
        retain = create_graph if retain_graph is None else retain_graph
        if inputs is None:
            run_backward([self], [grad], retain_graph=retain, create_graph=create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = run_backward([self], [grad], retain_graph=retain, create_graph=create_graph, inputs=inputs)
        for t, g in zip(inputs, grads):
            if g is not None:
                t.grad = g if t.grad is None else t.grad + g

    # the operators (x + y, x @ w, x[i]) and methods (x.sum(), x.reshape(...)) are thin calls into
    # neurona.ops, installed on this class by neurona/ops/methods.py


# --------------------------------------------------------------------------------------------------
# The backward engine
# --------------------------------------------------------------------------------------------------
def _topological_order(roots: Sequence[Tensor]) -> list[Context]:
    """The op calls behind ``roots``, every call before the calls that made its inputs (consumers
    first). An explicit stack instead of recursion, so very deep graphs (long RNN unrolls) are fine."""
    order: list[Context] = []
    seen: set[int] = set()
    stack: list[tuple[Context, bool]] = [(r._ctx, False) for r in roots if r._ctx is not None]
    while stack:
        ctx, inputs_done = stack.pop()
        if inputs_done:
            order.append(ctx)
            continue
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        stack.append((ctx, True))
        stack.extend((t._ctx, False) for t in _sources(ctx) if t.requires_grad and t._ctx is not None)
    return order[::-1]


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> list[Tensor | None] | None:
    """Backpropagate ``root_grads`` from ``roots``: the chain rule, one op call at a time.

    Gradients are NumPy arrays at first order and Tensors (recorded ops) under ``create_graph``. With
    ``inputs`` (what :func:`neurona.autograd.grad` uses), the gradients reaching those tensors are
    returned instead of being accumulated into ``.grad``.
    """
    wanted = None if inputs is None else {id(t): None for t in inputs}
    pending: dict[int, tuple[Tensor, Any]] = {}  # id(tensor) -> (tensor, its gradient so far)

    def arrive(t: Tensor, g: Any) -> None:
        if not create_graph and type(g) is not np.ndarray:  # NumPy gives scalars for 0-d results
            g = np.asarray(g)
        data = t.data
        if g.shape != data.shape:  # undo broadcasting, in this one place for every op
            g = ops.sum_to(g, data.shape) if create_graph else SumTo.apply(g, shape=data.shape)
        if g.dtype is not data.dtype and g.dtype != data.dtype:
            g = g.astype(data.dtype)
        old = pending.get(id(t))
        pending[id(t)] = (t, g if old is None else old[1] + g)

    def finish(t: Tensor, g: Any) -> None:  # t's gradient is complete
        if t._hooks:
            g = _run_hooks(t, g, create_graph)
        if wanted is None:
            _accumulate(t, g, create_graph, stored)
        elif id(t) in wanted:
            wanted[id(t)] = g if create_graph else Tensor._wrap(g)

    def finish_unhooked(t: Tensor, g: Any) -> None:  # hooks already ran on g
        hooks, t._hooks = t._hooks, None
        try:
            finish(t, g)
        finally:
            t._hooks = hooks

    stored = {id(g.data) for g in root_grads}  # arrays a .grad must not share (see _accumulate)
    for r, g in zip(roots, root_grads):
        arrive(r, g if create_graph else g.data)
    previous_mode = _GradMode.enabled
    _GradMode.enabled = create_graph  # gradient ops are recorded only for higher-order gradients
    try:
        for ctx in _topological_order(roots):
            if ctx.released:
                raise RuntimeError(_FREED_MESSAGE)
            outs = [ref() for ref in ctx._refs]
            grads = [None if o is None else pending.pop(id(o), _NO_GRADIENT)[1] for o in outs]
            missing = [g is None for g in grads]
            if all(missing):
                continue
            for i, (o, g) in enumerate(zip(outs, grads)):
                if g is not None and o._hooks:
                    grads[i] = g = _run_hooks(o, g, create_graph)
                if g is not None and (o._retains_grad or wanted is not None):
                    finish(o, g) if not o._hooks else finish_unhooked(o, g)
            if any(missing):  # an output nothing used gets a zero gradient
                grads = [_zeros(a, create_graph) if g is None else g for g, a in zip(grads, ctx._arrays)]
            ctx.on_tensors = create_graph
            input_grads = ctx.fn.backward(ctx, *grads)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for t, g in zip(_sources(ctx), input_grads):
                if g is not None and t.requires_grad:
                    arrive(t, g)
            if not retain_graph:
                ctx.release()
        for t, g in pending.values():  # what is left are the leaves
            finish(t, g)
    finally:
        _GradMode.enabled = previous_mode
    return None if wanted is None else [wanted[id(t)] for t in inputs]


_NO_GRADIENT = (None, None)


def _zeros(like: np.ndarray, as_tensor: bool) -> Any:
    """The gradient of an output nothing used (an op with several outputs gets one for each)."""
    return Tensor._wrap(np.zeros_like(like)) if as_tensor else np.zeros_like(like)


def _accumulate(t: Tensor, g: Any, create_graph: bool, stored: set[int]) -> None:
    """Add ``g`` to ``t.grad``. A ``.grad`` owns its array: a view, a read-only broadcast, the caller's
    gradient or an array already stored in another ``.grad`` (``a + b`` hands both the same one) is
    copied, so an in-place ``a.grad.zero_()`` cannot change ``b.grad``. Fresh arrays are kept as they are."""
    if not create_graph:
        if not g.flags.writeable or g.base is not None or id(g) in stored:
            g = g.copy()
        stored.add(id(g))
        g = Tensor._wrap(g)
    t.grad = g if t.grad is None else t.grad + g


from neurona import ops  # noqa: E402  (ops build on Tensor and Function defined above)
from neurona.ops.shape import SumTo  # noqa: E402
