"""``History``: what ``Trainer.fit`` returns — per-epoch lists of the loss, metrics and learning rate."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from neurona.io.atomic import atomic_write_bytes


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) through a temporary file and a rename, so readers never see half a file."""
    atomic_write_bytes(path, text.encode("utf-8"))


class History:
    """Keras-style record of a run: ``history.history['val_loss'][e]`` is the validation loss after epoch e+1."""

    def __init__(self, history: dict[str, list[float]] | None = None, epoch: list[int] | None = None) -> None:
        self.history: dict[str, list[float]] = {k: list(v) for k, v in (history or {}).items()}
        self.epoch: list[int] = list(epoch or [])

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key in set(self.history) | set(logs):
            self.history.setdefault(key, [math.nan] * (len(self.epoch) - 1)).append(float(logs.get(key, math.nan)))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict[str, Any]:
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in self.history.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(data.get("history", {}), data.get("epoch", []))

    def to_csv(self, path: str | Path | None = None) -> str:
        """The history as CSV (one row per epoch); written atomically to ``path`` when given."""
        keys = sorted(self.history)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["epoch", *keys])
        for i, e in enumerate(self.epoch):
            writer.writerow([e, *(repr(self.history[k][i]) for k in keys)])
        text = buffer.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text

    def plot(self, path: str | Path | None = None):
        """Learning curves (loss and each metric, train vs validation) as a matplotlib Figure."""
        from neurona.report import learning_curves

        return learning_curves(self.history, path=path)

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"
