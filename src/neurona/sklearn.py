"""neurona models as scikit-learn estimators: ``NeuronaClassifier`` and ``NeuronaRegressor``.

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from neurona.sklearn import NeuronaClassifier

    clf = make_pipeline(StandardScaler(), NeuronaClassifier("mlp", module__hidden=(64,), lr=3e-3, max_epochs=40))
    clf.fit(X_train, y_train).score(X_test, y_test)

The network is a reference model by name (``"mlp"`` or any name of :mod:`neurona.models`), a neurona
``Module`` (used as the starting point: every ``fit`` trains a fresh copy of it), or a callable
``(n_features, n_outputs, **module__params) -> Module``. Arguments of the module are constructor parameters
with the ``module__`` prefix (``module__hidden``, ``module__dropout``), so ``get_params``/``set_params``,
``clone``, ``GridSearchCV`` and Optuna's ``OptunaSearchCV`` can tune them like any other parameter.
Training is :class:`neurona.train.Trainer`; the estimator keeps only the trained module and optimiser.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

import neurona as nr
from neurona import nn, optim

OPTIMIZERS = {"sgd": optim.SGD, "adagrad": optim.Adagrad, "rmsprop": optim.RMSprop, "adadelta": optim.Adadelta,
              "adam": optim.Adam, "adamw": optim.AdamW, "nadam": optim.NAdam}
PREFIX = "module__"


class _NeuronaEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters, module building, the training loop."""

    _task = "classification"

    def __init__(self, module: Any = "mlp", *, optimizer: str = "adam", lr: float = 1e-3, weight_decay: float = 0.0,
                 max_epochs: int = 50, batch_size: int = 32, early_stopping: bool = False,
                 validation_fraction: float = 0.1, n_iter_no_change: int = 10, random_state: int | None = None,
                 verbose: int = 0, **module_params: Any) -> None:
        self.module, self.optimizer, self.lr, self.weight_decay = module, optimizer, lr, weight_decay
        self.max_epochs, self.batch_size = max_epochs, batch_size
        self.early_stopping, self.validation_fraction, self.n_iter_no_change = (early_stopping, validation_fraction,
                                                                                n_iter_no_change)
        self.random_state, self.verbose = random_state, verbose
        for key, value in module_params.items():  # checked in fit: scikit-learn's rule is no errors in __init__
            setattr(self, key, value)

    # ---- parameters: the signature's, plus every module__* argument ---------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=False)
        params.update({k: v for k, v in vars(self).items() if k.startswith(PREFIX)})
        return params

    def set_params(self, **params: Any) -> _NeuronaEstimator:
        """Set parameters, ``module__*`` ones included; a misspelt name is reported by ``fit``, which checks
        every parameter (scikit-learn's rule: no errors in ``__init__`` or ``set_params``)."""
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def _module_params(self) -> dict[str, Any]:
        return {k[len(PREFIX):]: v for k, v in vars(self).items() if k.startswith(PREFIX)}

    # ---- building ------------------------------------------------------------------------------------------
    def _check_options(self) -> None:
        known = set(super().get_params(deep=False))
        unknown = [k for k in vars(self) if k not in known and not k.startswith((PREFIX, "_")) and not k.endswith("_")]
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(unknown)}; arguments of the module "
                            f"take the prefix {PREFIX!r} (e.g. module__hidden=(64,))")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, int | float | np.number) or not self.lr > 0:
            raise ValueError(f"lr must be a number > 0, got {self.lr!r}")
        wd = self.weight_decay
        if isinstance(wd, bool) or not isinstance(wd, int | float | np.number) or not wd >= 0:
            raise ValueError(f"weight_decay must be a number >= 0, got {wd!r}")
        for name in ("max_epochs", "batch_size", "n_iter_no_change"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.early_stopping and not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}")

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        spec, params = self.module, self._module_params()
        if isinstance(spec, nn.Module):
            if params:
                raise ValueError(f"module__ arguments {sorted(params)} need a module name or a callable, not a built "
                                 "module")
            return copy.deepcopy(spec)
        if isinstance(spec, str):
            from neurona.models import MLP, MODELS

            if spec == "mlp":
                hidden = params.pop("hidden", (32,))
                hidden = [int(hidden)] if isinstance(hidden, int | np.integer) else [int(h) for h in hidden]
                return MLP([n_features, *hidden, n_outputs], **params)
            if spec not in MODELS:
                raise ValueError(f"module: {spec!r} is not one of {', '.join(sorted(MODELS))}")
            cls = MODELS[spec]
            accepted = inspect.signature(cls.__init__).parameters
            guesses = {"num_classes": n_outputs, "input_dim": n_features, "input_size": n_features,
                       "input_features": n_features}
            return cls(**{**{k: v for k, v in guesses.items() if k in accepted}, **params})
        if callable(spec):
            module = spec(n_features, n_outputs, **params)
            if not isinstance(module, nn.Module):
                raise TypeError(f"module: the callable returned {type(module).__name__}, expected a neurona Module")
            return module
        raise TypeError(f"module must be a model name, a neurona Module or a callable, got {type(spec).__name__}")

    def _seed(self) -> int:
        return int(self.random_state) if self.random_state is not None else 0

    def _loss(self) -> nn.Module:
        return nn.CrossEntropyLoss() if self._task == "classification" else nn.MSELoss()

    def _trainer(self) -> Any:
        from neurona.train import Trainer

        metrics = ("accuracy",) if self._task == "classification" else ("r2",)
        return Trainer(self.module_, self._loss(), self.optimizer_, metrics=metrics, task=self._task)

    def _initialize(self, n_features: int, n_outputs: int) -> None:
        self._check_options()
        nr.manual_seed(self._seed())
        self.module_ = self._build_module(n_features, n_outputs)
        self.optimizer_ = OPTIMIZERS[self.optimizer](self.module_.parameters(), lr=self.lr,
                                                     weight_decay=self.weight_decay)
        self.n_epochs_, self.loss_curve_ = 0, []

    def _train(self, X: np.ndarray, y: np.ndarray, epochs: int, early_stopping: bool) -> None:
        from neurona.train import EarlyStopping

        trainer = self._trainer()
        callbacks, val_split = [], None
        if early_stopping:
            val_split = self.validation_fraction
            callbacks.append(EarlyStopping("val_loss", patience=self.n_iter_no_change))
        history = trainer.fit((X, y), epochs=epochs, batch_size=min(self.batch_size, len(X)), verbose=self.verbose,
                              seed=self._seed() + self.n_epochs_, callbacks=callbacks, val_split=val_split)
        self.n_epochs_ += len(history)
        self.loss_curve_ = [*self.loss_curve_, *history["loss"]]

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return self._trainer().predict(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class NeuronaClassifier(ClassifierMixin, _NeuronaEstimator):
    """A neurona network trained with cross-entropy, as a scikit-learn classifier.

    Parameters
    ----------
    module : str, Module or callable, default "mlp"
        The network: a name from :mod:`neurona.models` (``"mlp"`` takes ``module__hidden``, ``module__activation``,
        ``module__dropout``, ``module__batchnorm``), a Module whose copy is trained, or a callable
        ``(n_features, n_classes, **module__params) -> Module``.
    optimizer : {'sgd', 'adagrad', 'rmsprop', 'adadelta', 'adam', 'adamw', 'nadam'}
    lr, weight_decay : float
        The optimiser's learning rate and weight decay.
    max_epochs, batch_size : int
        Epochs of ``fit`` (``partial_fit`` runs one) and the mini-batch size.
    early_stopping : bool
        Hold out ``validation_fraction`` of the training rows (stratified) and stop after ``n_iter_no_change``
        epochs without a lower validation loss, keeping the best weights.
    random_state : int or None
        Seed of the initial weights, the data order and dropout (None means 0: fits are reproducible).
    **module_params
        ``module__<name>`` arguments of the module.

    Attributes
    ----------
    classes_, n_features_in_, module_ (the trained Module), optimizer_, n_epochs_, loss_curve_

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> NeuronaClassifier(module__hidden=(16,), lr=0.01, max_epochs=60).fit(X, y).score(X, y) > 0.9
    True
    """

    _task = "classification"

    def fit(self, X: Any, y: Any) -> NeuronaClassifier:
        """Train a fresh network for ``max_epochs`` epochs."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_ = unique_labels(y)
        self._initialize(X.shape[1], max(len(self.classes_), 2))
        self._train(X, np.searchsorted(self.classes_, y).astype(np.int64), self.max_epochs, self.early_stopping)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> NeuronaClassifier:
        """One more epoch on ``(X, y)``; the first call needs ``classes`` (all labels that will ever appear)."""
        first = not hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=np.float32, reset=first)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit (every label that the "
                                 "data may contain)")
            self.classes_ = unique_labels(np.asarray(classes))
            self._initialize(X.shape[1], max(len(self.classes_), 2))
        elif classes is not None and not np.array_equal(unique_labels(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes {list(classes)} differ from those of the first call {list(self.classes_)}")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"labels {unknown.tolist()} are not in classes {self.classes_.tolist()}")
        self._train(X, np.searchsorted(self.classes_, y).astype(np.int64), 1, False)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        from neurona.train.metrics import probabilities

        proba = probabilities(self._outputs(X))
        return proba[:, : len(self.classes_)] if len(self.classes_) > 1 else proba[:, :1] / proba[:, :1]

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class NeuronaRegressor(RegressorMixin, _NeuronaEstimator):
    """A neurona network trained with mean squared error, as a scikit-learn regressor (one or several targets).

    Takes the same parameters as :class:`NeuronaClassifier`; ``predict`` returns the targets' shape (1-D for a
    1-D ``y``) and ``score`` is R².

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), NeuronaRegressor(module__hidden=(32,), lr=0.01, max_epochs=100))
    """

    _task = "regression"

    def fit(self, X: Any, y: Any) -> NeuronaRegressor:
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=True, y_numeric=True)
        self._initialize(X.shape[1], 1 if y.ndim == 1 else y.shape[1])
        self._y_ndim = y.ndim
        self._train(X, y.astype(np.float32), self.max_epochs, self.early_stopping)
        return self

    def partial_fit(self, X: Any, y: Any) -> NeuronaRegressor:
        """One more epoch on ``(X, y)`` (the first call builds the network)."""
        first = not hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=True, y_numeric=True, reset=first)
        if first:
            self._initialize(X.shape[1], 1 if y.ndim == 1 else y.shape[1])
            self._y_ndim = y.ndim
        self._train(X, y.astype(np.float32), 1, False)
        return self

    def predict(self, X: Any) -> np.ndarray:
        out = self._outputs(X).astype(np.float64)
        return out.reshape(-1) if self._y_ndim == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


__all__ = ["NeuronaClassifier", "NeuronaRegressor"]
