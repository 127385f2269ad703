"""Model-aware run-report figures (neurona.report.model_figures): each kind of model `neurona train` fits gets
its own figures in report.html and figures/, and the helpers draw what they claim (checked on tiny models,
values against PyTorch and scikit-learn)."""

import html
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from matplotlib.image import AxesImage
from sklearn.metrics import recall_score
from typer.testing import CliRunner

from neurona import nn
from neurona.cli import app
from neurona.errors import ShapeError
from neurona.report import model_figures as mf

ROOT = Path(__file__).resolve().parents[1]
LOGISTIC = {"name": "iris-logistic", "seed": 0,
            "data": {"dataset": "iris", "val": 0.15, "test": 0.2, "scale": "standard"},
            "model": {"layers": [{"type": "linear", "out_features": 3}]}, "loss": "cross_entropy",
            "optimizer": {"name": "adam", "lr": 0.05}, "training": {"epochs": 10, "batch_size": 16}}
CAPTIONS = {"conv_filters.png": "filters", "feature_maps.png": "What the first conv layer makes of 3",
            "misclassified.png": "Misclassified", "forecast.png": "forecast against truth",
            "surface.png": "surface the model learned", "coefficients.png": "Each input feature's weight",
            "per_class_accuracy.png": "Accuracy of each class"}
MODEL_FIGURES = {"conv_filters.png", "feature_maps.png", "misclassified.png", "per_class_accuracy.png",
                 "forecast.png", "surface.png", "coefficients.png"}


def _train(config: Path, out: Path) -> Path:
    result = CliRunner().invoke(app, ["train", str(config), "--quick", "--out", str(out), "-v", "0"])
    assert result.exit_code == 0, result.output
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    return run


@pytest.mark.parametrize("config, expected", [
    ("digits_lenet5.yaml", {"conv_filters.png", "feature_maps.png", "misclassified.png"}),
    ("waveforms_conv1d.yaml", {"conv_filters.png", "feature_maps.png"}),
    ("sine_lstm.yaml", {"forecast.png"}),
    ("digits_gru.yaml", {"per_class_accuracy.png"}),
    ("reg_plane.yaml", {"surface.png"}),
    ("logistic", {"coefficients.png"}),
])
def test_train_report_has_the_figures_of_its_model(config, expected, tmp_path):
    if config == "logistic":
        path = tmp_path / "logistic.yaml"
        path.write_text(yaml.safe_dump(LOGISTIC))
    else:
        path = ROOT / "examples" / config
    run = _train(path, tmp_path / "runs")
    figures = {p.name for p in (run / "figures").glob("*.png")}
    assert figures & MODEL_FIGURES == expected  # exactly the figures that fit, none that do not
    page = (run / "report.html").read_text()
    assert "What this model learned" in page
    for name in expected:
        png = (run / "figures" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    section = page.split("What this model learned</h2>")[1].split("<h2")[0]
    captions = [html.unescape(c.split("</figcaption>")[0]) for c in section.split("<figcaption>")[1:]]
    assert section.count('<img alt="') == len(captions) == len(expected)  # one embedded PNG per figure file
    assert section.count("src=\"data:image/png;base64,") == len(expected)
    for name in expected:
        assert any(CAPTIONS[name] in c for c in captions), f"no caption for {name}: {captions}"


# ---- helpers on tiny models ------------------------------------------------------------------
def _images(fig):
    return [ax for ax in fig.axes if any(isinstance(a, AxesImage) for a in ax.get_children())]


def test_conv2d_filter_grid_has_one_image_per_filter_with_its_weights():
    conv = nn.Conv2d(2, 6, 3)
    fig = mf.conv_filters_figure(conv)
    panels = _images(fig)
    assert len(panels) == 6
    for i, ax in enumerate(panels):
        assert ax.get_title() == f"filter {i}"
        np.testing.assert_allclose(ax.get_images()[0].get_array(), conv.weight.data[i].mean(0), rtol=1e-6)
    assert len(_images(mf.conv_filters_figure(nn.Conv2d(1, 40, 3)))) == mf.MAX_FILTERS


def test_conv1d_filters_are_line_plots_one_line_per_input_channel():
    conv = nn.Conv1d(2, 5, 7)
    fig = mf.conv_filters_figure(conv)
    panels = [ax for ax in fig.axes if ax.get_title().startswith("filter")]
    assert len(panels) == 5 and not _images(fig)
    np.testing.assert_allclose(panels[3].lines[1].get_ydata(), conv.weight.data[3, 1])


def test_feature_maps_are_the_first_conv_output_as_pytorch_computes_it():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 3))
    assert mf.first_conv(model) is model[0]
    X = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
    maps = mf.conv_outputs(model, model[0], X)
    expected = torch.nn.functional.conv2d(torch.from_numpy(X), torch.from_numpy(model[0].weight.data),
                                          torch.from_numpy(model[0].bias.data), padding=1).numpy()
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-5)
    assert model.training  # mode restored
    fig = mf.feature_maps_figure(X, maps)
    assert len(_images(fig)) == 3 * (1 + 4)
    with pytest.raises(ShapeError, match="same length"):
        mf.feature_maps_figure(X[:2], maps)


