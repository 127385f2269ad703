"""Lab 1 in quick mode: a complete report with every section, embedded figures and numbers within bounds;
the notebook runs the same code."""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from figure_style import checked_figures
from neurona.labs import lab1

ROOT = Path(__file__).resolve().parents[1]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.images, self._in_h2 = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self._in_h2 = True
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data)


FIGURE_PROBLEMS: list[str] = []  # filled while the quick lab runs


@pytest.fixture(scope="module")
def quick_lab(tmp_path_factory):
    with checked_figures() as problems:
        result = lab1.run(out=tmp_path_factory.mktemp("runs"), quick=True, seed=0)
    FIGURE_PROBLEMS[:] = problems
    return result


def test_every_figure_has_titles_labels_and_a_legend_off_the_data(quick_lab):
    assert FIGURE_PROBLEMS == []


def test_report_has_every_section_and_embedded_figures(quick_lab):
    parser = _Collect()
    parser.feed(quick_lab.report.read_text())
    assert [h.split(".")[0] for h in parser.headings] == ["1", "2", "3", "4", "5"]
    assert len(parser.images) >= 12
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)  # self-contained
    status = json.loads((quick_lab.run_dir / "status.json").read_text())
    assert status["status"] == "completed"


def test_numbers_within_the_stated_bounds(quick_lab):
    numbers = json.loads((quick_lab.run_dir / "metrics.json").read_text())["sections"]
    for key in ("boston", "boston_drop_b"):
        assert numbers["linear regression"][key]["relative_gap"] < 0.02
    assert numbers["logistic and softmax regression"]["softmax_test_accuracy"] >= 0.93
    assert numbers["backpropagation"]["max_gradient_difference"] < 1e-6
    assert numbers["backpropagation"]["gradcheck_passed"]
    complexity = numbers["complexity"]
    assert complexity["overfit_gap"] > 0.05  # the big model overfits...
    assert complexity["test_loss_early_stopping"] < complexity["test_loss_plain"]  # ...fixed, judged on the test part
    assert complexity["test_loss_l2"] < complexity["test_loss_plain"]
    assert complexity["best_width"] < complexity["errors_by_width"][-1]["hidden width"]  # capacity stopped helping
    backprop = numbers["backpropagation"]
    for name in ("circle", "xor", "spiral"):  # the hidden layer beats a straight line on every set
        assert backprop[f"{name}_test_accuracy"] > backprop[f"{name}_logistic_test_accuracy"] + 0.1
    regression = numbers["linear regression"]["boston"]
    assert regression["epochs_to_1_percent"] is not None and regression["epochs_to_1_percent"] < 200


def test_report_shows_graph_confusion_matrices_and_the_restored_epoch(quick_lab):
    import xml.etree.ElementTree as ET

    html = quick_lab.report.read_text()
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    svg = ET.fromstring(html[start:end])  # the computation graph, inline and well-formed
    boxes = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    assert len(boxes) == json.loads((quick_lab.run_dir / "metrics.json").read_text())["sections"]["backpropagation"][
        "graph_nodes"] and "|grad|" in html[start:end]
    assert html.count("accuracy 0.") >= 2 and "Logistic regression on the test flowers" in html
    assert "EarlyStopping: " in html and "restored the weights of epoch" in html
    assert "weights from epoch" in html


def test_hand_backprop_matches_autograd():
    import numpy as np

    import neurona as nr

    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((7, 2)), rng.integers(0, 3, 7)
    params = [rng.standard_normal(s) for s in ((4, 2), (4,), (3, 4), (3,))]
    tensors = [nr.tensor(p, dtype=nr.float64, requires_grad=True) for p in params]
    lab1.shallow_forward(nr.tensor(X, dtype=nr.float64), *tensors, y).backward()
    for hand, t in zip(lab1.backprop_by_hand(X, *params, y), tensors):
        np.testing.assert_allclose(hand, t.grad.numpy(), atol=1e-12)


def run_notebook(path, tmp_path, sections=5):
    """Execute a lab notebook (it runs in quick mode): no error; every section cell shows its code and draws its
    figures under itself; each section has its what-to-notice and exercise; no HTML that could restyle the page."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    assert any("QUICK = True" in c.source for c in nb.cells if c.cell_type == "code")
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    section_cells = [c for c in nb.cells if "section" in c.metadata.get("tags", [])]
    assert len(section_cells) == sections
    for cell in section_cells:
        assert len(cell.source.splitlines()) >= 5  # the lines that matter are in the cell, editable
        images = [o for o in cell.outputs if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
        assert images, f"no figure under the section cell starting {cell.source[:60]!r}"
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert not [h for h in html if "<style" in h or "<html" in h]  # scoped fragments, no page-wide CSS
    notes = [c.source for c in nb.cells if c.cell_type == "markdown" and "**What to notice.**" in c.source]
    assert len(notes) == sections and all("**Exercise.**" in n for n in notes)
    assert (tmp_path / path.name.replace(".ipynb", "-report.html")).exists()


def test_notebook_runs_in_quick_mode(tmp_path):
    run_notebook(ROOT / "labs" / "lab1.ipynb", tmp_path)


@pytest.mark.slow
def test_full_lab1_numbers(tmp_path):
    result = lab1.run(out=tmp_path, quick=False, seed=0)
    assert result.numbers["linear regression"]["boston"]["relative_gap"] < 0.02
    assert result.numbers["logistic and softmax regression"]["softmax_test_accuracy"] >= 0.93
    assert result.numbers["backpropagation"]["max_gradient_difference"] < 1e-6
