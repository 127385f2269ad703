"""``validate_xy``: the checks every training run makes on its data before the first step.

Bad data fails later with a confusing trace (a NaN loss at epoch 3, a shape error deep in a layer); here
it fails at once, with a message that says what is wrong, where, and what to do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.errors import ConfigError, DatasetError, DTypeError, ShapeError, fmt_shape
from neurona.tensor import to_numpy

TASKS = ("classification", "regression")




def _check_finite(a: np.ndarray, what: str) -> None:
    if a.dtype.kind not in "fc" or a.size == 0:
        return
    bad_rows = ~np.isfinite(a.reshape(len(a), -1)).all(axis=1)
    if bad_rows.any():
        count, first = int(bad_rows.sum()), int(np.argmax(bad_rows))
        raise DatasetError(
            f"{what} has NaN or inf values in {count} of its {len(a)} rows (the first at row {first}). "
            "Drop those rows or impute the missing values (e.g. sklearn.impute.SimpleImputer) "
            "before training."
        )


def validate_xy(X: Any, y: Any = None, task: str | None = None, n_classes: int | None = None) -> tuple:
    """Check features and targets before training; raise a clear error for the first problem found.

    Checks that ``X`` has a sample dimension and at least one row, that ``X`` and ``y`` have the same
    number of rows, that neither holds NaN or inf, and for classification that ``y`` holds integer class
    labels (in ``[0, n_classes)`` when ``n_classes`` is given).

    Parameters
    ----------
    X : array-like or Tensor
        Features, shape ``(n_samples, ...)``.
    y : array-like or Tensor, optional
        Targets, shape ``(n_samples, ...)``; None for unsupervised data (autoencoders).
    task : {'classification', 'regression'}, optional
        Enables the target checks of that task.
    n_classes : int, optional
        Number of classes; labels must lie in ``[0, n_classes)``.

    Returns
    -------
    (X, y) : tuple of numpy.ndarray
        The inputs as arrays (no copy); y is None when it was None.

    Raises
    ------
    ShapeError
        Lengths differ, or X has no sample dimension.
    DatasetError
        Empty data, NaN/inf values (the message gives how many rows and the first one), labels out of range.
    DTypeError
        Non-integer labels for classification, or non-numeric data.

    Examples
    --------
    >>> X, y = validate_xy(np.zeros((4, 2)), np.array([0, 1, 1, 0]), task="classification", n_classes=2)
    >>> validate_xy(np.zeros((4, 2)), np.zeros(3))
    Traceback (most recent call last):
    ...
    neurona.errors.ShapeError: X has 4 rows but y has 3; ...
    """
    if task is not None and task not in TASKS:
        raise ConfigError(f"validate_xy: task must be one of {TASKS} or None, got {task!r}")
    X = to_numpy(X)
    if X.ndim == 0:
        raise ShapeError(
            "X is a scalar; it needs a first dimension of samples, shape (n_samples, n_features)"
        )
    if X.dtype.kind not in "biuf":
        raise DTypeError(f"X must be numeric, got dtype {X.dtype}; convert it, e.g. X.astype('float32')")
    if len(X) == 0:
        raise DatasetError(f"X is empty (shape {fmt_shape(X.shape)}); there is nothing to train on")
    _check_finite(X, "X")
    if y is None:
        if task == "classification" or n_classes is not None:
            raise DatasetError("validate_xy: classification needs targets y, got None")
        return X, None
    y = to_numpy(y)
    if y.ndim == 0:
        raise ShapeError(f"y is a scalar; it needs one target per row of X ({len(X)} rows)")
    if len(y) != len(X):
        raise ShapeError(
            f"X has {len(X)} rows but y has {len(y)}; each sample needs exactly one target. "
            f"(X shape {fmt_shape(X.shape)}, y shape {fmt_shape(y.shape)}.) Check that both come from the "
            "same split and that y was not transposed."
        )
    if y.dtype.kind not in "biuf":
        raise DTypeError(
            f"y must be numeric, got dtype {y.dtype}; encode string labels first, "
            "e.g. with sklearn.preprocessing.LabelEncoder"
        )
    _check_finite(y, "y")
    if task == "classification":
        if y.dtype.kind == "f":
            hint = (
                "they are whole numbers, so y.astype('int64') fixes it"
                if np.all(y == np.round(y))
                else "they are not whole numbers: is this a regression task?"
            )
            raise DTypeError(
                f"classification targets must be integer class labels (int64), got dtype {y.dtype}; {hint}"
            )
        if y.ndim != 1:
            raise ShapeError(
                f"classification targets must be a 1-D array of class labels, got shape "
                f"{fmt_shape(y.shape)}; for one-hot targets use y.argmax(axis=1)"
            )
    if n_classes is not None:
        if y.dtype.kind == "f":
            raise DTypeError(f"labels must be integers when n_classes is given, got dtype {y.dtype}")
        out = (y < 0) | (y >= n_classes)
        if out.any():
            first = int(np.argmax(out.reshape(-1)))
            value, row = int(y.reshape(-1)[first]), first // max(1, y.size // len(y))
            raise DatasetError(
                f"labels must lie in [0, {n_classes}) for {n_classes} classes, but {int(out.sum())} do not "
                f"(the first is {value} at row {row}). Re-encode them as 0..{n_classes - 1} "
                "(sklearn.preprocessing.LabelEncoder) or raise the model's number of outputs."
            )
    return X, y
