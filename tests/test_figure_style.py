"""Every figure a report embeds has panel titles, axis labels and legends that cover no data (issue 19).
The rule itself is checked on figures made to break it; then on the figures of several kinds of run."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from figure_style import checked_figures, figure_problems
from neurona import report
from neurona.config import load_config
from neurona.experiment import run

ROOT = Path(__file__).resolve().parents[1]


def _fig(ncols=1):
    fig = Figure(figsize=(4 * ncols, 3), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def test_the_rule_catches_missing_titles_labels_and_a_legend_on_the_data():
    fig, (ax,) = _fig()
    x = np.linspace(0, 1, 50)
    grid = np.stack(np.meshgrid(x, x), -1).reshape(-1, 2)
    ax.scatter(grid[:, 0], grid[:, 1], s=2, label="points everywhere, the legend's corner too")
    ax.legend(loc="upper left")
    found = figure_problems(fig)
    assert any("without a title" in p for p in found)
    assert any("no x-axis label" in p for p in found) and any("no y-axis label" in p for p in found)
    assert any("the legend covers" in p for p in found)

    fig, (ax,) = _fig()
    ax.plot(x, x, label="line")
    ax.set(title="t", xlabel="x", ylabel="y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    assert figure_problems(fig) == []


def test_shared_labels_on_the_outer_panel_serve_the_row():
    fig, axes = _fig(3)
    for i, ax in enumerate(axes):
        ax.plot([0, 1, 2], [i, i + 1, i])
        ax.set_title(f"panel {i}")
        ax.set_xlabel("step")
    axes[0].set_ylabel("value")
    assert figure_problems(fig) == []


def test_classifier_figures_follow_the_rule_at_any_quality():
    rng = np.random.default_rng(0)
    for k, strength in ((3, 0.2), (10, 0.2), (10, 8.0)):  # poor and near-perfect scores, few and many classes
        y = np.arange(500) % k
        logits = rng.normal(size=(500, k)) + strength * np.eye(k)[y]
        proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        assert figure_problems(report.roc_figure(y, proba), f"roc k={k}") == []
    X = rng.normal(size=(300, 2))
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)
    fig = report.decision_boundary(lambda p: (p[:, 0] * p[:, 1] > 0).astype(float), X, labels, X[:60], labels[:60],
                                   class_names=["same signs", "opposite signs"])
    assert figure_problems(fig, "decision boundary") == []


@pytest.mark.parametrize("config", ["iris.yaml", "spiral.yaml", "digits_lenet5.yaml", "sine_lstm.yaml",
                                    "waveforms_conv1d.yaml", "reg_plane.yaml", "boston_housing.yaml", "vae.yaml",
                                    "gan.yaml"])
def test_every_figure_of_a_run_report_follows_the_rule(config, tmp_path):
    with checked_figures() as found:
        run(load_config(ROOT / "examples" / config), out=tmp_path, quick=True, verbose=0)
    assert found == []
