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

    def _check_versions(self) -> None:
        """Raise PyTorch's error when an input was changed in place after this op saved it."""
        for i, t in enumerate(self.tensors):
            if t._vc is not None and t._vc.changed_since(self._epoch):
                raise RuntimeError(_modified(t._vc, self._epoch, f"input {i} of {self.name()}", t.data))

    def _check_outputs(self) -> None:
        """Raise PyTorch's error when an output this op saved was changed in place since."""
        boxes = [(i, r()._vc) for i, r in enumerate(self._refs) if r() is not None and r()._vc is not None]
        for i, box in boxes + [(0, b) for b in self._view_boxes]:
            if box.changed_since(self._epoch):
                raise RuntimeError(_modified(box, self._epoch, f"output {i} of {self.name()}", self._arrays[i]))


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


_EPOCH = [0]  # in-place changes so far, process-wide: an op records it, and no change since means no check


class VersionCounter:
    """How often a tensor's memory was changed in place (views of that memory share one counter), by
    which op, when (the process-wide epoch), and the old values that in-place graph ops replaced, so
    ops recorded before a change still find the value they saw (see ``tensor._source``).

    A tensor gets a counter at its first in-place change or view; until then its version is 0."""

    __slots__ = ("aliases", "changes", "op", "version")

    def __init__(self) -> None:
        self.version, self.op, self.changes, self.aliases = 0, "", [], None

    def bump(self, op: str) -> None:
        _EPOCH[0] += 1
        self.version += 1
        self.op = op
        self.changes.append((_EPOCH[0], self.version))

    def changed_since(self, epoch: int) -> bool:
        return bool(self.changes) and self.changes[-1][0] > epoch

    def version_at(self, epoch: int) -> int:
        version = 0
        for when, v in self.changes:
            if when > epoch:
                break
            version = v
        return version

    def remember(self, t: Any, old: Any) -> None:
        """``old`` holds ``t``'s value before the change just counted."""
        if self.aliases is None:
            self.aliases = {}
        self.aliases.setdefault(id(t), []).append((_EPOCH[0], old))

    def source(self, t: Any, epoch: int) -> Any:
        for when, old in self.aliases.get(id(t), ()):
            if when > epoch:
                return old
        return t


def counter(t: Any) -> VersionCounter:
    """``t``'s version counter, made at first need."""
    if t._vc is None:
        t._vc = VersionCounter()
    return t._vc


def _modified(box: VersionCounter, epoch: int, role: str, array: np.ndarray) -> str:
    """PyTorch's error text for a saved value changed in place, naming the in-place op that changed it."""
    from neurona.dtypes import _BY_NUMPY, _TYPE_NAMES

    kind = _TYPE_NAMES.get(_BY_NUMPY.get(array.dtype), str(array.dtype))
    return (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[neurona.{kind} {list(array.shape)}], which is {role}, is at version {box.version}; expected version "
        f"{box.version_at(epoch)} instead. Hint: the in-place op was {box.op}(); compute out of place "
        "(y = y + 1 instead of y += 1) or clone() the tensor before changing it."
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


def _sources(ctx: Any) -> Any:
    """The op's inputs as it saw them: an in-place op since may have re-pointed an input at its new
    value, leaving the old one (and the node that made it) in the version counter's history."""
    if ctx._epoch == _EPOCH[0]:
        return ctx.tensors
    return [t if t._vc is None or t._vc.aliases is None else t._vc.source(t, ctx._epoch) for t in ctx.tensors]
