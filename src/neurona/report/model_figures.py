"""Figures chosen by what the model and the data are, for the run report.

- convolutional models: the first conv layer's filters, its feature maps for a few test inputs, and a grid of
  misclassified test images (image data only);
- recurrent models: the forecast against the truth (regression) or per-class accuracy (classification);
- 2-D regression: the learned surface beside the data;
- linear / logistic models (one Linear layer and nothing else with weights): coefficients per feature name.

Each builder returns a ``matplotlib.figure.Figure`` (own Agg canvas, no pyplot state);
:func:`add_model_figures` picks the ones that fit and adds them to a report with a caption saying what to
look at, saving each under a stable name in ``figures/``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from neurona.errors import ShapeError, fmt_shape
from neurona.nn.conv import Conv1d, Conv2d
from neurona.nn.linear import Linear
from neurona.nn.recurrent import RNNBase
from neurona.tensor import Tensor, no_grad

MAX_FILTERS = 32
MAX_MAPS = 8
MAX_MISCLASSIFIED = 16
FORECAST_STRETCH = 200


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def first_conv(model: Any) -> Conv1d | Conv2d | None:
    """The first Conv1d/Conv2d of ``model`` in registration order, or None."""
    return next((m for m in model.modules() if isinstance(m, Conv1d | Conv2d)), None)


def is_recurrent(model: Any) -> bool:
    return any(isinstance(m, RNNBase) for m in model.modules())


def single_linear(model: Any) -> Linear | None:
    """The model's only Linear layer when nothing else in it has weights (a linear/logistic model), else None."""
    with_params = [m for m in model.modules() if any(True for _ in m.parameters(recurse=False))]
    return with_params[0] if len(with_params) == 1 and isinstance(with_params[0], Linear) else None


