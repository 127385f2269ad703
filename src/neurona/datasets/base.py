"""What every dataset loader returns: a :class:`DatasetBundle`, and the :class:`Split` it makes.

A bundle is the data as arrays plus what a person needs to use it responsibly: feature and class
names, the task, a description, and where the data came from under which licence. ``bundle.split()``
gives shuffled (and, for classification, stratified) train/validation/test parts, optionally scaled
with a scaler fitted on the training part only; ``split.train`` is a
:class:`~neurona.data.TensorDataset` ready for a :class:`~neurona.data.DataLoader` or a Trainer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurona.data import DataLoader, TensorDataset, fit_scaler, train_val_test_split
from neurona.data.validation import TASKS
from neurona.errors import ConfigError, fmt_shape


def _scale(scaler: Any, X: np.ndarray) -> np.ndarray:
    """Apply a fitted scaler to features of any shape (flattened to 2-D and back), keeping float32."""
    if scaler is None or len(X) == 0:
        return X
    return scaler.transform(X.reshape(len(X), -1)).reshape(X.shape).astype(np.float32, copy=False)


@dataclass(repr=False)
class Split:
    """Train, validation and test arrays of one dataset, and the scaler fitted on the training part.

    Arrays keep scikit-learn's conventions (``y`` is 1-D). The :attr:`train`, :attr:`val` and
    :attr:`test` properties wrap them as :class:`~neurona.data.TensorDataset` s for training; there,
    regression targets are a column ``(n, 1)`` so they match a model's ``(n, 1)`` output (neurona's
    losses refuse ``(n, 1)`` against ``(n,)``, which would broadcast to ``(n, n)``).

    Examples
    --------
    >>> from neurona import datasets
    >>> split = datasets.iris().split(val=0.2, test=0.2, scale="standard")
    >>> len(split.train), len(split.val), len(split.test)
    (90, 30, 30)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    scaler: Any = None
    task: str = "classification"

    def _dataset(self, X: np.ndarray, y: np.ndarray) -> TensorDataset | None:
        if len(X) == 0:
            return None
        if self.task == "regression" and y.ndim == 1:
            y = y.reshape(-1, 1)
        return TensorDataset(X, y)

    @property
    def train(self) -> TensorDataset:
        """The training part as a TensorDataset ``(X, y)``."""
        return self._dataset(self.X_train, self.y_train)

    @property
    def val(self) -> TensorDataset | None:
        """The validation part as a TensorDataset, or None when it is empty (``val=0``)."""
        return self._dataset(self.X_val, self.y_val)

    @property
    def test(self) -> TensorDataset | None:
        """The test part as a TensorDataset, or None when it is empty (``test=0``)."""
        return self._dataset(self.X_test, self.y_test)

    def loaders(self, batch_size: int = 32, shuffle: bool = True, seed: int | None = None) -> tuple:
        """``(train_loader, val_loader, test_loader)``; only the training loader shuffles, and a loader
        for an empty part is None."""
        parts = (self.train, self.val, self.test)
        return tuple(
            None
            if ds is None
            else DataLoader(ds, batch_size=batch_size, shuffle=shuffle and i == 0, seed=seed)
            for i, ds in enumerate(parts)
        )

    def __repr__(self) -> str:
        scaler = type(self.scaler).__name__ if self.scaler is not None else None
        return (
            f"Split(train={len(self.X_train)}, val={len(self.X_val)}, test={len(self.X_test)}, "
            f"features={fmt_shape(self.X_train.shape[1:])}, task={self.task!r}, scaler={scaler})"
        )


@dataclass(repr=False)
class DatasetBundle:
    """A dataset as arrays, with its names, task, description and provenance.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``'iris'``.
    task : {'classification', 'regression'}
    X : numpy.ndarray
        Features, float32, shape ``(n_samples, ...)``.
    y : numpy.ndarray
        Targets: int64 class labels ``0..k-1``, or float32 values for regression.
    feature_names : list of str or None
    target_names : list of str or None
        Class names in label order; None for regression.
    description : str
        What the data is, how it was made, and what to watch out for.
    licence : str
        Source, citation and licence.
    """

    name: str
    task: str
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str] | None = None
    target_names: list[str] | None = None
    description: str = ""
    licence: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"DatasetBundle: task must be one of {TASKS}, got {self.task!r}")

    @property
    def n_samples(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        """Number of input values per sample (the product of the sample shape)."""
        return int(np.prod(self.X.shape[1:]))

    @property
    def n_classes(self) -> int | None:
        """Number of classes (from ``target_names``), or None for regression."""
        if self.task != "classification":
            return None
        return len(self.target_names) if self.target_names is not None else int(self.y.max()) + 1

    def split(
        self,
        val: float = 0.15,
        test: float = 0.15,
        stratify: bool = True,
        seed: int = 0,
        scale: str | None = None,
    ) -> Split:
        """Shuffled train/validation/test split, stratified for classification, optionally scaled.

        Parameters
        ----------
        val, test : float
            Fractions of the rows for validation and test (either may be 0).
        stratify : bool
            Keep class proportions in each part (classification only).
        seed : int
            Seed of the shuffle.
        scale : {'standard', 'minmax', 'robust'} or None
            Scale the features with a scaler fitted on the training part only (images are flattened
            for the scaler and reshaped back). The fitted scaler is ``split.scaler``.

        Returns
        -------
        Split

        Examples
        --------
        >>> from neurona import datasets
        >>> split = datasets.wine().split(scale="standard", seed=1)
        >>> split.scaler
        StandardScaler()
        """
        X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
            self.X, self.y, val=val, test=test, stratify=stratify and self.task == "classification", seed=seed
        )
        scaler = fit_scaler(X_train.reshape(len(X_train), -1), scale) if scale is not None else None
        return Split(
            _scale(scaler, X_train),
            y_train,
            _scale(scaler, X_val),
            y_val,
            _scale(scaler, X_test),
            y_test,
            scaler=scaler,
            task=self.task,
        )

    def dataset(self) -> TensorDataset:
        """All rows as a TensorDataset (regression targets as a column, as in :class:`Split`)."""
        y = self.y.reshape(-1, 1) if self.task == "regression" and self.y.ndim == 1 else self.y
        return TensorDataset(self.X, y)

    def summary(self) -> dict:
        """Name, task, shape, classes and licence, as plain values (for listings and reports)."""
        return {
            "name": self.name,
            "task": self.task,
            "n_samples": self.n_samples,
            "shape": tuple(int(s) for s in self.X.shape),
            "n_classes": self.n_classes,
            "classes": list(self.target_names) if self.target_names is not None else None,
            "licence": self.licence,
        }

    def __repr__(self) -> str:
        extra = f", classes={self.n_classes}" if self.task == "classification" else ""
        return (
            f"DatasetBundle(name={self.name!r}, task={self.task!r}, "
            f"X={fmt_shape(self.X.shape)} {self.X.dtype}, y={fmt_shape(self.y.shape)} {self.y.dtype}{extra})"
        )
