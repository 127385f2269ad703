"""Error types of neurona.

Each error says what was wrong, what was expected and where. They subclass the matching built-in
exception, so ``except ValueError`` still catches a ``ShapeError``.
"""


class ShapeError(ValueError):
    """A tensor had the wrong shape for an op or layer."""


class DTypeError(TypeError):
    """A tensor had the wrong dtype for an op or layer."""


class ConfigError(ValueError):
    """A configuration value was missing, of the wrong type or out of range."""


class DatasetError(ValueError):
    """A dataset could not be found, read or validated."""


class CheckpointError(ValueError):
    """A checkpoint file was truncated, corrupted, not a neurona checkpoint, or did not fit the model."""


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss (the message names the epoch, the batch and the op)."""


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree (raised by :func:`neurona.autograd.gradcheck`)."""


def fmt_shape(shape: tuple) -> str:
    """``(32, 5)`` for a shape, ``()`` for a scalar — the way errors print shapes."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"
