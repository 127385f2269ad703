"""ModelCheckpoint: save the model (and everything needed to resume) after epochs, atomically."""

from __future__ import annotations

import math
from pathlib import Path

from neurona.train.callbacks.base import Callback, monitor_mode, monitored_value


class ModelCheckpoint(Callback):
    """Save a safetensors checkpoint to ``path`` after each epoch (``save_best_only``: only when the
    monitored quantity improves). ``path`` may contain ``{epoch}``. The file holds the model, the optimiser
    state, the history and the random-number state, so ``Trainer.fit(resume_from=path)`` continues the run
    bit for bit,
    whichever order the callbacks are listed in."""

    def __init__(self, path: str | Path, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto", verbose: int = 0) -> None:
        self.path, self.monitor, self.save_best_only = str(path), monitor, save_best_only
        self.mode, self.verbose = monitor_mode(monitor, mode), verbose
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.save_best_only:
            value = monitored_value(logs, self.monitor, "ModelCheckpoint")
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        path = self.path.format(epoch=epoch + 1)
        # taken by the trainer once every callback's on_epoch_end has run, whatever their order
        self.trainer.request_checkpoint(path)
        if self.verbose:
            self.trainer.log(f"ModelCheckpoint: saved {path}")

    def state_dict(self) -> dict:
        return {"best": self.best}

    def load_state_dict(self, state: dict) -> None:
        self.best = state["best"]
