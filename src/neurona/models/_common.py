"""Argument and input checks shared by the reference models."""

from __future__ import annotations

from neurona.errors import ConfigError, ShapeError, fmt_shape
from neurona.tensor import Tensor


def check_int(model: str, name: str, value, minimum: int = 1) -> int:
    """``value`` as an int, or a ConfigError naming the model and the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{model}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_sizes(model: str, name: str, values, allow_empty: bool = False) -> tuple[int, ...]:
    """A sequence of layer sizes (each >= 1) as a tuple of ints."""
    try:
        sizes = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise ConfigError(f"{model}: {name} must be a list of integers, got {values!r}") from None
    if (not sizes and not allow_empty) or any(s < 1 for s in sizes):
        raise ConfigError(f"{model}: {name} must list {'' if allow_empty else 'at least one '}size(s), "
                          f"all >= 1, got {list(sizes)}")
    return sizes


def check_fraction(model: str, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ConfigError(f"{model}: {name} must be a number in [0, 1), got {value!r}")
    return float(value)


def as_images(module, x: Tensor, channels: int, size: int) -> Tensor:
    """``x`` as (N, channels, size, size): flat rows (N, channels*size*size) are reshaped, anything
    else that does not fit raises a ShapeError naming the module."""
    expected = (channels, size, size)
    if x.ndim == 2 and x.shape[1] == channels * size * size:
        return x.reshape(-1, *expected)
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        raise ShapeError(
            f"{module!r} got input of shape {fmt_shape(x.shape)}; it expects images (N, {channels}, {size}, "
            f"{size}) or flat rows (N, {channels * size * size}). Build it with the in_channels and "
            "input_size of your data."
        )
    return x
