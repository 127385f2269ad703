"""Input checks shared by layers: they raise ShapeError naming the layer, the expected and the actual shape."""

from __future__ import annotations

from typing import Any

from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.tensor import Tensor


def check_tensor(x: Any, layer: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer!r} expects a neurona Tensor, got {type(x).__name__}; wrap data with nr.tensor(...)")
    return x


def check_floating(x: Tensor, layer: Any) -> None:
    if x.data.dtype.kind != "f":
        raise DTypeError(f"{layer!r} got input of dtype {x.dtype}; it needs floating point (call .float())")


def check_last_dim(x: Tensor, size: int, layer: Any, hint: str = "") -> None:
    check_tensor(x, layer)
    if x.ndim == 0 or x.shape[-1] != size:
        raise ShapeError(
            f"{layer!r} got input of shape {fmt_shape(x.shape)}; its last dimension must be {size}."
            + (f" {hint}" if hint else " Did you forget to flatten, or pick the wrong in_features?")
        )


def check_rank(x: Tensor, ranks: tuple[int, ...], layer: Any, meaning: str) -> None:
    check_tensor(x, layer)
    if x.ndim not in ranks:
        raise ShapeError(
            f"{layer!r} expects a {' or '.join(f'{r}-D' for r in ranks)} input {meaning}, "
            f"got shape {fmt_shape(x.shape)}"
        )


def check_dim(x: Tensor, dim: int, size: int, layer: Any, meaning: str) -> None:
    if x.shape[dim] != size:
        raise ShapeError(
            f"{layer!r} expects {size} {meaning} in dimension {dim % x.ndim} of its input, "
            f"got shape {fmt_shape(x.shape)}"
        )
