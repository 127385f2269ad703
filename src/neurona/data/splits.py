"""Train/validation/test splits, k-fold indices and feature scaling, done by scikit-learn.

Splits are shuffled, and stratified when the targets are integer class labels, so that every split
keeps the class proportions (never "the last 15 % of rows"). Scalers are fitted on the training split
only: fitting on all the data would leak the validation and test statistics into training.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from neurona.errors import ConfigError, DatasetError, ShapeError, fmt_shape
from neurona.tensor import to_numpy

if TYPE_CHECKING:
    from sklearn.base import TransformerMixin

# scikit-learn is imported inside the functions: it takes ~0.5 s, which `import neurona.data` should not pay.
SCALERS = {"standard": "StandardScaler", "minmax": "MinMaxScaler", "robust": "RobustScaler"}


def is_class_labels(y: Any) -> bool:
    """True when ``y`` is a 1-D array of integer (or bool) labels, i.e. stratifying on it makes sense."""
    if y is None:
        return False
    y = to_numpy(y)
    return y.ndim == 1 and y.dtype.kind in "biu"


def _check_fraction(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or not 0 <= value < 1:
        raise ConfigError(f"{name} must be a fraction in [0, 1), got {value!r}")
    return float(value)


def _split_off(X, y, fraction: float, stratify: bool, seed: int):
    """(X_keep, X_out, y_keep, y_out) with ``fraction`` of the rows in the second part."""
    from sklearn.model_selection import train_test_split

    if fraction == 0:
        return X, X[:0], y, y[:0]
    strat = y if stratify else None
    try:
        return train_test_split(X, y, test_size=fraction, shuffle=True, random_state=seed, stratify=strat)
    except ValueError as e:
        if stratify:
            counts = dict(zip(*np.unique(y, return_counts=True)))
            raise DatasetError(
                f"cannot stratify a {fraction:.0%} split of {len(y)} rows with class counts "
                f"{ {int(k): int(v) for k, v in counts.items()} }: {e}. Use larger splits, more data, or "
                "stratify=False."
            ) from e
        raise DatasetError(f"cannot split off {fraction:.0%} of {len(y)} rows: {e}") from e


def train_val_test_split(
    X: Any,
    y: Any,
    val: float = 0.15,
    test: float = 0.15,
    stratify: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, ...]:
    """Shuffle and split ``X, y`` into train, validation and test parts.

    The test part is split off first, then the validation part from the rest, each with
    :func:`sklearn.model_selection.train_test_split`.

    Parameters
    ----------
    X, y : array-like
        Features and targets with the same number of rows.
    val, test : float
        Fractions of all rows in the validation and test parts; either may be 0 (an empty part).
    stratify : bool
        Keep the class proportions in every part. Applies only when ``y`` holds integer class labels;
        ignored for regression targets.
    seed : int
        Seed of the shuffle; the same seed gives the same split.

    Returns
    -------
    X_train, X_val, X_test, y_train, y_val, y_test : numpy.ndarray

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(X, y, val=0.2, test=0.2)
    >>> len(X_tr), len(X_va), len(X_te)
    (90, 30, 30)
    """
    val, test = _check_fraction(val, "val"), _check_fraction(test, "test")
    if val + test >= 1:
        raise ConfigError(f"val + test must be below 1 so that rows remain for training, got {val} + {test}")
    X, y = to_numpy(X), to_numpy(y)
    if len(X) != len(y):
        raise ShapeError(f"train_val_test_split: X has {len(X)} rows but y has {len(y)}")
    stratify = bool(stratify) and is_class_labels(y)
    X_rest, X_test, y_rest, y_test = _split_off(X, y, test, stratify, seed)
    X_train, X_val, y_train, y_val = _split_off(X_rest, y_rest, val / (1 - test), stratify, seed)
    return X_train, X_val, X_test, y_train, y_val, y_test


def kfold(
    n_or_X: Any,
    y: Any = None,
    k: int = 5,
    stratify: bool = True,
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(train_indices, val_indices)`` for each of ``k`` shuffled folds.

    Parameters
    ----------
    n_or_X : int or array-like
        The number of samples, or the features (only their length is used).
    y : array-like, optional
        Targets; with integer class labels and ``stratify``, folds keep the class proportions
        (:class:`~sklearn.model_selection.StratifiedKFold`), otherwise
        :class:`~sklearn.model_selection.KFold`.
    k : int
        Number of folds (at least 2).
    stratify : bool
    seed : int

    Examples
    --------
    >>> [len(val) for train, val in kfold(10, k=5)]
    [2, 2, 2, 2, 2]
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    n = int(n_or_X) if isinstance(n_or_X, int | np.integer) else len(to_numpy(n_or_X))
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 2 <= k <= n:
        raise ConfigError(f"kfold: k must be an integer in [2, {n}] for {n} samples, got {k!r}")
    if y is not None and len(to_numpy(y)) != n:
        raise ShapeError(f"kfold: {n} samples but y has {len(to_numpy(y))} rows")
    placeholder = np.zeros((n, 1))
    if stratify and is_class_labels(y):
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        try:
            yield from splitter.split(placeholder, to_numpy(y))
        except ValueError as e:
            raise DatasetError(
                f"kfold: cannot stratify {k} folds: {e}. Use fewer folds or stratify=False."
            ) from e
    else:
        yield from KFold(n_splits=k, shuffle=True, random_state=seed).split(placeholder)


def fit_scaler(X_train: Any, kind: str | TransformerMixin | None = "standard") -> TransformerMixin | None:
    """A scikit-learn scaler fitted on the training features only.

    Parameters
    ----------
    X_train : array-like, shape (n_samples, n_features)
        The training split (never the whole data set: that leaks test statistics into training).
    kind : {'standard', 'minmax', 'robust'}, scikit-learn transformer, or None
        ``'standard'`` is :class:`~sklearn.preprocessing.StandardScaler` (zero mean, unit variance),
        ``'minmax'`` :class:`~sklearn.preprocessing.MinMaxScaler` (to [0, 1]), ``'robust'``
        :class:`~sklearn.preprocessing.RobustScaler`; an unfitted transformer is cloned and fitted.

    Returns
    -------
    scaler or None
        The fitted scaler (apply it with ``scaler.transform(X)``), or None when ``kind`` is None.

    Examples
    --------
    >>> scaler = fit_scaler(np.array([[0.0], [2.0]]))
    >>> scaler.transform(np.array([[1.0]]))
    array([[0.]])
    """
    from sklearn import preprocessing
    from sklearn.base import clone

    if kind is None:
        return None
    if isinstance(kind, str):
        if kind not in SCALERS:
            raise ConfigError(f"fit_scaler: kind must be one of {sorted(SCALERS)} or None, got {kind!r}")
        scaler = getattr(preprocessing, SCALERS[kind])()
    elif hasattr(kind, "fit") and hasattr(kind, "transform"):
        scaler = clone(kind)
    else:
        raise ConfigError(
            f"fit_scaler: kind must be a name, a scikit-learn transformer or None, got {kind!r}"
        )
    X_train = to_numpy(X_train)
    if X_train.ndim != 2:
        raise ShapeError(
            f"fit_scaler: scalers work on 2-D data (n_samples, n_features), got shape "
            f"{fmt_shape(X_train.shape)}; flatten it first with X.reshape(len(X), -1)"
        )
    if len(X_train) == 0:
        raise DatasetError("fit_scaler: the training split is empty")
    return scaler.fit(X_train)
