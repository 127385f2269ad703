"""What every lab shares: a run folder with status and log, the HTML report, and the result summary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from neurona.report import HtmlReport
from neurona.runs import RunFolder


@dataclass
class LabResult:
    """A finished lab: its folder, its report, the headline numbers and every measured number."""

    run_dir: Path
    report: Path
    summary: dict[str, Any]
    numbers: dict[str, Any] = field(default_factory=dict)


class LabFolder:
    def __init__(self, folder: RunFolder, started: float) -> None:
        self.folder, self.started = folder, started

    @property
    def path(self) -> Path:
        return self.folder.path

    def finish(self, report: HtmlReport, numbers: dict[str, Any], summary: dict[str, Any]) -> LabResult:
        """Write metrics.json and then the report (last, so a report always means a complete run)."""
        elapsed = round(time.time() - self.started, 1)
        summary = {**summary, "seconds": elapsed}
        self.folder.write_json("metrics.json", {"summary": summary, "sections": numbers})
        report.write(self.folder.file("report.html"))
        self.folder.status("completed", seconds=elapsed)
        return LabResult(self.folder.path, self.folder.file("report.html"), summary, numbers)


@contextmanager
def lab_folder(out: Any, name: str, quick: bool, seed: int,
               console: Console | None = None) -> Iterator[tuple[LabFolder, HtmlReport, Callable[[str], None]]]:
    """A run folder for a lab (``runs/lab1-<time>/``), its report, and a logger that also goes to log.txt."""
    recorder = Console(record=True, file=console.file if console is not None else None)
    folder = RunFolder(out, name + ("-quick" if quick else ""), recorder)
    title = {"lab1": "Lab 1: ML fundamentals, the single neuron, shallow networks and backpropagation",
             "lab2": "Lab 2: practical deep networks, optimisation and tuning",
             "lab3": "Lab 3: CNNs, RNNs, autoencoders, GANs and deep RL"}.get(name, name)
    report = HtmlReport(title, f"{'quick' if quick else 'full'} run, seed {seed}")
    with folder:
        folder.write_json("config.json", {"lab": name, "quick": quick, "seed": seed})
        yield LabFolder(folder, time.time()), report, recorder.print


# ---- claims from numbers ----------------------------------------------------------------------------


def pick(condition: bool, yes: str, no: str) -> str:
    """The wording a measured result earns: ``yes`` when ``condition`` holds, otherwise ``no``.

    Every sentence of a lab that states a result goes through here (or a test over seeds 0, 1, 2 guards it),
    so the text cannot say the opposite of its own table."""
    return yes if bool(condition) else no


def per_epoch(values: Any) -> tuple[Any, Any]:
    """``(epochs 1..n, values)``, so curves start at epoch 1 as the tables and terminal count them."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    return np.arange(1, len(values) + 1), values


def svg_figure(svg: str, caption: str) -> str:
    """An inline SVG (e.g. :func:`neurona.viz.draw_graph`) as a report figure; the SVG carries no <style>."""
    import html

    return f'<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>'
