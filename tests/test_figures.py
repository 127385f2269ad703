"""Report figures: structure of each figure, numbers equal scikit-learn's, PNG output, no pyplot leaks."""

import base64
import os
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix, r2_score, roc_auc_score
from sklearn.preprocessing import label_binarize

import neurona as nr
from neurona import nn, report
from neurona.errors import ShapeError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    yield
    assert plt.get_fignums() == []


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def legend_aucs(ax):
    return {
        m.group(1): float(m.group(2))
        for text in legend_texts(ax)
        if (m := re.fullmatch(r"(.+) \(AUC = ([0-9.]+)\)", text))
    }


@pytest.fixture
def three_classes():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=120)
    logits = rng.normal(size=(120, 3)) + 1.5 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba


# ---- learning curves and lines -------------------------------------------------------------------
HISTORY = {
    "loss": [1.0, 0.6, 0.4, 0.35],
    "val_loss": [1.1, 0.7, 0.55, float("nan")],
    "accuracy": [0.5, 0.7, 0.8, 0.85],
    "val_accuracy": [0.45, 0.65, 0.75, 0.8],
    "lr": [0.1, 0.1, 0.05, 0.025],
}


def test_learning_curves_one_panel_per_metric_pair():
    fig = report.learning_curves(HISTORY)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "learning rate"]
    loss, accuracy, lr = fig.axes
    assert len(loss.get_lines()) == 2 and legend_texts(loss) == ["train", "validation"]
    np.testing.assert_array_equal(loss.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    assert len(accuracy.get_lines()) == 2
    assert len(lr.get_lines()) == 1 and lr.get_yscale() == "log"
    assert loss.get_yscale() == "linear"
    constant = report.learning_curves({**HISTORY, "lr": [0.1] * 4})  # no flat learning-rate panel
    assert [ax.get_title() for ax in constant.axes] == ["loss", "accuracy"]


def test_learning_curves_options_and_inputs():
    class History:
        def __init__(self):
            self.history = {"val_loss": [0.9, 0.5], "loss": [1.0, 0.4], "val_mae": [3.0, 2.0]}

    fig = report.learning_curves(History(), log_scale=True, title="run 1")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"
    assert fig.get_suptitle() == "run 1"
    with pytest.raises(ValueError, match="non-empty dict"):
        report.learning_curves({})
    with pytest.raises(TypeError, match="must hold numbers"):
        report.learning_curves({"loss": ["a", "b"]})


def test_line_figure_lines_and_legend():
    fig = report.line_figure(
        {
            "SGD": torch.tensor([1.0, 0.8, 0.7]),
            "Adam": nr.tensor([1.0, 0.4, 0.2]),
            "step LR": ([0, 5, 10], [0.1, 0.01, 0.001]),
        },
        xlabel="step",
        ylabel="loss",
        title="race",
        log_y=True,
    )
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 3 and legend_texts(ax) == ["SGD", "Adam", "step LR"]
    np.testing.assert_array_equal(ax.get_lines()[2].get_xdata(), [0, 5, 10])
    assert ax.get_xlabel() == "step" and ax.get_title() == "race" and ax.get_yscale() == "log"
    with pytest.raises(ShapeError, match="3 y values but 2 x values"):
        report.line_figure({"a": ([0, 1], [1, 2, 3])})


# ---- confusion matrix ----------------------------------------------------------------------------
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix_annotations_equal_sklearn(three_classes, normalize):
    y, proba = three_classes
    pred = proba.argmax(axis=1)
    fig = report.confusion_matrix_figure(y, pred, normalize=normalize, display_labels=["a", "b", "c"])
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # matrix and colour bar
    expected = confusion_matrix(y, pred, normalize=normalize)
    fmt = "d" if normalize is None else ".2f"
    assert [t.get_text() for t in ax.texts] == [format(v, fmt) for v in expected.ravel()]
    np.testing.assert_allclose(ax.get_images()[0].get_array(), expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]


def test_confusion_matrix_labels_and_errors():
    fig = report.confusion_matrix_figure(["cat", "dog", "dog"], ["dog", "dog", "cat"], labels=["dog", "cat"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["1", "1", "1", "0"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["dog", "cat"]
    with pytest.raises(ShapeError, match="3 labels but y_pred has 2"):
        report.confusion_matrix_figure([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="normalize must be"):
        report.confusion_matrix_figure([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="3 class_names for 2 classes"):
        report.confusion_matrix_figure([0, 1], [0, 1], display_labels=["a", "b", "c"])


# ---- ROC -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("two_columns", [False, True])
def test_binary_roc_auc_equals_sklearn(two_columns):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=200)
    p = 1 / (1 + np.exp(-(rng.normal(size=200) + 1.2 * (2 * y - 1))))
    scores = np.column_stack([1 - p, p]) if two_columns else p
    fig = report.roc_figure(y, scores, class_names=["negative", "positive"])
    (ax,) = fig.axes
    assert legend_texts(ax)[-1] == "chance" and len(ax.get_lines()) == 2
    assert legend_aucs(ax) == {"positive": round(roc_auc_score(y, p), 3)}


def test_multiclass_roc_aucs_equal_sklearn(three_classes):
    y, proba = three_classes
    fig = report.roc_figure(y, proba, class_names=["a", "b", "c"])
    (ax,) = fig.axes
    aucs = legend_aucs(ax)
    assert len(legend_texts(ax)) == 3 + 3  # classes, micro, macro, chance
    onehot = label_binarize(y, classes=[0, 1, 2])
    for j, name in enumerate("abc"):
        assert aucs[name] == round(roc_auc_score(onehot[:, j], proba[:, j]), 3)
    assert aucs["micro-average"] == round(roc_auc_score(onehot, proba, average="micro"), 3)
    assert aucs["macro-average"] == round(roc_auc_score(y, proba, multi_class="ovr", average="macro"), 3)


def test_roc_with_string_labels_and_bad_shapes(three_classes):
    y, proba = three_classes
    names = np.array(["ant", "bee", "cow"])[y]
    aucs = legend_aucs(report.roc_figure(names, proba).axes[0])
    assert set(aucs) == {"ant", "bee", "cow", "micro-average", "macro-average"}
    with pytest.raises(ValueError, match="1-D scores are for two classes"):
        report.roc_figure(y, proba[:, 0])
    with pytest.raises(ShapeError, match="n = 120 labels"):
        report.roc_figure(y, proba[:10])


def test_many_class_roc_is_compact_with_every_auc_as_a_dot():
    rng = np.random.default_rng(4)
    k, n = 10, 600
    y = np.arange(n) % k
    logits = rng.normal(size=(n, k)) + np.eye(k)[y] * np.linspace(0.5, 4.0, k)[y][:, None]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    names = [f"class {c}" for c in range(k)]
    fig = report.roc_figure(y, proba, class_names=names)
    roc_ax, dots = fig.axes
    truth = {name: round(roc_auc_score(y == j, proba[:, j]), 3) for j, name in enumerate(names)}
    weakest = sorted(truth, key=lambda name: truth[name])[:3]
    aucs = legend_aucs(roc_ax)  # the averages and the three weakest classes, not ten curves
    assert set(aucs) == {*weakest, "micro-average", "macro-average"}
    assert all(aucs[name] == truth[name] for name in weakest)
    assert aucs["macro-average"] == round(roc_auc_score(y, proba, multi_class="ovr", average="macro"), 3)
    rows = {t.get_text(): y for t, y in zip(dots.get_yticklabels(), dots.get_yticks(), strict=True)}
    assert sorted(rows, key=rows.get, reverse=True) == names  # every class, the first on top
    assert sorted(float(t.get_text()) for t in dots.texts) == sorted(truth.values())
    assert dots.get_xlim()[1] > 1.0 and dots.get_xlim()[0] < min(truth.values())
    assert roc_ax.get_xlim()[1] > 1.0  # some AUCs are far from 1: the whole ROC square
    strong = np.exp(logits + 6 * np.eye(k)[y])
    corner = report.roc_figure(y, strong / strong.sum(1, keepdims=True)).axes[0]
    assert corner.get_xlim()[1] <= 0.3 and corner.get_ylim()[0] >= 0.7  # all near 1: the corner, where they differ


def test_run_report_confusion_caption_names_the_most_frequent_mistake():
    from neurona.report.run_report import confusion_caption

    y = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    predicted = np.array([0, 2, 2, 1, 0, 2, 2, 2])
    assert "a taken for c, 2 of 3 samples of a" in confusion_caption(y, predicted, ["a", "b", "c"])
    assert "Every held-out sample is on the diagonal" in confusion_caption(y, y, None)


def test_run_report_roc_caption_names_the_weakest_and_strongest_class():
    from neurona.report.run_report import roc_caption

    y = np.repeat(np.arange(5), 20)
    proba = np.full((100, 5), 0.1)
    proba[np.arange(100), y] = 0.6
    proba[:20, 0], proba[:20, 1] = 0.1, 0.6  # class 0 is always mistaken for class 1
    caption = roc_caption(y, proba, ["a", "b", "c", "d", "e"])
    assert f"from {roc_auc_score(y == 0, proba[:, 0]):.3f} (a)" in caption and "to 1.000" in caption
    assert "hugs the top-left" in roc_caption(y % 3, proba[:, :3], None)


# ---- decision boundary ---------------------------------------------------------------------------
@pytest.fixture
def blobs():
    rng = np.random.default_rng(2)
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = np.repeat([0, 1, 2], 30)
    X = centers[y] + rng.normal(scale=0.6, size=(90, 2))
    return X[::2], y[::2], X[1::2], y[1::2]


def nearest_center_proba(points):
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    logits = -((points[:, None, :] - centers[None]) ** 2).sum(-1)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_decision_boundary_with_a_label_predictor(blobs):
    X, y, Xt, yt = blobs
    seen = []

    def predict(points):
        seen.append(points.shape)
        return nearest_center_proba(points).argmax(axis=1)

    fig = report.decision_boundary(predict, X, y, Xt, yt, resolution=40, class_names=["a", "b", "c"])
    assert seen[0] == (1600, 2)
    (ax,) = fig.axes
    assert legend_texts(ax) == ["a (train)", "b (train)", "c (train)", "a (test)", "b (test)", "c (test)"]
    assert len(ax.collections) >= 1 + 6  # filled regions and one scatter per class and split
    assert re.fullmatch(r"train accuracy [01]\.\d{3}, test accuracy [01]\.\d{3}", ax.get_title())


def test_decision_boundary_with_a_probability_predictor(blobs):
    X, y, _, _ = blobs
    fig = report.decision_boundary(nearest_center_proba, X, y, resolution=30)
    assert len(fig.axes) == 1 and legend_texts(fig.axes[0]) == ["0", "1", "2"]
    binary = y < 2
    fig = report.decision_boundary(
        lambda p: nearest_center_proba(p)[:, :2] / nearest_center_proba(p)[:, :2].sum(1, keepdims=True),
        X[binary],
        y[binary],
        resolution=30,
    )
    assert len(fig.axes) == 2  # probability shading comes with a colour bar
    assert fig.axes[1].get_ylabel() == "P(1)"


@pytest.mark.parametrize("shape", ["(m,)", "(m, 1)"])
def test_decision_boundary_with_a_sigmoid_output(shape):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)

    def predict(points):
        p = 1 / (1 + np.exp(-(points[:, 0] - points[:, 1]) * 3))
        return p if shape == "(m,)" else p[:, None]

    fig = report.decision_boundary(predict, X, y, resolution=25, class_names=["below", "above"])
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "train accuracy 1.000"


def test_decision_boundary_with_a_neurona_model(blobs):
    X, y, _, _ = blobs
    nr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))
    fig = report.decision_boundary(lambda p: model(nr.tensor(p)).softmax(-1), X, y, resolution=20)
    assert isinstance(fig, Figure)


def test_decision_boundary_errors(blobs):
    X, y, _, _ = blobs
    with pytest.raises(ShapeError, match=r"shape \(n, 2\)"):
        report.decision_boundary(nearest_center_proba, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ShapeError, match="predict_fn returned shape"):
        report.decision_boundary(lambda p: np.zeros(3), X, y, resolution=10)
    with pytest.raises(ValueError, match="X_test needs y_test"):
        report.decision_boundary(nearest_center_proba, X, y, X)


# ---- regression, histograms, images --------------------------------------------------------------
def test_regression_figure_shows_r2_and_rmse():
    rng = np.random.default_rng(4)
    y = rng.normal(size=100)
    pred = y + rng.normal(scale=0.3, size=100)
    fig = report.regression_figure(y[:, None], nr.tensor(pred))
    fit, residual = fig.axes
    rmse = np.sqrt(np.mean((y - pred.astype(np.float32)) ** 2))
    assert fit.get_title() == f"R² = {r2_score(y, pred.astype(np.float32)):.3f}, RMSE = {rmse:.3g}"
    assert legend_texts(fit) == ["samples", "perfect prediction"]
    assert residual.get_title() == "residuals"
    with pytest.raises(ShapeError, match="one output"):
        report.regression_figure(np.zeros((5, 2)), np.zeros((5, 2)))


def test_histograms_one_panel_per_array():
    rng = np.random.default_rng(5)
    w = rng.normal(size=(32, 16))
    arrays = {"fc1.weight": w, "fc1.bias": nr.zeros(32), "grad": np.array([1.0, np.nan, np.inf, 3.0])}
    fig = report.histograms(arrays, title="weights")
    assert len(fig.axes) == 3 and fig.get_suptitle() == "weights"
    assert fig.axes[0].get_title() == f"fc1.weight\nmean={w.mean():.3g}  std={w.std():.3g}"
    assert fig.axes[2].get_title().endswith("(2 non-finite)")


@pytest.mark.parametrize("shape", [(10, 1, 8, 8), (10, 3, 8, 8), (10, 8, 8)])
def test_image_grid_one_axes_per_image(shape):
    images = np.random.default_rng(6).random(shape).astype(np.float32)
    fig = report.image_grid(images, nrow=4, titles=[f"#{i}" for i in range(10)])
    assert len(fig.axes) == 10
    assert fig.axes[3].get_title() == "#3"
    shown = fig.axes[0].get_images()[0].get_array()
    assert shown.min() == 0.0 and shown.max() == 1.0  # stretched to its own range


def test_image_grid_normalisation_and_errors():
    images = np.stack([np.full((4, 4), 64, np.uint8), np.full((4, 4), 255, np.uint8)])
    fig = report.image_grid(images, normalize=None)
    assert fig.axes[0].get_images()[0].get_array().max() == pytest.approx(64 / 255)
    with pytest.raises(ShapeError, match="C in 1, 3, 4"):
        report.image_grid(np.zeros((2, 5, 4, 4)))
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        report.image_grid(np.zeros((3, 4, 4)), titles=["a", "b"])


# ---- output --------------------------------------------------------------------------------------
def test_every_function_saves_a_png(tmp_path, three_classes, blobs):
    y, proba = three_classes
    X, yb, _, _ = blobs
    figures = {
        "curves": lambda path: report.learning_curves(HISTORY, path=path),
        "cm": lambda path: report.confusion_matrix_figure(y, proba.argmax(1), path=path),
        "roc": lambda path: report.roc_figure(y, proba, path=path),
        "boundary": lambda path: report.decision_boundary(
            nearest_center_proba, X, yb, resolution=20, path=path
        ),
        "regression": lambda path: report.regression_figure([1.0, 2.0, 3.0], [1.0, 2.5, 2.5], path=path),
        "hist": lambda path: report.histograms({"w": np.arange(10.0)}, path=path),
        "grid": lambda path: report.image_grid(np.zeros((2, 4, 4)), path=path),
        "lines": lambda path: report.line_figure({"a": [1, 2]}, path=path),
    }
    for name, make in figures.items():
        path = tmp_path / "figures" / f"{name}.png"
        assert isinstance(make(path), Figure)
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
    assert sorted(os.listdir(tmp_path / "figures")) == sorted(f"{n}.png" for n in figures)  # no temp files


def test_png_bytes_data_uri_and_atomic_save(tmp_path, monkeypatch):
    fig = report.line_figure({"a": [1.0, 2.0]})
    png = report.figure_to_png_bytes(fig)
    assert png[:8] == PNG_SIGNATURE
    uri = report.figure_to_data_uri(fig)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:8] == PNG_SIGNATURE

    path = report.save_figure(fig, tmp_path / "fig.png")
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="simulated"):
        report.line_figure({"b": [3.0, 1.0]}, path=path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["fig.png"]
    assert report.save_figure(fig, tmp_path / "fig.svg").read_bytes().lstrip().startswith(b"<?xml")
    with pytest.raises(ValueError, match="cannot tell the format"):
        report.save_figure(fig, tmp_path / "fig.bmp")


def test_histograms_label_their_axes_and_keep_few_ticks():
    rng = np.random.default_rng(0)
    fig = report.histograms({"fc1.weight": rng.normal(0, 0.05, 4000), "fc1.bias": rng.uniform(-1e-3, 1e-3, 64),
                             "fc2.weight": rng.normal(3e4, 1e3, 500)})
    fig.canvas.draw()
    for ax in fig.axes:
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("value", "count")
        labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
        boxes = [t.get_window_extent() for t in labels if ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
        assert len(boxes) <= 6
        assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:]))  # tick labels do not overlap
