"""Kernels: faster forms of some ops, behind one seam.

Every op has a reference definition in ``neurona.ops`` (forward and backward side by side, natural
NumPy memory layout, the math in the docstring). Where a faster form exists, it lives here, named for
how it is faster (``ConvGemmBatchLast``, ``MaxPoolTaps``, ``LSTMFused``), registered for the
reference it replaces, and tested against that reference on random shapes (values and gradients,
float32 and float64: ``tests/test_kernels.py``).

An op asks ``select(Reference)`` which form to run: the registered kernel while kernels are on (the
default), the reference itself when they are off. One switch turns every kernel off:

    neurona.use_kernels(False)          # or, for a whole process: NEURONA_KERNELS=0
    with neurona.use_kernels(False):    # or for a block
        ...

Memory layouts (a convolution's batch-last columns) stay inside the kernels: what a kernel hands on
is an array any NumPy code reads correctly, and the references never look at strides.

This module imports nothing from neurona, so the ops can import it; the kernel modules import the ops
whose references they replace, and register themselves when ``neurona.ops`` loads them.
"""

from __future__ import annotations

import os
from typing import Any

_KERNELS: dict[Any, Any] = {}
_state = {"enabled": os.environ.get("NEURONA_KERNELS", "1").strip().lower() not in ("0", "false", "off", "no")}


def register(reference: Any):
    """Class or function decorator: the decorated kernel replaces ``reference`` while kernels are on."""

    def decorate(kernel: Any) -> Any:
        _KERNELS[reference] = kernel
        kernel.reference = reference
        return kernel

    return decorate


def select(reference: Any) -> Any:
    """The form of an op to run now: its kernel while kernels are on, else the reference itself."""
    return _KERNELS.get(reference, reference) if _state["enabled"] else reference


def kernels_enabled() -> bool:
    """Whether ops run their kernels (True by default; NEURONA_KERNELS=0 starts a process without)."""
    return _state["enabled"]


def registered() -> dict[Any, Any]:
    """Every reference that has a kernel, mapped to that kernel."""
    return dict(_KERNELS)


class use_kernels:
    """Turn the kernels on or off: ``use_kernels(False)`` for the rest of the process, or
    ``with use_kernels(False): ...`` for a block (the previous setting comes back after it)."""

    def __init__(self, enabled: bool = True) -> None:
        self.previous = _state["enabled"]
        _state["enabled"] = bool(enabled)

    def __enter__(self) -> use_kernels:
        return self

    def __exit__(self, *exc: object) -> None:
        _state["enabled"] = self.previous
