"""One row of the op table: what an op is, how torch spells it, which inputs to try, which checks apply.

A row names a public op once; ``tests/test_ops.py`` turns every row into the checks its flags ask for
(torch parity of values and gradients, float64 finite differences, second order, dtypes). Rows live in
one module per source file of ``src/neurona/ops`` (``op_table/elementwise.py`` covers
``ops/elementwise.py``, and so on); ``op_table/__init__.py`` gathers them into ``OPS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class Case:
    """One call of an op: its inputs (shapes to fill with random numbers, or ready arrays such as
    class labels) and keyword options passed to both libraries' functions."""

    inputs: tuple
    options: dict = field(default_factory=dict)

    def id(self) -> str:
        parts = ["x".join(map(str, s)) or "0d" if isinstance(s, tuple) else _array_id(s) for s in self.inputs]
        parts += [f"{k}={_short(v)}" for k, v in self.options.items()]
        return ",".join(parts)


def _array_id(a: np.ndarray) -> str:
    kind = {"i": "int", "u": "int", "b": "bool", "f": "arr"}.get(a.dtype.kind, a.dtype.kind)
    return f"{kind}{'x'.join(map(str, a.shape)) or '0d'}"


def _short(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return _array_id(v)
    if isinstance(v, tuple) and any(isinstance(i, np.ndarray) for i in v):
        return "(" + ";".join(_short(i) for i in v) + ")"
    text = str(v).replace(" ", "")
    return text if len(text) <= 24 else text[:21] + "..."


def case(*inputs: Any, **options: Any) -> Case:
    """``case((3, 4), (4,), dim=1)``: two random inputs of those shapes, and ``dim=1`` for both libraries."""
    return Case(tuple(inputs), options)


@dataclass(frozen=True)
class Op:
    """A public op and the checks that apply to it.

    name          the op's public name (a suffix tells variants apart: ``"pow scalar"``)
    nr, torch     ``f(*inputs, **options)`` in neurona and in torch
    cases         several calls: broadcasting, 0-d and 1-d where the op allows, and its options; the
                  first case is the small reference case that gradcheck, second order and dtype use
    domain        where inputs are drawn: ``low``/``high``, ``positive`` (in [0.2, high)), ``away_from``
                  (kinks such as 0 for relu and abs, moved off by >= 0.05); see ``parity.make_inputs``
    grad          the op has a gradient (False for comparisons, argmax, sign)
    grad_inputs   only the first n floating inputs are differentiated (targets and weights after them)
    second_order  twice differentiable with a non-zero second derivative: double backward vs torch
    gradcheck     False where finite differences cannot work (random or once-differentiable ops say why)
    integer       int64 inputs are allowed (as in torch): result dtype and values are compared
    tol           per-dtype tolerance overrides, ``{np.float32: dict(rtol=..., atol=...)}``
    aliases       other public spellings of the same op (method, module function): same values, same
                  gradients, bit for bit
    """

    name: str
    nr: Callable
    torch: Callable
    cases: Sequence[Case]
    domain: dict = field(default_factory=dict)
    grad: bool = True
    grad_inputs: int | None = None
    second_order: bool = False
    gradcheck: bool = True
    integer: bool = False
    tol: dict = field(default_factory=dict)
    aliases: tuple[Callable, ...] = ()

    def __post_init__(self) -> None:
        if not self.cases:
            raise ValueError(f"op table row {self.name!r} has no case")


def all_dims(x: torch.Tensor, dim: Any) -> Any:
    """torch's spelling of "every dimension" where neurona takes ``dim=None`` (amax, logsumexp, var)."""
    return tuple(range(x.ndim)) if dim is None else dim


def torch_index(index: Any) -> Any:
    """An index with NumPy arrays in it, as torch wants it (tensors in place of arrays)."""
    items = index if isinstance(index, tuple) else (index,)
    out = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in items)
    return out if isinstance(index, tuple) else out[0]


def same_dtype_nr(array: np.ndarray, like) -> Any:
    """A constant (class weights, running statistics) in neurona, in the dtype of ``like``."""
    import neurona as nr

    return nr.tensor(array, dtype=like.dtype)


def same_dtype_torch(array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """The same constant in torch, in the dtype of ``like``."""
    return torch.tensor(array, dtype=like.dtype)
