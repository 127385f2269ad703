"""The ``Callback`` base class: hooks named for the moment they run, as in Keras."""

from __future__ import annotations

from typing import Any


class Callback:
    """Override the hooks you need. ``self.trainer`` is set before training starts; set
    ``self.trainer.stop_training = True`` to stop after the current epoch."""

    trainer: Any = None

    def set_trainer(self, trainer: Any) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state to resume a run (EarlyStopping's best value, ...)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class CallbackList(Callback):
    """Calls every hook on each callback in order."""

    def __init__(self, callbacks: list[Callback], trainer: Any) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}")
            cb.set_trainer(trainer)

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)


def monitor_mode(monitor: str, mode: str) -> str:
    """'min' or 'max' for a monitored quantity; 'auto' guesses from its name like Keras."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    higher_is_better = ("acc", "auc", "f1", "precision", "recall", "r2")
    return "max" if any(k in monitor for k in higher_is_better) else "min"


def monitored_value(logs: dict | None, monitor: str, who: str) -> float:
    if not logs or monitor not in logs:
        available = ", ".join(sorted(logs or {})) or "none"
        raise KeyError(f"{who}: monitored quantity {monitor!r} is not in the logs (available: {available}); "
                       "pass validation data to fit() to monitor 'val_*' quantities")
    return float(logs[monitor])
