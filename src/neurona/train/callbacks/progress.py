"""The progress display of ``fit``: a rich progress bar (verbose=1) or one line per epoch (verbose=2).

Piped or redirected output (not a terminal) gets no bar: one line per epoch, never wrapped, so a log file
or ``grep`` sees every ``name value`` pair whole. In a terminal the epoch lines wrap between pairs, never
inside one, and the bar (which disappears when training ends) keeps only the running loss beside it.
"""

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


def log_pairs(logs: dict) -> list[str]:
    """``name value`` strings: training quantities, then validation ones, then the learning rate."""
    keys = [k for k in logs if not k.startswith("val_") and k != "lr"]
    keys += [k for k in logs if k.startswith("val_")] + (["lr"] if "lr" in logs else [])
    return [f"{k} {logs[k]:.4g}" for k in keys]


def format_logs(logs: dict) -> str:
    return "  ".join(log_pairs(logs))


def wrap_pairs(head: str, pairs: list[str], width: int) -> str:
    """``head`` and the pairs joined by two spaces, broken into lines of at most ``width`` characters
    between pairs (continuation lines indented under the first pair); a pair is never split."""
    lines, line = [], head
    indent = " " * min(len(head) + 2, max(width // 3, 2))
    for pair in pairs:
        if line.strip() and len(line) + 2 + len(pair) > width:
            lines.append(line)
            line = indent + pair
        else:
            line = f"{line}  {pair}" if line else pair
    return "\n".join([*lines, line])


class ProgressBar(Callback):
    """Epoch, batch, running loss and metrics with an ETA; added by ``fit`` according to ``verbose``."""

    def __init__(self, verbose: int = 1, console: Console | None = None) -> None:
        self.verbose = verbose
        self.console = console or Console()
        self.progress: Progress | None = None

    def on_train_begin(self, logs=None) -> None:
        if self.verbose == 1 and self.console.is_terminal:
            self.progress = Progress(
                TextColumn("[bold]epoch {task.fields[epoch]}"), BarColumn(bar_width=24), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=self.console, transient=True,
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
        if self.verbose not in (1, 2):
            return
        head, pairs = f"epoch {epoch + 1}/{self.trainer.epochs}", log_pairs(logs or {})
        if self.console.is_terminal:
            text = wrap_pairs(head, pairs, self.console.width)
        else:
            text = "  ".join([head, *pairs])
        self.console.print(text, soft_wrap=True, markup=False, highlight=False)

    def on_train_end(self, logs=None) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
