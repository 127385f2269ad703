"""The HTML report: reStructuredText rendered by docutils and never run, a table of contents numbered once."""

from html.parser import HTMLParser

from neurona import datasets
from neurona.report import HtmlReport


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(fragment):
    parser = _Tags()
    parser.feed(fragment)
    return parser.tags, " ".join(" ".join(parser.text).split())


def test_dataset_descriptions_are_rendered_not_shown_as_markup():
    report = HtmlReport("r")
    report.rst(datasets.load("digits").description)
    tags, text = _parse(report.sections[0].parts[0])
    assert ".. _digits_dataset:" not in text and "**Data Set Characteristics:**" not in text
    assert "Data Set Characteristics:" in text  # the bold markup became <strong>
    assert {"strong", "dl", "dt", "dd"} <= set(tags)  # the field list (:Number of Instances: ...) as a list
    report.rst(datasets.load("boston_housing").description)
    tags, text = _parse(report.sections[0].parts[1])
    assert tags.count("li") >= 2 and "B" in text  # the ethics note's bullets stay separate items


def test_rst_never_runs_or_includes_anything(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = (f".. raw:: html\n\n   <script>alert(1)</script>\n\n.. include:: {secret}\n\n"
               f".. csv-table::\n   :file: {secret}\n\nplain words")
    report = HtmlReport("r")
    report.rst(hostile)
    out = report.render()
    assert "<script>" not in out and "TOP-SECRET" not in out and "plain words" in out


def test_toc_numbers_each_entry_once():
    numbered = HtmlReport("lab")
    for title in ("1. The data", "2. A neuron", "10. Early stopping"):
        numbered.section(title).text("x")
    plain = HtmlReport("run")
    for title in ("Dataset", "Model"):
        plain.section(title).text("x")
    nav = numbered.render().split("<nav>")[1].split("</nav>")[0]
    assert nav.startswith("<ul>") and "<ol>" not in nav and nav.count("<li>") == 3
    assert plain.render().split("<nav>")[1].startswith("<ol>")  # unnumbered titles get the list's numbers
