"""LearningRateScheduler: step any ``optim.lr_scheduler`` once per epoch, or set the rate from a function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neurona.train.callbacks.base import Callback


class LearningRateScheduler(Callback):
    """``LearningRateScheduler(StepLR(opt, 10, 0.5))`` steps the scheduler after every epoch;
    ``LearningRateScheduler(lambda epoch, lr: lr * 0.95)`` sets the rate at the start of every epoch (Keras style).
    Use ``per_batch=True`` for schedules counted in steps (OneCycleLR)."""

    def __init__(self, schedule: Any, per_batch: bool = False, verbose: int = 0) -> None:
        self.schedule, self.per_batch, self.verbose = schedule, per_batch, verbose
        self.is_function = callable(schedule) and not hasattr(schedule, "step")
        if not self.is_function and not hasattr(schedule, "step"):
            raise TypeError("LearningRateScheduler needs an lr_scheduler (with .step()) or a function (epoch, lr) -> lr")

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if self.is_function:
            fn: Callable = self.schedule
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = float(fn(epoch, group["lr"]))

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self.per_batch and not self.is_function:
            self.schedule.step()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if not self.per_batch and not self.is_function:
            self.schedule.step()

    def state_dict(self) -> dict:
        return {} if self.is_function else self.schedule.state_dict()

    def load_state_dict(self, state: dict) -> None:
        if state and not self.is_function:
            self.schedule.load_state_dict(state)
