"""EarlyStopping: stop when a monitored quantity stops improving, and restore the best weights."""

from __future__ import annotations

import math

from neurona.train.callbacks.base import Callback, monitor_mode, monitored_value


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs without an improvement of more than ``min_delta``.

    With ``restore_best_weights=True`` (the default here) the model ends with the weights of its best
    epoch — whether training stopped early or ran out of epochs.

    Example
    -------
    >>> trainer.fit(train, val=val, epochs=200, callbacks=[EarlyStopping("val_loss", patience=10)])
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 restore_best_weights: bool = True, start_from_epoch: int = 0, baseline: float | None = None,
                 verbose: int = 0) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.mode = monitor_mode(monitor, mode)
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.baseline, self.verbose = baseline, verbose
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch, self.wait, self.stopped_epoch = -1, 0, -1
        self.best_weights: dict | None = None
        self.restored_epoch: int | None = None  # 1-based epoch whose weights the model holds after training
        self.epochs_run: int | None = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, logs=None) -> None:
        if self.baseline is not None and self.best_epoch < 0:
            self.best = self.baseline

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if epoch < self.start_from_epoch:
            return
        value = monitored_value(logs, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.numpy().copy() for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            if self.verbose:
                self.trainer.log(f"EarlyStopping: no improvement of {self.monitor} for {self.wait} epochs; "
                                 f"best was {self.best:.5g} at epoch {self.best_epoch + 1}")

    def on_train_end(self, logs=None) -> None:
        self.epochs_run = int((logs or {}).get("epochs_run", 0)) or None
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)
            self.restored_epoch = self.best_epoch + 1
        callbacks = getattr(getattr(self.trainer, "_callbacks", None), "callbacks", [])
        if self.verbose or any(type(cb).__name__ == "ProgressBar" for cb in callbacks):
            self.trainer.log(self.summary())

    def summary(self) -> str:
        """One sentence for the terminal and reports: why training ended and which epoch's weights the model holds."""
        best = self.best_epoch + 1
        if self.best_epoch < 0:
            return f"EarlyStopping: {self.monitor} never improved on its baseline; the weights are the last epoch's."
        if self.stopped_epoch >= 0:
            why = (f"stopped after epoch {self.stopped_epoch + 1}: {self.monitor} had not improved for "
                   f"{self.wait} epochs (patience {self.patience})")
        else:
            why = f"ran all {self.epochs_run or 'its'} epochs"
        if self.restore_best_weights and self.best_weights is not None:
            return (f"EarlyStopping: {why}; restored the weights of epoch {best}, the best {self.monitor} "
                    f"({self.best:.4g}).")
        return f"EarlyStopping: {why}; the best {self.monitor} ({self.best:.4g}) was at epoch {best}; the weights are the last epoch's."

    def state_dict(self) -> dict:
        """Counters, best value and (as arrays) the best weights, so a resumed run restores the same ones."""
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.stopped_epoch = state.get("stopped_epoch", -1)
        if state.get("best_weights") is not None:
            self.best_weights = dict(state["best_weights"])
