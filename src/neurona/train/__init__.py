"""Training and evaluation: ``Trainer`` (fit / evaluate / predict), ``History``, callbacks and metrics."""

from neurona.train import metrics
from neurona.train.callbacks import (
    Callback,
    CSVLogger,
    Diagnostics,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    OptunaPruning,
    ProgressBar,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
)
from neurona.train.history import History
from neurona.train.trainer import Trainer

__all__ = ["CSVLogger", "Callback", "Diagnostics", "EarlyStopping", "History", "LambdaCallback", "LearningRateScheduler",
           "ModelCheckpoint", "OptunaPruning", "ProgressBar", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN", "Trainer",
           "metrics"]