# --------------------------------------------------------------------------------------------------
# Convolutional models
# --------------------------------------------------------------------------------------------------
def conv_filters_figure(conv: Conv1d | Conv2d, max_filters: int = MAX_FILTERS) -> Figure:
    """The filters of a conv layer: one image per filter (Conv2d, input channels averaged) or one line plot
    per filter with a line per input channel (Conv1d). At most ``max_filters`` are drawn."""
    w = conv.weight.data
    n = min(w.shape[0], max_filters)
    ncol = min(n, 8)
    nrow = math.ceil(n / ncol)
    fig = _figure(1.5 * ncol + 0.6, 1.5 * nrow + 0.6)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    limit = float(np.abs(w[:n]).max()) or 1.0
    image = None
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_axis_off()
            continue
        ax.set_title(f"filter {i}", fontsize=8)
        if w.ndim == 4:
            image = ax.imshow(w[i].mean(0), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            for c in range(w.shape[1]):
                ax.plot(np.arange(w.shape[2]), w[i, c], lw=1.2, label=f"in {c}")
            ax.axhline(0, color="0.7", lw=0.6)
            ax.set_ylim(-limit * 1.05, limit * 1.05)
            ax.tick_params(labelsize=6)
        if i % ncol == 0:
            ax.set_ylabel("row" if w.ndim == 4 else "weight", fontsize=7)
        if i // ncol == nrow - 1 or i + ncol >= n:
            ax.set_xlabel("column" if w.ndim == 4 else "tap", fontsize=7)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
    kind = "2-D, mean over input channels" if w.ndim == 4 else "1-D"
    fig.suptitle(f"First conv layer: {n} of {w.shape[0]} filters ({kind})")
    return fig


def conv_outputs(model: Any, conv: Conv1d | Conv2d, X: np.ndarray) -> np.ndarray:
    """The output of ``conv`` when ``model`` runs on ``X`` (eval mode, no graph)."""
    captured: list[np.ndarray] = []
    handle = conv.register_forward_hook(lambda _m, _inputs, out: captured.append(out.data.copy()))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(Tensor(np.ascontiguousarray(X, dtype=np.float32)))
    finally:
        handle.remove()
        model.train(was_training)
    if not captured:
        raise RuntimeError("the first conv layer did not run in the model's forward pass")
    return captured[0]


def feature_maps_figure(inputs: np.ndarray, maps: np.ndarray, labels: Sequence[str] | None = None,
                        max_maps: int = MAX_MAPS) -> Figure:
    """Inputs (rows) beside the feature maps the first conv layer makes of them.

    2-D: the input image then one image per channel (at most ``max_maps``). 1-D: the input signal, then a heat
    map of channel x position."""
    if len(inputs) != len(maps):
        raise ShapeError(f"inputs and maps must have the same length, got {len(inputs)} and {len(maps)}")
    rows = len(inputs)
    labels = list(labels) if labels is not None else [f"input {i}" for i in range(rows)]
    if maps.ndim == 4:
        k = min(maps.shape[1], max_maps)
        fig = _figure(1.5 * (k + 1) + 0.5, 1.6 * rows + 0.6)
        axes = fig.subplots(rows, k + 1, squeeze=False)
        for r in range(rows):
            axes[r, 0].imshow(inputs[r].mean(0), cmap="gray")
            axes[r, 0].set_title(labels[r], fontsize=8)
            axes[r, 0].set_ylabel("row", fontsize=7)
            for c in range(k):
                axes[r, c + 1].imshow(maps[r, c], cmap="viridis")
                axes[r, c + 1].set_title(f"channel {c}", fontsize=8)
            for ax in axes[r]:
                ax.set_xticks([])
                ax.set_yticks([])
        for ax in axes[-1]:
            ax.set_xlabel("column", fontsize=7)
    elif maps.ndim == 3:
        k = min(maps.shape[1], max_maps)
        fig = _figure(10, 2.0 * rows + 0.6)
        axes = fig.subplots(rows, 2, squeeze=False, width_ratios=[1, 2])
        for r in range(rows):
            for c in range(inputs.shape[1]):
                axes[r, 0].plot(inputs[r, c], lw=1)
            axes[r, 0].set_title(labels[r], fontsize=9)
            axes[r, 0].set_ylabel("value")
            image = axes[r, 1].imshow(maps[r, :k], aspect="auto", cmap="viridis", interpolation="nearest")
            axes[r, 1].set_ylabel("channel")
            axes[r, 1].set_title(f"feature maps (first {k} channels)", fontsize=9)
            fig.colorbar(image, ax=axes[r, 1], label="activation")
        axes[-1, 0].set_xlabel("time step")
        axes[-1, 1].set_xlabel("position")
    else:
        raise ShapeError(f"feature maps must be (N, C, L) or (N, C, H, W), got {fmt_shape(maps.shape)}")
    fig.suptitle("Feature maps of the first conv layer")
    return fig


def misclassified_figure(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
                         class_names: Sequence[str] | None = None, limit: int = MAX_MISCLASSIFIED) -> Figure | None:
    """A grid of the first ``limit`` misclassified images, titled true/predicted by class name; None if none."""
    if images.ndim != 4:
        raise ShapeError(f"images must be (N, C, H, W), got {fmt_shape(images.shape)}")
    wrong = np.flatnonzero(y_true != y_pred)[:limit]
    if len(wrong) == 0:
        return None

    def name(k: int) -> str:
        return str(class_names[k]) if class_names is not None and k < len(class_names) else str(k)

    ncol = min(len(wrong), 8)
    nrow = math.ceil(len(wrong) / ncol)
    fig = _figure(1.5 * ncol + 0.4, 1.8 * nrow + 0.6)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, i in zip(axes.flat, wrong, strict=False):
        img = images[i]
        ax.imshow(img[0] if img.shape[0] == 1 else np.moveaxis(img, 0, -1).clip(0, 1), cmap="gray")
        ax.set_title(f"true: {name(int(y_true[i]))}\npred: {name(int(y_pred[i]))}", fontsize=8, color="firebrick")
    fig.suptitle(f"Misclassified test images ({int((y_true != y_pred).sum())} of {len(y_true)}; "
                 f"first {len(wrong)} shown)")
    return fig


# --------------------------------------------------------------------------------------------------
# Recurrent models
# --------------------------------------------------------------------------------------------------
def forecast_figure(X: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, windows: int = 3,
                    stretch: int = FORECAST_STRETCH) -> Figure:
    """Top: ``windows`` test inputs over time with the true continuation and the forecast after them.
    Bottom: truth and forecast (first output step) for the first ``stretch`` test samples, and their error."""
    if X.ndim != 3 or len(X) != len(y_true) or len(y_true) != len(y_pred):
        raise ShapeError(f"forecast_figure needs X (N, T, F) and N targets and forecasts, got X "
                         f"{fmt_shape(X.shape)}, {len(y_true)} targets, {len(y_pred)} forecasts")
    t_all = np.asarray(y_true).reshape(len(y_true), -1)
    p_all = np.asarray(y_pred).reshape(len(y_pred), -1)
    windows = min(windows, len(X))
    fig = _figure(11, 7)
    top_axes = fig.subfigures(2, 1, height_ratios=[1, 1.3])
    tops = top_axes[0].subplots(1, windows, squeeze=False, sharey=True)[0]
    length, horizon = X.shape[1], t_all.shape[1]
    for i, ax in enumerate(tops):
        ax.plot(np.arange(length), X[i, :, 0], color="0.4", lw=1, label="input window")
        future = np.arange(length, length + horizon)
        ax.plot(future, t_all[i], "o-", color="0.1", ms=4, label="truth")
        ax.plot(future, p_all[i], "x--", color="tab:orange", ms=6, mew=2, label="forecast")
        ax.set_title(f"test sample #{i}", fontsize=9)
        ax.set_xlabel("time step")
    tops[0].set_ylabel("value")
    tops[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    top_axes[0].suptitle("Input windows and what comes next", fontsize=10)
    t, p = t_all[:stretch, 0], p_all[:stretch, 0]
    steps = np.arange(len(t))
    mid, bottom = top_axes[1].subplots(2, 1, sharex=True, height_ratios=[3, 1])
    mid.plot(steps, t, "o", color="0.2", ms=3, label="truth")
    mid.plot(steps, p, "x", color="tab:orange", ms=4, label="forecast")
    mid.vlines(steps, t, p, color="tab:red", lw=0.5, alpha=0.6)
    mid.set_ylabel("next value")
    mid.set_title(f"Forecast vs truth over {len(t)} test samples", fontsize=10)
    mid.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    bottom.plot(steps, p - t, ".", color="tab:red", ms=3)
    bottom.axhline(0, color="0.6", lw=0.8)
    bottom.set_ylabel("error")
    bottom.set_title("error = forecast - truth", fontsize=9)
    bottom.set_xlabel("test sample")
    return fig


def per_class_accuracy_figure(y_true: np.ndarray, y_pred: np.ndarray,
                              class_names: Sequence[str] | None = None) -> Figure:
    """Accuracy (recall) of each class as bars, with the overall accuracy as a line."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    k = max(int(y_true.max()), int(y_pred.max())) + 1
    if class_names is not None:
        k = max(k, len(class_names))
    names = [str(class_names[i]) if class_names is not None and i < len(class_names) else str(i) for i in range(k)]
    acc = np.array([(y_pred[y_true == i] == i).mean() if (y_true == i).any() else np.nan for i in range(k)])
    fig = _figure(max(5.0, 0.7 * k + 2), 4)
    ax = fig.subplots()
    ax.bar(np.arange(k), np.nan_to_num(acc), color="tab:blue", label="per class")
    ax.axhline(float((y_true == y_pred).mean()), color="tab:red", ls="--", label="overall")
    ax.set_xticks(np.arange(k), names, rotation=30 if k > 6 else 0)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("true class")
    ax.set_ylabel("accuracy (recall)")
    ax.set_title("Per-class accuracy")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


# --------------------------------------------------------------------------------------------------
# 2-D regression and linear models
# --------------------------------------------------------------------------------------------------
def surface_figure(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                   feature_names: Sequence[str] | None = None, resolution: int = 120) -> Figure:
    """The data (points coloured by target) beside the learned surface (heat map, same colour scale, with the
    points over it)."""
    if X.ndim != 2 or X.shape[1] != 2:
        raise ShapeError(f"surface_figure needs 2 input features, got X of shape {fmt_shape(X.shape)}")
    y = np.asarray(y).reshape(-1)
    names = list(feature_names) if feature_names is not None and len(feature_names) == 2 else ["x1", "x2"]
    pad = 0.05 * (X.max(0) - X.min(0) + 1e-9)
    g0 = np.linspace(X[:, 0].min() - pad[0], X[:, 0].max() + pad[0], resolution)
    g1 = np.linspace(X[:, 1].min() - pad[1], X[:, 1].max() + pad[1], resolution)
    xx, yy = np.meshgrid(g0, g1)
    zz = np.asarray(predict(np.c_[xx.ravel(), yy.ravel()].astype(np.float32))).reshape(-1)[: xx.size].reshape(xx.shape)
    lo, hi = float(min(y.min(), zz.min())), float(max(y.max(), zz.max()))
    fig = _figure(11, 4.6)
    left, right = fig.subplots(1, 2, sharex=True, sharey=True)
    left.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", vmin=lo, vmax=hi, s=14, edgecolors="k",
                          linewidths=0.3)
    left.set_title("Data (colour: target)")
    mesh = right.contourf(xx, yy, zz, levels=20, cmap="coolwarm", vmin=lo, vmax=hi)
    right.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", vmin=lo, vmax=hi, s=14, edgecolors="k", linewidths=0.3)
    right.set_title("Learned surface with the same points")
    for ax in (left, right):
        ax.set_xlabel(names[0])
    left.set_ylabel(names[1])
    fig.colorbar(mesh, ax=[left, right], label="target / prediction")
    return fig


def coefficients_figure(weight: np.ndarray, bias: np.ndarray | None = None,
                        feature_names: Sequence[str] | None = None,
                        output_names: Sequence[str] | None = None) -> Figure:
    """A linear layer's coefficients as horizontal bars per feature, one colour per output (class)."""
    w = np.asarray(weight)
    if w.ndim != 2:
        raise ShapeError(f"weight must be (outputs, features), got {fmt_shape(w.shape)}")
    n_out, n_in = w.shape
    feats = list(feature_names) if feature_names is not None and len(feature_names) == n_in else [
        f"feature {i}" for i in range(n_in)]
    outs = list(output_names) if output_names is not None and len(output_names) == n_out else (
        ["output"] if n_out == 1 else [f"output {i}" for i in range(n_out)])
    fig = _figure(9, max(3.0, 0.35 * n_in * max(1, min(n_out, 3)) + 1.2))
    ax = fig.subplots()
    height = 0.8 / n_out
    pos = np.arange(n_in)
    for j in range(n_out):
        ax.barh(pos - 0.4 + height * (j + 0.5), w[j], height=height, label=str(outs[j]))
    ax.set_yticks(pos, feats)
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("coefficient (weight)")
    ax.set_ylabel("input feature")
    title = "Coefficients of the linear layer"
    if bias is not None:
        b = np.asarray(bias).reshape(-1)
        title += "; bias " + ", ".join(f"{v:.3g}" for v in b[:6]) + (" ..." if len(b) > 6 else "")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="class" if n_out > 1 else None)
    return fig


# --------------------------------------------------------------------------------------------------
# Choosing and adding
# --------------------------------------------------------------------------------------------------
def add_model_figures(report: Any, model: Any, bundle: Any, split: Any, trainer: Any, X: np.ndarray,
                      y: np.ndarray, fig_dir: Path, part: str = "test") -> list[str]:
    """Add the figures that fit this model and data to ``report`` under one section; return their file names."""
    written: list[str] = []
    names = bundle.target_names
    classification = bundle.task == "classification"

    def add(fig: Any, caption: str, file: str) -> None:
        if fig is None:
            return
        if not written:
            report.section("What this model learned")
        report.figure(fig, caption, fig_dir / file)
        written.append(file)

    conv = first_conv(model)
    if conv is not None and len(X):
        kind = "2-D" if isinstance(conv, Conv2d) else "1-D"
        add(conv_filters_figure(conv),
            f"First conv layer's filters ({kind}). Look for structure: edge, blob or frequency detectors show "
            "smooth patterns of opposite sign; filters that still look like random noise learned little.",
            "conv_filters.png")
        pick = X[:3]
        labels = [f"{part} #{i}" + (f" ({names[int(y[i])]})" if classification and names else "")
                  for i in range(len(pick))]
        add(feature_maps_figure(pick, conv_outputs(model, conv, pick), labels),
            "What the first conv layer makes of 3 held-out inputs, one row each: each channel responds to a "
            "different pattern; bright regions show where its filter matched. Channels that stay flat are unused.",
            "feature_maps.png")
        if classification and X.ndim == 4:
            pred = trainer.predict_proba(X).argmax(1)
            add(misclassified_figure(X, y, pred, names),
                f"Misclassified {part} images with their true and predicted class. Look for patterns: "
                "ambiguous or badly written samples are forgivable, systematic confusions point at what the "
                "model has not learned.", "misclassified.png")
    if is_recurrent(model) and len(X):
        if classification:  # float features (N, L, F) or token ids (N, L)
            add(per_class_accuracy_figure(y, trainer.predict_proba(X).argmax(1), names),
                f"Accuracy of each class on the {part} split (dashed: overall). A class far below the line is one "
                "the sequence model confuses with others; check it in the confusion matrix.",
                "per_class_accuracy.png")
        elif X.ndim == 3:
            add(forecast_figure(X, y, trainer.predict(X)),
                f"Top: {part} input windows over time with the true next value(s) and the forecast. Bottom: "
                f"forecast against truth over a stretch of {part} samples, with the error. Look at the peaks and "
                "turning points: a model that only repeats the last input value misses them.", "forecast.png")
    if not classification and X.ndim == 2 and X.shape[1] == 2 and len(X):
        add(surface_figure(lambda pts: trainer.predict(pts), split.X_train, split.y_train, bundle.feature_names),
            "Training data (left) beside the surface the model learned (right), on one colour scale. Where the "
            "points' colours differ from the surface under them, the model misfits; a good fit is smooth "
            "between points, without ripples that follow the noise.", "surface.png")
    linear = single_linear(model)
    if linear is not None and X.ndim == 2:
        bias = linear.bias.data if linear.bias is not None else None
        add(coefficients_figure(linear.weight.data, bias, bundle.feature_names,
                                names if classification else None),
            "Each input feature's weight (per class for a classifier), on the scaled inputs the model saw. "
            "Long bars are features that move the output most; the sign says in which direction. Compare "
            "features only when they share a scale (scale: standard).", "coefficients.png")
    return written
