"""The self-contained HTML run report: sections of text, tables and figures (PNG embedded as data URIs),
one file that opens offline. Written atomically, so a half-written report never poses as complete."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neurona.io.atomic import atomic_write_bytes

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#1d232a;line-height:1.5}
h1{border-bottom:3px solid #3465a4;padding-bottom:.3em}h2{margin-top:2em;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccd;padding:.3em .7em;text-align:right}
th{background:#eef2f8}td:first-child,th:first-child{text-align:left}
figure{margin:1em 0;display:inline-block;vertical-align:top}figure img{max-width:100%;border:1px solid #dde}
figcaption{font-size:.9em;color:#555}pre{background:#f5f7fa;padding:1em;overflow:auto;font-size:.85em}
.warning{background:#fff4e0;border-left:4px solid #f0a020;padding:.5em 1em;margin:.5em 0}
.ok{background:#e8f6e8;border-left:4px solid #3a3;padding:.5em 1em;margin:.5em 0}
nav ol,nav ul{columns:2;column-gap:2.5em}nav li{break-inside:avoid;margin-bottom:.2em}nav ul{list-style:none;padding-left:0}
.rst table{text-align:left}.rst td,.rst th{text-align:left}.rst dl.field-list{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}
.rst dl.field-list dt{font-weight:600}.rst dl.field-list dd{margin:0}
"""


@dataclass
class Section:
    title: str
    anchor: str
    parts: list[str] = field(default_factory=list)


class HtmlReport:
    """Build a report section by section, then :meth:`write` it.

    Example::

        report = HtmlReport("Lab 1")
        report.section("Data").text("Iris: 150 flowers, 4 features.").figure(fig, "Learning curves")
        report.write("runs/lab1/report.html")
    """

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title, self.subtitle = title, subtitle
        self.sections: list[Section] = []

    def section(self, title: str) -> HtmlReport:
        self.sections.append(Section(title, f"s{len(self.sections) + 1}"))
        return self

    def _add(self, part: str) -> HtmlReport:
        if not self.sections:
            self.section("Overview")
        self.sections[-1].parts.append(part)
        return self

    def text(self, text: str) -> HtmlReport:
        """A paragraph (plain text; blank lines start new paragraphs)."""
        for para in str(text).strip().split("\n\n"):
            self._add(f"<p>{html.escape(para)}</p>")
        return self

    def rst(self, text: str) -> HtmlReport:
        """reStructuredText (scikit-learn's dataset descriptions, notes with bullet lists) rendered to HTML by
        docutils, with raw HTML, file inclusion and system messages switched off: the text is shown, never run."""
        from docutils.core import publish_parts

        settings = {"raw_enabled": False, "file_insertion_enabled": False, "report_level": 5, "halt_level": 5,
                    "doctitle_xform": False, "warning_stream": False, "input_encoding": "unicode",
                    "syntax_highlight": "none", "math_output": "HTML"}
        try:
            body = publish_parts(str(text), writer_name="html5", settings_overrides=settings)["body"]
        except Exception:  # docutils gave up on this text: show it as plain paragraphs instead
            return self.text(text)
        return self._add(f'<div class="rst">{body}</div>')

    def html(self, fragment: str) -> HtmlReport:
        """Raw, trusted HTML (built by neurona itself, never from user input)."""
        return self._add(fragment)

    def code(self, text: str) -> HtmlReport:
        return self._add(f"<pre>{html.escape(text)}</pre>")

    def warning(self, text: str) -> HtmlReport:
        return self._add(f'<div class="warning">{html.escape(text)}</div>')

    def note(self, text: str) -> HtmlReport:
        return self._add(f'<div class="ok">{html.escape(text)}</div>')

    def table(self, rows: list[dict[str, Any]] | dict[str, dict[str, Any]], caption: str = "") -> HtmlReport:
        """A table from a list of row dicts, or from {row name: {column: value}}."""
        if isinstance(rows, dict):
            rows = [{"": name, **values} for name, values in rows.items()]
        if not rows:
            return self
        columns = list(dict.fromkeys(k for row in rows for k in row))
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_fmt(row.get(c, '')))}</td>" for c in columns) + "</tr>" for row in rows
        )
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        return self._add(f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def figure(self, fig: Any, caption: str = "", png_path: str | Path | None = None) -> HtmlReport:
        """Embed a matplotlib Figure as a PNG data URI (and save it to ``png_path`` too when given)."""
        from neurona.report.figures import figure_to_data_uri, save_figure

        if png_path is not None:
            save_figure(fig, png_path)
        uri = figure_to_data_uri(fig)
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        return self._add(f'<figure><img alt="{html.escape(caption)}" src="{uri}">{cap}</figure>')

    def render(self) -> str:
        items = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in self.sections)
        # titles that carry their own numbers ("1. The data") get a plain list, so nothing is numbered twice
        numbered = self.sections and all(re.match(r"\d+[.)]?\s", s.title) for s in self.sections)
        toc = f"<ul>{items}</ul>" if numbered else f"<ol>{items}</ol>"
        body = "".join(f'<h2 id="{s.anchor}">{html.escape(s.title)}</h2>' + "".join(s.parts) for s in self.sections)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        sub = f"<p>{html.escape(self.subtitle)}</p>" if self.subtitle else ""
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{html.escape(self.title)}</h1>{sub}"
            f"<p><small>Written by neurona, {stamp}</small></p><nav>{toc}</nav>{body}</body></html>"
        )

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        atomic_write_bytes(path, self.render().encode("utf-8"))
        return path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
