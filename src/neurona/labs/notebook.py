"""The labs inside Jupyter: a report that also shows every part under the cell that made it.

``NotebookReport`` is an :class:`~neurona.report.HtmlReport` (so ``report.write(...)`` still gives the same
self-contained file), and each text, table and figure a lab section adds is displayed at once: figures as
PNG images, text and tables as small HTML fragments with no ``<style>`` (they cannot restyle the notebook).
"""

from __future__ import annotations

import html
from typing import Any

from neurona.report import HtmlReport


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


class NotebookReport(HtmlReport):
    """An HtmlReport that displays each part inline as it is added (figures under the cell that drew them)."""

    def section(self, title: str) -> NotebookReport:
        super().section(title)
        return self

    def _show_last(self) -> None:
        from IPython.display import HTML

        _display(HTML(self.sections[-1].parts[-1]))

    def text(self, text: str) -> NotebookReport:
        super().text(text)
        from IPython.display import HTML

        paragraphs = str(text).strip().split("\n\n")
        _display(HTML("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)))
        return self

    def html(self, fragment: str) -> NotebookReport:
        super().html(fragment)
        self._show_last()
        return self

    def code(self, text: str) -> NotebookReport:
        super().code(text)
        self._show_last()
        return self

    def warning(self, text: str) -> NotebookReport:
        super().warning(text)
        from IPython.display import HTML

        _display(HTML(f'<p style="border-left:4px solid #f0a020;padding-left:.5em">{html.escape(text)}</p>'))
        return self

    def note(self, text: str) -> NotebookReport:
        super().note(text)
        from IPython.display import HTML

        _display(HTML(f'<p style="border-left:4px solid #3a3;padding-left:.5em">{html.escape(text)}</p>'))
        return self

    def table(self, rows: Any, caption: str = "") -> NotebookReport:
        super().table(rows, caption)
        if rows:
            self._show_last()
        return self

    def figure(self, fig: Any, caption: str = "", png_path: Any = None) -> NotebookReport:
        super().figure(fig, caption, png_path)
        from IPython.display import Image

        from neurona.report.figures import figure_to_png_bytes

        _display(Image(data=figure_to_png_bytes(fig)))
        if caption:
            from IPython.display import HTML

            _display(HTML(f"<p><small>{html.escape(caption)}</small></p>"))
        return self


def show(fig: Any) -> None:
    """Display a matplotlib Figure (or anything with ``_repr_svg_``/``_repr_png_``) under the current cell."""
    if hasattr(fig, "savefig"):
        from IPython.display import Image

        from neurona.report.figures import figure_to_png_bytes

        _display(Image(data=figure_to_png_bytes(fig)))
    else:
        _display(fig)
