"""ReduceLROnPlateau: divide the learning rate when a monitored quantity stops improving."""

from __future__ import annotations

from neurona.train.callbacks.base import Callback, monitor_mode, monitored_value


class ReduceLROnPlateau(Callback):
    """lr <- max(lr * factor, min_lr) after ``patience`` epochs without an improvement larger than
    ``min_delta`` (absolute, as in Keras). Built on ``optim.lr_scheduler.ReduceLROnPlateau``."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, mode: str = "auto",
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0, verbose: int = 0) -> None:
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        self.monitor, self.mode = monitor, monitor_mode(monitor, mode)
        # Keras reduces once `patience` epochs in a row fail to improve; torch's scheduler waits for more
        # than `patience`, so it gets patience - 1
        self.options = dict(factor=factor, patience=max(patience - 1, 0), threshold=min_delta, threshold_mode="abs",
                            cooldown=cooldown, min_lr=min_lr)
        self.verbose = verbose
        self.scheduler = None

    def on_train_begin(self, logs=None) -> None:
        from neurona.optim.lr_scheduler import ReduceLROnPlateau as Scheduler

        if self.scheduler is None:
            self.scheduler = Scheduler(self.trainer.optimizer, mode=self.mode, **self.options)
        if getattr(self, "_pending", None):  # resuming a run
            self.scheduler.load_state_dict(self._pending)
            self._pending = None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        before = [g["lr"] for g in self.trainer.optimizer.param_groups]
        self.scheduler.step(monitored_value(logs, self.monitor, "ReduceLROnPlateau"))
        after = [g["lr"] for g in self.trainer.optimizer.param_groups]
        if after != before and self.verbose:
            self.trainer.log(f"ReduceLROnPlateau: {self.monitor} stalled; learning rate {before[0]:.3g} -> {after[0]:.3g}")

    def state_dict(self) -> dict:
        return {} if self.scheduler is None else self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self._pending = state
