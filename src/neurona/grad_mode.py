"""Grad mode (``no_grad``, ``enable_grad``) and anomaly mode: the switches the engine consults on every op."""

from __future__ import annotations

from typing import Any

import numpy as np


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True when new ops record a graph (the default); False inside ``no_grad()``."""
    return _GradMode.enabled


class AnomalyMode:
    """While enabled (``neurona.autograd.detect_anomaly()``), every op checks its output and raises
    ``FloatingPointError`` naming itself, and the layer it ran in, when it turns finite inputs into NaN/inf."""

    enabled = False
    module_stack: list = []

    @classmethod
    def check(cls, op: str, inputs: tuple, data: np.ndarray) -> None:
        if data.dtype.kind != "f" or np.isfinite(data).all():
            return
        if all(t.data.dtype.kind != "f" or np.isfinite(t.data).all() for t in inputs):
            kind = "NaN" if np.isnan(data).any() else "inf"
            raise FloatingPointError(op, kind, cls.module_stack[-1] if cls.module_stack else None)


class _SetGrad:
    """Context manager and decorator that sets grad mode, restoring the previous mode on exit."""

    def __init__(self, mode: bool):
        self.mode = mode

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with _SetGrad(self.mode):
                return fn(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


def no_grad(fn: Any = None) -> Any:
    """Ops inside ``with no_grad():`` build no graph (evaluation, optimiser updates). Also a decorator,
    ``@no_grad()`` or bare ``@no_grad`` as recent torch allows."""
    return _SetGrad(False) if fn is None else _SetGrad(False)(fn)


def enable_grad() -> _SetGrad:
    """Re-enable graph building inside a ``no_grad`` block."""
    return _SetGrad(True)


class set_grad_enabled(_SetGrad):
    """``set_grad_enabled(False)`` is ``no_grad()``, ``set_grad_enabled(True)`` is ``enable_grad()``: a
    context manager or decorator, as in torch (``with set_grad_enabled(phase == "train"):``). Called
    as a plain function it sets the mode at once."""

    def __init__(self, mode: bool) -> None:
        super().__init__(bool(mode))
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode  # effective immediately, undone by __exit__

    def __enter__(self):
        pass

    def __call__(self, fn):  # as a decorator: the mode applies inside fn only
        _GradMode.enabled = self.prev
        return super().__call__(fn)


def inference_mode(mode: Any = True) -> Any:
    """torch's faster ``no_grad`` for evaluation; here the same as ``no_grad()`` (``mode=False`` enables grad).
    Works as ``with inference_mode():``, ``@inference_mode()`` and bare ``@inference_mode``."""
    if callable(mode):
        return _SetGrad(False)(mode)
    return _SetGrad(not mode)
