"""Figures of a training run: learning curves, line plots, histograms, image grids, regression fits.

Every function builds a ``matplotlib.figure.Figure`` with its own Agg canvas, never through pyplot, so
no global figure state is touched: figures do not pile up in long runs, nothing pops up on a server,
and the notebook backend stays as it was (Jupyter still shows a returned Figure). Each function takes
an optional ``path`` and then also writes the figure there, atomically (temporary file + rename).
``figure_to_data_uri`` embeds a figure in a self-contained HTML report.

Classifier figures (confusion matrix, ROC, decision boundary) live in :mod:`neurona.report.classifier`.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from neurona.errors import ShapeError, fmt_shape
from neurona.io.atomic import atomic_write_bytes
from neurona.tensor import to_numpy

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg"}
_LR_KEYS = ("lr", "learning_rate")


# --------------------------------------------------------------------------------------------------
# Output: bytes, data URIs, files
# --------------------------------------------------------------------------------------------------
def figure_to_png_bytes(fig: Figure, dpi: float = 120) -> bytes:
    """The figure rendered as PNG bytes.

    Examples
    --------
    >>> png = figure_to_png_bytes(line_figure({"loss": [1.0, 0.5, 0.3]}))
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figure_to_data_uri(fig: Figure, dpi: float = 120) -> str:
    """The figure as a ``data:image/png;base64,...`` URI, for ``<img src=...>`` in a self-contained HTML page.

    Examples
    --------
    >>> uri = figure_to_data_uri(line_figure({"loss": [1.0, 0.5]}))
    >>> uri.startswith("data:image/png;base64,")
    True
    """
    return "data:image/png;base64," + base64.b64encode(figure_to_png_bytes(fig, dpi)).decode("ascii")


