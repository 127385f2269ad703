"""What the engine tells about its graph: torch-style node introspection (``AccumulateGrad``), hook
handles, and the texts of its errors (a freed graph, a value changed in place since an op saved it)."""

from __future__ import annotations

from typing import Any

import numpy as np


class AccumulateGrad:
    """The node that stores a leaf's gradient in ``.grad`` (what torch's ``next_functions`` shows)."""

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class NodeInfo:
    """What a graph node (an op call's ``Context``) tells about itself, as torch's ``grad_fn`` does."""

    def name(self) -> str:
        """The node's name as torch prints it (``MulBackward0``)."""
        return f"{self.fn_name}Backward0"

    @property
    def next_functions(self) -> tuple:
        """The nodes that made this op's inputs, as torch's ``grad_fn.next_functions``: ``(node, 0)`` per
        input; an ``AccumulateGrad`` for a leaf that requires grad, None for an input that needs none."""
        return tuple((t._ctx if t._ctx is not None else AccumulateGrad(t) if t.requires_grad else None, 0)
                     for t in self.tensors)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class _HookHandle:
    def __init__(self, hooks: dict, key: object) -> None:
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time."
)


def _modified(box: list, expected: int, role: str, array: np.ndarray) -> str:
    """PyTorch's error text for a saved value changed in place, naming the in-place op that changed it."""
    from neurona.dtypes import _BY_NUMPY, _TYPE_NAMES

    kind = _TYPE_NAMES.get(_BY_NUMPY.get(array.dtype), str(array.dtype))
    return (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[neurona.{kind} {list(array.shape)}], which is {role}, is at version {box[0]}; expected version "
        f"{expected} instead. Hint: the in-place op was {box[1]}(); compute out of place (y = y + 1 instead "
        "of y += 1) or clone() the tensor before changing it."
    )


def _run_hooks(t: Any, g: Any, create_graph: bool) -> Any:
    """Call ``t``'s ``register_hook`` functions on its gradient; a hook may return a replacement."""
    for hook in list(t._hooks.values()):
        result = hook(g if create_graph else type(t)._wrap(g))
        if result is not None:
            g = result if create_graph else (result.data if hasattr(result, 'data') else np.asarray(result))
    return g


def register_hook(self: Any, hook: Any) -> _HookHandle:
    """Call ``hook(grad)`` whenever the gradient with respect to this tensor is computed; a hook
    that returns a tensor replaces the gradient. Returns a handle whose ``remove()`` undoes it."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._hooks is None:
        self._hooks = {}
    key = object()
    self._hooks[key] = hook
    return _HookHandle(self._hooks, key)
