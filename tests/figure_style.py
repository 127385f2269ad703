"""What every report figure must have (issue 19): a title for each panel (or the figure's), axis labels where
an axis shows tick labels (a label on the outer panel of a column or row serves the panels that share it),
and legends that cover no data. Used by the report tests on every figure a report embeds."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection


def _shows_ticks(labels) -> bool:
    return any(t.get_visible() and t.get_text() for t in labels)


def _has_text_ticks(labels) -> bool:
    """Category names on the axis (class names, feature names) label it themselves."""
    texts = [t.get_text().replace("\u2212", "-") for t in labels if t.get_text()]
    return bool(texts) and not all(_is_number(t) for t in texts)


def _is_number(text: str) -> bool:
    try:
        float(text.replace("$", "").replace("{", "").replace("}", "").replace("^", "e").replace("\\mathdefault", ""))
        return True
    except ValueError:
        return False


def _points_under(box, ax) -> tuple[int, int]:
    """(points under ``box``, all points) of the lines and scatters of ``ax``, in display coordinates."""
    inside = total = 0
    arrays = [ax.transData.transform(np.column_stack(line.get_data()).astype(float))
              for line in ax.get_lines() if len(line.get_xdata()) >= 3]
    arrays += [c.get_offset_transform().transform(c.get_offsets()) for c in ax.collections
               if isinstance(c, PathCollection) and len(c.get_offsets())]
    for xy in arrays:
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        inside += int(((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)).sum())
        total += len(xy)
    return inside, total


def figure_problems(fig, name: str = "figure") -> list[str]:
    """Every style problem of ``fig``, as readable lines (empty when it is fine)."""
    if not isinstance(fig.canvas, FigureCanvasAgg):  # a figure made without a canvas of its own
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison and ax.get_label() != "<colorbar>"]
    problems = []
    titled_figure = fig._suptitle is not None and fig._suptitle.get_text()
    for ax in axes:
        where = f"{name}: panel {ax.get_title()!r}"
        if not (ax.get_title() or titled_figure or any(t.get_text() for t in fig.texts)):
            problems.append(f"{name}: a panel without a title")
        box = ax.get_position()
        same_col = [o for o in axes if abs(o.get_position().x0 - box.x0) < 1e-3]
        same_row = [o for o in axes if abs(o.get_position().y0 - box.y0) < 1e-3]
        if (_shows_ticks(ax.get_xticklabels()) and not ax.get_xlabel() and not _has_text_ticks(ax.get_xticklabels())
                and not any(o.get_xlabel() for o in same_col) and not fig.get_supxlabel()):
            problems.append(f"{where} has no x-axis label")
        if (_shows_ticks(ax.get_yticklabels()) and not ax.get_ylabel() and not _has_text_ticks(ax.get_yticklabels())
                and not any(o.get_ylabel() for o in same_row) and not fig.get_supylabel()):
            problems.append(f"{where} has no y-axis label")
        legend = ax.get_legend()
        if legend is not None:
            inside, total = _points_under(legend.get_window_extent(renderer), ax)
            if inside:
                problems.append(f"{where}: the legend covers {inside} of {total} data points")
    return problems


@contextlib.contextmanager
def checked_figures():
    """Within the block, every figure an HtmlReport embeds is checked first; yields the list of problems
    (the report itself is written as usual)."""
    from neurona.report.html import HtmlReport

    found: list[str] = []
    embed = HtmlReport.figure

    def checked(self, fig, caption="", png_path=None):
        found.extend(figure_problems(fig, Path(png_path).name if png_path else caption[:60]))
        return embed(self, fig, caption, png_path)

    HtmlReport.figure = checked
    try:
        yield found
    finally:
        HtmlReport.figure = embed
