"""TensorBoard: every logged quantity as a scalar per epoch (and, optionally, the loss per batch) in
TensorBoard event files, written with the ``tensorboard`` package's own event-file writer.

View them with ``tensorboard --logdir runs/`` (``pip install 'neurona[tensorboard]'``).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from neurona.train.callbacks.base import Callback


def _writer_parts() -> tuple[Any, Any, Any]:
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the TensorBoard callback needs the tensorboard package: "
                          "pip install 'neurona[tensorboard]'") from exc
    return EventFileWriter, Event, Summary


class TensorBoard(Callback):
    """Write TensorBoard event files to ``log_dir``.

    Parameters
    ----------
    log_dir : str or Path
        Folder for the event files (created if missing); point ``tensorboard --logdir`` at it or a parent.
    batch_loss : bool, default False
        Also write the training loss of every batch, under the tag ``batch/loss`` (step = global batch).

    Every key of the epoch logs (``loss``, ``val_loss``, metrics, ``lr``...) becomes a scalar tag of the
    same name with step = epoch number (1-based, as in ``history.csv``). Non-numeric and non-finite values
    are skipped (TensorBoard cannot draw them).
    """

    def __init__(self, log_dir: str | Path, batch_loss: bool = False) -> None:
        self.log_dir, self.batch_loss = Path(log_dir), bool(batch_loss)
        self._writer: Any = None
        self._batch_step = 0
        _writer_parts()  # fail now, before training starts, if tensorboard is missing

    def _scalars(self, step: int, values: dict[str, Any]) -> None:
        writer_cls, event_cls, summary_cls = _writer_parts()
        if self._writer is None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._writer = writer_cls(str(self.log_dir))
        tags = []
        for key, value in values.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if math.isfinite(number):
                tags.append(summary_cls.Value(tag=str(key), simple_value=number))
        if tags:
            self._writer.add_event(event_cls(wall_time=time.time(), step=int(step), summary=summary_cls(value=tags)))

    def on_train_begin(self, logs=None) -> None:
        self._batch_step = 0

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._batch_step += 1
        if self.batch_loss and logs and "loss" in logs:
            self._scalars(self._batch_step, {"batch/loss": logs["loss"]})

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._scalars(epoch + 1, dict(logs or {}))
        if self._writer is not None:
            self._writer.flush()

    def on_train_end(self, logs=None) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close the event file (training's end does this)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
