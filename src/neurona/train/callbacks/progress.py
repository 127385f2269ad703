"""The progress display of ``fit``: a rich progress bar (verbose=1) or one line per epoch (verbose=2)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from neurona.train.callbacks.base import Callback


def format_logs(logs: dict) -> str:
    keys = [k for k in logs if not k.startswith("val_") and k != "lr"]
    keys += [k for k in logs if k.startswith("val_")] + (["lr"] if "lr" in logs else [])
    return "  ".join(f"{k} {logs[k]:.4g}" for k in keys)


class ProgressBar(Callback):
    """Epoch, batch, running loss and metrics with an ETA; added by ``fit`` according to ``verbose``."""

    def __init__(self, verbose: int = 1, console: Console | None = None) -> None:
        self.verbose = verbose
        self.console = console or Console()
        self.progress: Progress | None = None

    def on_train_begin(self, logs=None) -> None:
        if self.verbose == 1:
            self.progress = Progress(
                TextColumn("[bold]epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=self.console, transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.trainer.steps_per_epoch, epoch="", stats="")

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if self.progress is not None:
            self.progress.reset(self.task, total=self.trainer.steps_per_epoch,
                                epoch=f"{epoch + 1}/{self.trainer.epochs}", stats="")

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self.progress is not None:
            self.progress.update(self.task, advance=1, stats=f"loss {self.trainer.running_loss:.4f}")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.progress is not None:
            self.progress.update(self.task, stats=format_logs(logs or {}))
            self.progress.console.print(f"epoch {epoch + 1}/{self.trainer.epochs}  {format_logs(logs or {})}")
        elif self.verbose == 2:
            self.console.print(f"epoch {epoch + 1}/{self.trainer.epochs}  {format_logs(logs or {})}")

    def on_train_end(self, logs=None) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
