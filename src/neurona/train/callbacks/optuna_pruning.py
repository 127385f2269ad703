"""OptunaPruning: report a validation metric to an Optuna trial every epoch, and stop the trial when its
pruner says the run is not worth finishing."""

from __future__ import annotations

from typing import Any

from neurona.train.callbacks.base import Callback, monitored_value


class OptunaPruning(Callback):
    """Report ``monitor`` to ``trial`` after each epoch; raise ``optuna.TrialPruned`` when it should stop.

    The value of epoch ``e`` (0-based) is reported as step ``e``, so Optuna's pruners (median, Hyperband,
    successive halving) compare trials at the same epoch. When the trial is pruned, ``pruned_epoch`` holds
    the last epoch that ran (1-based) and the exception leaves ``Trainer.fit``; Optuna records the trial as
    pruned. Needs the ``tune`` extra (``pip install 'neurona[tune]'``).

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial being evaluated (the argument of the objective function).
    monitor : str
        A quantity in the epoch logs, usually ``'val_loss'`` or ``'val_accuracy'``; the direction of the
        study decides whether higher or lower is better.

    Example
    -------
    >>> def objective(trial):
    ...     model = MLP([64, trial.suggest_int("width", 32, 256), 10])
    ...     trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()))
    ...     history = trainer.fit(train, val=val, epochs=30, callbacks=[OptunaPruning(trial, "val_accuracy")])
    ...     return max(history["val_accuracy"])
    """

    def __init__(self, trial: Any, monitor: str = "val_loss") -> None:
        self.trial, self.monitor = trial, monitor
        self.pruned_epoch: int | None = None
        self.last_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        import optuna

        value = monitored_value(logs, self.monitor, "OptunaPruning")
        self.last_epoch = epoch + 1
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            self.pruned_epoch = epoch + 1
            self.trainer.stop_training = True
            raise optuna.TrialPruned(f"pruned after epoch {epoch + 1}: {self.monitor} = {value:.5g}")
