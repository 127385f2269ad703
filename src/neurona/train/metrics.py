"""Metrics of the course, computed with scikit-learn on collected predictions.

``compute_metrics(names, y_true, outputs, task)`` turns raw model outputs (logits or values) into
predictions and scores. The scikit-learn functions are re-exported under their own names.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from neurona.errors import ConfigError

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
REGRESSION_METRICS = ("mse", "rmse", "mae", "r2")

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "accuracy_score",
    "classification_report",
    "compute_metrics",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "mean_absolute_error",
    "mean_squared_error",
    "precision_score",
    "probabilities",
    "r2_score",
    "recall_score",
    "roc_auc_score",
]


def probabilities(outputs: np.ndarray) -> np.ndarray:
    """Class probabilities from logits: softmax over the last axis, or sigmoid for one output column."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-outputs.reshape(-1)))
        return np.stack([1 - p1, p1], axis=1)
    shifted = outputs - outputs.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def check_metric_names(names: tuple[str, ...] | list[str], task: str) -> None:
    allowed = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    for name in names:
        if name not in allowed:
            raise ConfigError(
                f"metric {name!r} does not apply to a {task} task; choose from {', '.join(allowed)}"
            )


def compute_metrics(names, y_true: np.ndarray, outputs: np.ndarray, task: str) -> dict[str, float]:
    """Each named metric of ``outputs`` against ``y_true`` (scikit-learn's definitions; macro averages)."""
    check_metric_names(names, task)
    result: dict[str, float] = {}
    if task == "classification":
        y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
        probs = probabilities(outputs)
        y_pred = probs.argmax(axis=1)
        labels = np.arange(probs.shape[1])
        binary = probs.shape[1] == 2
        for name in names:
            if name == "accuracy":
                result[name] = accuracy_score(y_true, y_pred)
            elif name in ("precision", "recall", "f1"):
                fn = {"precision": precision_score, "recall": recall_score, "f1": f1_score}[name]
                result[name] = fn(y_true, y_pred, labels=labels, average="binary" if binary else "macro",
                                  zero_division=0)
            elif name == "roc_auc":
                present = np.unique(y_true)
                if len(present) < 2:
                    result[name] = float("nan")
                elif binary:
                    result[name] = roc_auc_score(y_true, probs[:, 1])
                elif len(present) == probs.shape[1]:
                    result[name] = roc_auc_score(y_true, probs, multi_class="ovr", labels=labels)
                else:
                    result[name] = float("nan")
            elif name == "log_loss":
                result[name] = log_loss(y_true, np.clip(probs, 1e-15, 1), labels=labels)
    else:
        y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
        y_pred = np.asarray(outputs, dtype=np.float64).reshape(len(y_true), -1)
        for name in names:
            if name == "mse":
                result[name] = mean_squared_error(y_true, y_pred)
            elif name == "rmse":
                result[name] = float(np.sqrt(mean_squared_error(y_true, y_pred)))
            elif name == "mae":
                result[name] = mean_absolute_error(y_true, y_pred)
            elif name == "r2":
                result[name] = r2_score(y_true, y_pred)
    return {k: float(v) for k, v in result.items()}