def save_figure(fig: Figure, path: str | os.PathLike, dpi: float = 120) -> Path:
    """Write the figure to ``path`` atomically; the format follows the suffix (.png, .svg, .pdf, .jpg).

    Examples
    --------
    >>> save_figure(fig, "runs/mlp/curves.png")  # doctest: +SKIP
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"save_figure: cannot tell the format of {path}; use one of {', '.join(_FORMATS)}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path


# --------------------------------------------------------------------------------------------------
# Helpers shared with classifier.py
# --------------------------------------------------------------------------------------------------
def _new_figure(
    n_panels: int, ncols: int = 3, panel_size: tuple[float, float] = (4.2, 3.2)
) -> tuple[Figure, list[Axes]]:
    """A Figure on its own Agg canvas (no pyplot) with ``n_panels`` axes in a grid."""
    ncols = max(1, min(ncols, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in grid[n_panels:]:
        fig.delaxes(ax)
    return fig, list(grid[:n_panels])


def _finish(fig: Figure, path: str | os.PathLike | None, title: str | None = None) -> Figure:
    if title:
        fig.suptitle(title)
    if path is not None:
        save_figure(fig, path)
    return fig


def _to_numpy(value: Any, name: str) -> np.ndarray:
    """NumPy array from an array, list, neurona Tensor or torch tensor."""
    try:
        return to_numpy(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} must be array-like, got {type(value).__name__}: {e}") from e


def _numeric_1d(value: Any, name: str) -> np.ndarray:
    array = _to_numpy(value, name)
    if array.dtype == object or array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ShapeError(f"{name} must be 1-D, got shape {fmt_shape(array.shape)}")
    return array.astype(np.float64)


# --------------------------------------------------------------------------------------------------
# Training curves and generic lines
# --------------------------------------------------------------------------------------------------
def learning_curves(
    history: Mapping[str, Sequence[float]] | Any,
    *,
    log_scale: bool = False,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Per-epoch curves: one panel for the loss, one per metric (train vs validation), one for the LR.

    Parameters
    ----------
    history : dict of str to list of float, or History
        Keras-style: ``{'loss': [...], 'val_loss': [...], 'accuracy': [...], 'val_accuracy': [...],
        'lr': [...]}``; an object with a ``.history`` dict is accepted too. ``val_x`` is drawn in the
        panel of ``x``.
    log_scale : bool, default False
        Logarithmic y axis for the loss panels (the learning-rate panel is always logarithmic).
    title : str, optional
        Figure title.
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = learning_curves({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss']
    """
    if isinstance(getattr(history, "history", None), Mapping):
        history = history.history
    if not isinstance(history, Mapping) or not history:
        raise ValueError(
            f"learning_curves: history must be a non-empty dict of per-epoch lists, got {history!r}"
        )
    curves = {key: _numeric_1d(values, f"history[{key!r}]") for key, values in history.items()}
    if all(c.size == 0 for c in curves.values()):
        raise ValueError("learning_curves: every list in history is empty; train for at least one epoch")

    panels: list[tuple[str, list[str]]] = []
    bases = [k for k in curves if not k.startswith("val_") and k not in _LR_KEYS]
    bases.sort(key=lambda k: k != "loss")  # the loss first, the rest in history order
    for base in bases:
        panels.append((base, [base] + ([f"val_{base}"] if f"val_{base}" in curves else [])))
    panels += [(k[4:], [k]) for k in curves if k.startswith("val_") and k[4:] not in curves]
    # a constant learning rate would be a flat panel: it is drawn only when a schedule changed it
    panels += [("learning rate", [k]) for k in curves if k in _LR_KEYS and np.unique(curves[k]).size > 1]
    if not panels:
        panels = [(k, [k]) for k in curves]

    fig, axes = _new_figure(len(panels))
    for ax, (name, keys) in zip(axes, panels):
        for key in keys:
            y = curves[key]
            label = ("validation" if key.startswith("val_") else "train") if len(keys) == 2 else key
            ax.plot(np.arange(1, y.size + 1), y, marker="o" if y.size <= 30 else None, ms=3, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        values = np.concatenate([curves[k] for k in keys])
        if name == "learning rate" or (log_scale and "loss" in name):
            ax.set_yscale("log" if np.all(values[np.isfinite(values)] > 0) else "symlog")
        ax.legend()
    return _finish(fig, path, title)


def mark_epoch(fig: Figure, epoch: int, label: str) -> Figure:
    """A dashed vertical line at ``epoch`` (1-based) on every axes of ``fig``, named in the legend."""
    for ax in fig.axes:
        below = _legend_is_below(ax)  # a line_figure's legend: it stays below the axes
        before = len(ax.get_legend_handles_labels()[0])
        ax.axvline(epoch, color="#555555", linestyle="--", linewidth=1, label=label)
        if below:
            _legend_below(ax, before + 1, grow_from=before)
        else:
            ax.legend()
    return fig


def line_figure(
    series: Mapping[str, Any],
    xlabel: str = "step",
    ylabel: str = "value",
    title: str | None = None,
    *,
    x: Sequence[float] | None = None,
    log_y: bool = False,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Several named lines on one axes: optimiser races, learning-rate schedules, any curve over steps.

    Parameters
    ----------
    series : dict of str to list of float, or to an ``(x, y)`` pair
        One line each; plain lists are drawn against ``x`` (default ``0, 1, 2, ...``).
    xlabel, ylabel, title : str
        Axis labels and title.
    x : sequence of float, optional
        Shared x values for the series given as plain lists.
    log_y : bool, default False
        Logarithmic y axis.
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = line_figure({"SGD": [1.0, 0.6, 0.5], "Adam": [1.0, 0.3, 0.1]}, "step", "loss")
    >>> len(fig.axes[0].get_lines())
    2
    """
    if not isinstance(series, Mapping) or not series:
        raise ValueError("line_figure: series must be a non-empty dict of name -> list of values")
    fig, (ax,) = _new_figure(1, panel_size=(6.4, 4.0))
    for name, values in series.items():
        if isinstance(values, tuple) and len(values) == 2 and all(np.ndim(v) == 1 for v in values):
            xs, ys = (
                _numeric_1d(values[0], f"series[{name!r}][0]"),
                _numeric_1d(values[1], f"series[{name!r}][1]"),
            )
        else:
            ys = _numeric_1d(values, f"series[{name!r}]")
            xs = np.arange(ys.size, dtype=np.float64) if x is None else _numeric_1d(x, "x")[: ys.size]
        if xs.size != ys.size:
            raise ShapeError(f"line_figure: series {name!r} has {ys.size} y values but {xs.size} x values")
        ax.plot(xs, ys, label=str(name))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    _legend_below(ax, len(series))  # below the lines, never on them
    return _finish(fig, path)


def _legend_below(ax: Axes, entries: int, grow_from: int = 0, row_inches: float = 0.24) -> None:
    """A legend under the axes, two entries per row; the figure grows by ``row_inches`` per row added since
    it held ``grow_from`` entries."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(entries, 2), fontsize=9)
    rows = math.ceil(entries / 2) - math.ceil(grow_from / 2)
    width, height = ax.figure.get_size_inches()
    ax.figure.set_size_inches(width, height + row_inches * rows)


def _legend_is_below(ax: Axes) -> bool:
    """Whether ``ax`` has a legend anchored under it (as :func:`_legend_below` places it)."""
    legend = ax.get_legend()
    return legend is not None and legend.get_bbox_to_anchor().transformed(ax.transAxes.inverted()).y1 < 0


# --------------------------------------------------------------------------------------------------
# Distributions and images
# --------------------------------------------------------------------------------------------------
def histograms(
    named_arrays: Mapping[str, Any],
    title: str | None = None,
    *,
    bins: int = 50,
    ncols: int = 4,
    path: str | os.PathLike | None = None,
) -> Figure:
    """One histogram per named array (per-layer weights, activations or gradients), mean and std on top.

    Parameters
    ----------
    named_arrays : dict of str to array-like
        E.g. ``{name: p.data for name, p in model.named_parameters()}``; Tensors are accepted.
    title : str, optional
        Figure title, e.g. ``"weights after epoch 5"``.
    bins : int, default 50
        Bins per histogram.
    ncols : int, default 4
        Panels per row.
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = histograms({"fc1.weight": np.random.randn(64, 32), "fc1.bias": np.zeros(64)})
    >>> fig.axes[0].get_title().splitlines()[0]
    'fc1.weight'
    """
    if not isinstance(named_arrays, Mapping) or not named_arrays:
        raise ValueError("histograms: named_arrays must be a non-empty dict of name -> array")
    fig, axes = _new_figure(len(named_arrays), ncols, panel_size=(3.2, 2.5))
    for ax, (name, value) in zip(axes, named_arrays.items()):
        values = _to_numpy(value, f"named_arrays[{name!r}]").astype(np.float64).ravel()
        finite = values[np.isfinite(values)]
        label = f"{name}\n"
        if finite.size:
            ax.hist(finite, bins=bins, color="C0", alpha=0.85)
            label += f"mean={finite.mean():.3g}  std={finite.std():.3g}"
        else:
            ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
        if finite.size < values.size:
            label += f"  ({values.size - finite.size} non-finite)"
        ax.set_title(label, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # a few short tick labels that never overlap
        ax.set_xlabel("value", fontsize=8)
        ax.set_ylabel("count", fontsize=8)
    return _finish(fig, path, title)


def image_grid(
    images: Any,
    nrow: int = 8,
    titles: Sequence[str] | None = None,
    *,
    normalize: str | None = "each",
    cmap: str = "gray",
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Images in a grid, ``nrow`` per row: reconstructions, generated samples, learned filters.

    Parameters
    ----------
    images : array-like of shape (n, C, H, W) with C in {1, 3, 4}, or (n, H, W)
        Channels first, as in torch and neurona. Tensors are accepted.
    nrow : int, default 8
        Images per row (torchvision's ``make_grid`` meaning).
    titles : sequence of str, optional
        One caption per image (e.g. the predicted class).
    normalize : {'each', 'all', None}, default 'each'
        Stretch each image to its own range ('each', best for filters), all images to the shared
        range ('all'), or show values as they are (None: floats in [0, 1], uint8 in [0, 255]).
    cmap : str, default 'gray'
        Colour map of single-channel images.
    title : str, optional
        Figure title.
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = image_grid(np.random.rand(16, 1, 28, 28), nrow=8)
    >>> len(fig.axes)
    16
    """
    array = _to_numpy(images, "images")
    if array.ndim == 4 and array.shape[1] in (1, 3, 4):
        array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
    elif array.ndim != 3:
        raise ShapeError(
            f"image_grid: images must have shape (n, C, H, W) with C in 1, 3, 4, or (n, H, W); got "
            f"{fmt_shape(array.shape)}. For filters with other channel counts, show one channel at a "
            "time or reshape to (n * C, H, W)."
        )
    if not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"image_grid: nrow must be a positive int, got {nrow!r}")
    if normalize not in ("each", "all", None):
        raise ValueError(f"image_grid: normalize must be 'each', 'all' or None, got {normalize!r}")
    n = array.shape[0]
    if n == 0:
        raise ValueError("image_grid: no images to show")
    if titles is not None and len(titles) != n:
        raise ValueError(f"image_grid: got {len(titles)} titles for {n} images")
    array = _scale_images(array, normalize)
    size = 1.6 if titles is not None else 1.3
    fig, axes = _new_figure(n, nrow, panel_size=(size, size))
    for i, ax in enumerate(axes):
        ax.imshow(
            array[i], cmap=cmap if array.ndim == 3 else None, vmin=0.0, vmax=1.0, interpolation="nearest"
        )
        ax.set_axis_off()
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    return _finish(fig, path, title)


def _scale_images(array: np.ndarray, normalize: str | None) -> np.ndarray:
    """Images as float in [0, 1], scaled per image, over all images, or not at all."""
    if normalize is None:
        scaled = array / 255.0 if array.dtype == np.uint8 else array.astype(np.float64)
        return np.clip(scaled, 0.0, 1.0)
    array = array.astype(np.float64)
    axes = tuple(range(1, array.ndim)) if normalize == "each" else None
    low = np.nanmin(array, axis=axes, keepdims=True)
    high = np.nanmax(array, axis=axes, keepdims=True)
    return (array - low) / np.where(high > low, high - low, 1.0)


# --------------------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------------------
def regression_figure(
    y_true: Any,
    y_pred: Any,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Predicted against true values with the identity line (R² and RMSE on top), and the residuals.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, 1)
        Targets and predictions of one output.
    title : str, optional
        Figure title.
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure
        Two axes: the fit and the residuals (true - predicted) against the prediction.

    Examples
    --------
    >>> fig = regression_figure([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
    >>> fig.axes[0].get_title()
    'R² = 0.970, RMSE = 0.141'
    """
    from sklearn.metrics import mean_squared_error, r2_score

    true = _to_numpy(y_true, "y_true")
    pred = _to_numpy(y_pred, "y_pred")
    true = true[:, 0] if true.ndim == 2 and true.shape[1] == 1 else true
    pred = pred[:, 0] if pred.ndim == 2 and pred.shape[1] == 1 else pred
    if true.ndim != 1 or pred.ndim != 1:
        raise ShapeError(
            "regression_figure: expected one output, shapes (n,) or (n, 1); got "
            f"y_true {fmt_shape(true.shape)} and y_pred {fmt_shape(pred.shape)}. "
            "Plot one output column at a time."
        )
    if true.size != pred.size or true.size < 2:
        raise ShapeError(
            "regression_figure: y_true and y_pred need the same length (at least 2), "
            f"got {true.size} and {pred.size}"
        )
    true, pred = true.astype(np.float64), pred.astype(np.float64)
    r2 = r2_score(true, pred)
    rmse = math.sqrt(mean_squared_error(true, pred))

    fig, (fit, residual) = _new_figure(2, 2, panel_size=(4.4, 4.0))
    fit.scatter(true, pred, s=14, alpha=0.7, label="samples")
    low, high = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
    fit.plot([low, high], [low, high], "k--", lw=1, label="perfect prediction")
    fit.set_xlabel("true")
    fit.set_ylabel("predicted")
    fit.set_title(f"R² = {r2:.3f}, RMSE = {rmse:.3g}")
    fit.legend()
    fit.grid(alpha=0.3)

    residual.scatter(pred, true - pred, s=14, alpha=0.7, color="C1")
    residual.axhline(0.0, color="k", lw=1, ls="--")
    residual.set_xlabel("predicted")
    residual.set_ylabel("residual (true − predicted)")
    residual.set_title("residuals")
    residual.grid(alpha=0.3)
    return _finish(fig, path, title)
