"""CSVLogger: one row per epoch with every logged quantity, rewritten atomically after each epoch."""

from __future__ import annotations

from pathlib import Path

from neurona.train.callbacks.base import Callback
from neurona.train.history import History


class CSVLogger(Callback):
    """Write epoch, loss, metrics, validation values and learning rate to ``filename`` as CSV."""

    def __init__(self, filename: str | Path, append: bool = False) -> None:
        self.filename, self.append = Path(filename), append
        self.rows = History()

    def on_train_begin(self, logs=None) -> None:
        if not self.append:
            self.rows = History()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.rows.append(epoch + 1, dict(logs or {}))
        self.rows.to_csv(self.filename)

    def state_dict(self) -> dict:
        return self.rows.to_dict()

    def load_state_dict(self, state: dict) -> None:
        self.rows, self.append = History.from_dict(state), True
