"""Lab 2 in quick mode: a complete report, numbers within bounds, the notebook runs; full size is `slow`."""

import json
from pathlib import Path

import pytest

from figure_style import checked_figures
from neurona.labs import lab2
from test_lab1 import _Collect, run_notebook

ROOT = Path(__file__).resolve().parents[1]


FIGURE_PROBLEMS: list[str] = []  # filled while the quick lab runs


@pytest.fixture(scope="module")
def quick_lab(tmp_path_factory):
    with checked_figures() as problems:
        result = lab2.run(out=tmp_path_factory.mktemp("runs"), quick=True, seed=0)
    FIGURE_PROBLEMS[:] = problems
    return result


def test_every_figure_has_titles_labels_and_a_legend_off_the_data(quick_lab):
    assert FIGURE_PROBLEMS == []


def test_report_complete_and_numbers_in_bounds(quick_lab):
    parser = _Collect()
    parser.feed(quick_lab.report.read_text())
    assert [h.split(".")[0] for h in parser.headings] == ["1", "2", "3", "4", "5"]
    assert len(parser.images) >= 12 and all(s.startswith("data:image/png;base64,") for s in parser.images)
    numbers = json.loads((quick_lab.run_dir / "metrics.json").read_text())["sections"]
    init = numbers["initialisation"]
    assert init["zeros"] < 0.2 and init["small normal"] < 0.2  # symmetry / vanishing signals: no learning
    assert init["xavier"] > 0.85
    assert numbers["activations"]["relu"] > numbers["activations"]["sigmoid"]
    assert numbers["optimisers"]["SGD + momentum"] < numbers["optimisers"]["SGD"]
    tuning = numbers["tuning"]
    assert tuning["test_accuracy"] >= 0.94
    assert set(tuning["best_by_method"]) == {"grid", "random", "tpe", "tpe + pruning"}
    assert tuning["candidates"] == 4 * 3 and tuning["epochs_saved_by_pruning"] >= 0
    html = quick_lab.report.read_text()
    assert "Best validation accuracy against the number of trials" in html and "evaluated once" in html


def test_texts_agree_with_their_tables(quick_lab):
    """The sentences that state results are chosen by the numbers: check each against the numbers."""
    import html as html_lib

    text = html_lib.unescape(quick_lab.report.read_text())
    numbers = json.loads((quick_lab.run_dir / "metrics.json").read_text())["sections"]
    gaps = numbers["regularisation"]
    for name, g in gaps.items():
        if name == "plain":
            continue
        shrinks = g["loss"] < gaps["plain"]["loss"] - 0.01
        assert f"{'shrinks' if shrinks else 'does not shrink'} the loss gap ({gaps['plain']['loss']:.3f} -> " \
               f"{g['loss']:.3f})" in text
    act = numbers["activations"]
    assert f"{act['fastest']} learns fastest and {act['slowest']} slowest" in text
    assert act["fastest"] == min(act["mean_training_loss"], key=act["mean_training_loss"].get)
    assert ("ReLU-family activations pass" in text) == (act["fastest"] in {"relu", "leaky_relu", "gelu"})
    schedules = numbers["optimisers"]["schedules"]
    assert f"one-cycle ends at validation accuracy {schedules['one-cycle']:.3f}" in text


def test_notebook_runs_in_quick_mode(tmp_path):
    run_notebook(ROOT / "labs" / "lab2.ipynb", tmp_path)


@pytest.mark.slow
def test_full_lab2_reaches_097_on_digits(tmp_path):
    result = lab2.run(out=tmp_path, quick=False, seed=0)
    assert result.numbers["tuning"]["test_accuracy"] >= 0.97
    assert result.numbers["tuning"]["epochs_saved_by_pruning"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_tuned_model_reaches_097_for_other_seeds(seed):
    from neurona.report import HtmlReport

    numbers = lab2.section_tuning(HtmlReport("tuning"), None, quick=False, seed=seed)
    assert numbers["test_accuracy"] >= 0.97