def test_misclassified_grid_shows_only_wrong_images_with_class_names():
    X = np.zeros((6, 1, 4, 4), dtype=np.float32)
    y, pred = np.array([0, 1, 2, 0, 1, 2]), np.array([0, 2, 2, 1, 1, 2])
    fig = mf.misclassified_figure(X, y, pred, ["cat", "dog", "eel"])
    titles = [ax.get_title() for ax in _images(fig)]
    assert titles == ["true: dog\npred: eel", "true: cat\npred: dog"]
    assert mf.misclassified_figure(X, y, y, ["cat", "dog", "eel"]) is None


def test_per_class_accuracy_bars_match_sklearn_recall():
    rng = np.random.default_rng(1)
    y, pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    ax = mf.per_class_accuracy_figure(y, pred, list("abcd")).axes[0]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, recall_score(y, pred, average=None))
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def test_forecast_plots_truth_and_forecast_and_checks_shapes():
    X = np.random.default_rng(2).standard_normal((10, 20, 1)).astype(np.float32)
    y, p = X[:, -1, :] + 1, X[:, -1, :] + 1.5
    fig = mf.forecast_figure(X, y, p)
    stretch = next(ax for ax in fig.axes if ax.get_title().startswith("Forecast vs truth"))
    np.testing.assert_allclose(stretch.lines[1].get_ydata() - stretch.lines[0].get_ydata(), 0.5, rtol=1e-6)
    with pytest.raises(ShapeError, match="forecast_figure"):
        mf.forecast_figure(X[:, :, 0], y, p)


def test_surface_is_the_model_prediction_on_a_grid_beside_the_data():
    X = np.random.default_rng(3).uniform(-1, 1, (50, 2)).astype(np.float32)
    y = X @ np.array([2.0, -1.0])
    calls = []

    def predict(pts):
        calls.append(pts)
        return (pts @ np.array([2.0, -1.0], dtype=np.float32))[:, None]

    fig = mf.surface_figure(predict, X, y, ["a", "b"])
    assert calls[0].shape == (120 * 120, 2)
    left, right = fig.axes[:2]
    assert (left.get_xlabel(), left.get_ylabel()) == ("a", "b") and left.get_title() and right.get_title()
    with pytest.raises(ShapeError, match="2 input features"):
        mf.surface_figure(predict, np.zeros((5, 3)), np.zeros(5))


def test_coefficients_are_bars_per_feature_for_a_single_linear_model():
    model = nn.Sequential(nn.Linear(3, 2))
    lin = mf.single_linear(model)
    assert lin is model[0]
    assert mf.single_linear(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))) is None
    fig = mf.coefficients_figure(lin.weight.data, lin.bias.data, ["f0", "f1", "f2"], ["no", "yes"])
    ax = fig.axes[0]
    widths = np.array([p.get_width() for p in ax.patches]).reshape(2, 3)
    np.testing.assert_allclose(widths, lin.weight.data)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["f0", "f1", "f2"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no", "yes"]


def test_a_recurrent_classifier_gets_per_class_accuracy_and_nothing_else(tmp_path):
    from neurona.datasets import DatasetBundle
    from neurona.models import SequenceClassifier
    from neurona.optim import SGD
    from neurona.report.html import HtmlReport
    from neurona.train import Trainer

    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((60, 12, 2)).astype(np.float32), rng.integers(0, 3, 60)
    bundle = DatasetBundle("toy", "classification", X, y, target_names=["up", "down", "flat"])
    split = bundle.split(val=0.0, test=0.5, seed=0)
    model = SequenceClassifier(input_size=2, hidden_size=8, num_classes=3)
    trainer = Trainer(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1))
    report = HtmlReport("toy")
    written = mf.add_model_figures(report, model, bundle, split, trainer, split.X_test, split.y_test, tmp_path)
    assert written == ["per_class_accuracy.png"] and (tmp_path / "per_class_accuracy.png").exists()
    page = report.render()
    assert "What this model learned" in page and "Accuracy of each class on the test split" in page
