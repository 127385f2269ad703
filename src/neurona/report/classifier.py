"""Figures of a classifier: confusion matrix, ROC curves (binary and one-vs-rest), decision boundary.

The numbers come from scikit-learn (``confusion_matrix``, ``roc_curve``, ``auc``), so a figure shows
exactly what ``neurona.train`` reports. Figures are built as in :mod:`neurona.report.figures`: no
pyplot, an optional ``path`` to save to, atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, ListedColormap
from matplotlib.figure import Figure

from neurona.errors import ShapeError, fmt_shape
from neurona.report.figures import _finish, _new_figure, _to_numpy

COMPACT_ROC_CLASSES = 5  # from this many classes on, the ROC figure is compact: averages + weakest classes + dots
WEAKEST_CLASSES = 3
ZOOM_ROC_ABOVE = 0.95  # a compact ROC whose every class has at least this AUC shows only the top-left corner


def _class_colors(k: int) -> list:
    from matplotlib import colormaps

    if k <= 10:
        return [colormaps["tab10"](i) for i in range(k)]
    if k <= 20:
        return [colormaps["tab20"](i) for i in range(k)]
    return [colormaps["hsv"](i / k) for i in range(k)]


def _names(class_names: Sequence[str] | None, classes: np.ndarray, where: str) -> list[str]:
    if class_names is None:
        return [str(c) for c in classes]
    if len(class_names) != len(classes):
        raise ValueError(
            f"{where}: got {len(class_names)} class_names for {len(classes)} classes {list(classes)}"
        )
    return [str(c) for c in class_names]


# --------------------------------------------------------------------------------------------------
# Confusion matrix
# --------------------------------------------------------------------------------------------------
def confusion_matrix_figure(
    y_true: Any,
    y_pred: Any,
    labels: Sequence[Any] | None = None,
    normalize: str | None = None,
    *,
    display_labels: Sequence[str] | None = None,
    annotate: bool | None = None,
    cmap: str = "Blues",
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The confusion matrix (rows: true class, columns: predicted class) as an annotated heat map.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels.
    labels : sequence, optional
        Which labels, in which order (scikit-learn's ``labels``); default: every label seen, sorted.
    normalize : {None, 'true', 'pred', 'all'}, default None
        Counts, or fractions over each true class (rows), each predicted class (columns) or all samples.
    display_labels : sequence of str, optional
        Names shown on the axes (e.g. ``["setosa", "versicolor", "virginica"]``).
    annotate : bool, optional
        Write the value in each cell; default: when there are at most 25 classes.
    cmap : str, default 'Blues'
        Colour map.
    title : str, optional
        Axes title (default "confusion matrix").
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure
        The matrix axes and its colour bar.

    Examples
    --------
    >>> fig = confusion_matrix_figure([0, 1, 1, 2], [0, 1, 2, 2], normalize="true")
    >>> [t.get_text() for t in fig.axes[0].texts][:3]
    ['1.00', '0.00', '0.00']
    """
    from sklearn.metrics import confusion_matrix
    from sklearn.utils.multiclass import unique_labels

    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(
            f"confusion_matrix_figure: normalize must be None, 'true', 'pred' or 'all', got {normalize!r}"
        )
    true, pred = _to_numpy(y_true, "y_true").ravel(), _to_numpy(y_pred, "y_pred").ravel()
    if true.shape != pred.shape:
        raise ShapeError(f"confusion_matrix_figure: y_true has {true.size} labels but y_pred has {pred.size}")
    classes = np.asarray(labels) if labels is not None else unique_labels(true, pred)
    cm = confusion_matrix(true, pred, labels=labels, normalize=normalize)
    names = _names(display_labels, classes, "confusion_matrix_figure")
    k = cm.shape[0]

    fig, (ax,) = _new_figure(1, panel_size=(1.8 + 0.55 * max(k, 5), 0.8 + 0.5 * max(k, 5)))
    image = ax.imshow(cm, cmap=cmap, interpolation="nearest", vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046)
    if annotate or (annotate is None and k <= 25):
        fmt = "d" if normalize is None else ".2f"
        threshold = (cm.max() + cm.min()) / 2.0
        for i in range(k):
            for j in range(k):
                color = "white" if cm[i, j] > threshold else "black"
                ax.text(j, i, format(cm[i, j], fmt), ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    default = "confusion matrix" + ("" if normalize is None else f" (normalised over {normalize})")
    ax.set_title(title or default)
    return _finish(fig, path)


# --------------------------------------------------------------------------------------------------
# ROC
# --------------------------------------------------------------------------------------------------
def roc_figure(
    y_true: Any,
    scores: Any,
    class_names: Sequence[str] | None = None,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """ROC curves with their AUC: one curve for a binary task; one per class (one-vs-rest) plus the
    micro and macro averages for several classes. From ``COMPACT_ROC_CLASSES`` (5) classes on, a curve per
    class would bury the panel (ten near-identical curves hugging the corner), so the ROC panel keeps the
    averages and the ``WEAKEST_CLASSES`` (3) classes with the lowest AUC (only its top-left corner when every
    AUC is at least ``ZOOM_ROC_ABOVE``), and a second panel lists every class's AUC as a dot on a zoomed axis.

    For one class c with score s_c, the curve traces (FPR(t), TPR(t)) over thresholds t, with
    TPR(t) = P(s_c >= t | y = c) and FPR(t) = P(s_c >= t | y != c); AUC is the area under it, the chance that a
    random member of c scores above a random non-member.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels.
    scores : array-like of shape (n,), (n, 2) or (n, k)
        Binary: the score of the greater label (or both columns of ``predict_proba``). Multi-class: one
        column per class, in sorted label order (e.g. softmax probabilities).
    class_names : sequence of str, optional
        Names of the classes in sorted label order.
    title : str, optional
        Axes title (default "ROC").
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure
        Legend entries read ``"name (AUC = 0.973)"``; the macro AUC is the mean of the per-class AUCs,
        as ``roc_auc_score(..., multi_class='ovr', average='macro')``.

    Examples
    --------
    >>> fig = roc_figure([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    '1 (AUC = 0.750)'
    """
    from sklearn.metrics import auc, roc_curve
    from sklearn.preprocessing import label_binarize

    true = _to_numpy(y_true, "y_true").ravel()
    score = _to_numpy(scores, "scores").astype(np.float64)
    if score.ndim == 2 and score.shape[1] in (1, 2):
        score = score[:, -1]
    if score.ndim not in (1, 2) or score.shape[0] != true.size:
        raise ShapeError(
            f"roc_figure: scores must have shape (n,) or (n, k) with n = {true.size} labels, "
            f"got {fmt_shape(score.shape)}"
        )
    present = np.unique(true)
    compact = corner = False  # many classes: averages + weakest classes, and a panel of AUC dots
    if score.ndim == 1:
        fig, (ax,) = _new_figure(1, panel_size=(6.8, 4.4))
        if present.size != 2:
            raise ValueError(
                f"roc_figure: 1-D scores are for two classes, but y_true holds {present.size} "
                f"({list(present)[:10]}); pass one score column per class for several classes"
            )
        names = _names(class_names, present, "roc_figure") if class_names is not None else None
        fpr, tpr, _ = roc_curve(true, score, pos_label=present[1])
        label = names[1] if names is not None else str(present[1])
        ax.plot(fpr, tpr, lw=2, label=f"{label} (AUC = {auc(fpr, tpr):.3f})")
    else:
        k = score.shape[1]
        if present.size == k:
            classes = present
        elif true.dtype.kind in "iu" and present.min() >= 0 and present.max() < k:
            classes = np.arange(k)
        else:
            raise ValueError(
                f"roc_figure: scores have {k} columns but y_true holds the labels {list(present)[:10]}; "
                "columns must follow the sorted labels"
            )
        names = _names(class_names, classes, "roc_figure")
        onehot = label_binarize(true, classes=classes)
        curves: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for j in range(k):
            if onehot[:, j].min() != onehot[:, j].max():  # a class absent from y_true has no ROC curve
                fpr, tpr, _ = roc_curve(onehot[:, j], score[:, j])
                curves[j] = (fpr, tpr)
        aucs = {j: auc(*curve) for j, curve in curves.items()}
        compact = k >= COMPACT_ROC_CLASSES
        if compact:  # the ROC panel keeps the averages and the weakest classes; every AUC goes to a dot plot
            fig, (ax, dots) = _new_figure(2, ncols=2, panel_size=(4.6, 3.4))
            shown = sorted(aucs, key=lambda j: (aucs[j], j))[:WEAKEST_CLASSES]
        else:
            fig, (ax,) = _new_figure(1, panel_size=(6.8, 4.4))
            shown = sorted(aucs)
        colors = _class_colors(k)
        for j in shown:
            fpr, tpr = curves[j]
            ax.plot(fpr, tpr, lw=1.5, color=colors[j], label=f"{names[j]} (AUC = {aucs[j]:.3f})")
        fpr, tpr, _ = roc_curve(onehot.ravel(), score.ravel())
        ax.plot(fpr, tpr, lw=2, ls="--", color="k", label=f"micro-average (AUC = {auc(fpr, tpr):.3f})")
        grid = np.unique(np.concatenate([f for f, _ in curves.values()]))
        mean_tpr = np.mean([np.interp(grid, f, t) for f, t in curves.values()], axis=0)
        macro = float(np.mean(list(aucs.values())))
        ax.plot(grid, mean_tpr, lw=2, ls=":", color="k", label=f"macro-average (AUC = {macro:.3f})")
        if compact:
            _auc_dots(dots, [names[j] for j in sorted(aucs)], [aucs[j] for j in sorted(aucs)],
                      [colors[j] for j in sorted(aucs)])
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="chance")
    if compact:
        corner = min(aucs.values()) >= ZOOM_ROC_ABOVE
    if corner:  # every curve hugs the corner: show the corner, where they differ
        ax.set_xlim(-0.005, 0.3)
        ax.set_ylim(0.7, 1.005)
    else:
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title or ("ROC, top-left corner" if corner
                           else "ROC: averages and the weakest classes" if compact else "ROC"))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)  # beside the curves, never on them
    return _finish(fig, path)


def _auc_dots(ax: Any, names: list[str], aucs: list[float], colors: list) -> None:
    """Every class's AUC as a dot on a zoomed axis (a dot, not a bar: the axis does not start at 0)."""
    values = np.asarray(aucs)
    low = min(float(values.min()), 0.99)
    left = max(0.0, low - 0.15 * (1.0 - low) - 0.002)
    rows = np.arange(len(names))[::-1]  # first class on top
    ax.hlines(rows, left, values, color="0.85", lw=1)
    ax.scatter(values, rows, c=colors, s=28, zorder=3)
    for row, value in zip(rows, values, strict=True):
        ax.annotate(f"{value:.3f}", (value, row), xytext=(-4, 5), textcoords="offset points", ha="right",
                    fontsize=7)
    ax.set_yticks(rows, names, fontsize=8)
    ax.set_xlim(left, 1.0 + 0.04 * (1.0 - left))
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.set_xlabel("AUC (one-vs-rest); axis zoomed")
    ax.set_ylabel("class")
    ax.set_title("AUC per class")
    ax.grid(axis="x", alpha=0.3)


def per_class_auc(y_true: Any, proba: Any) -> dict[int, float]:
    """One-vs-rest AUC of each class column of ``proba`` present in ``y_true`` (labels 0..k-1), from
    scikit-learn's ``roc_auc_score``."""
    from sklearn.metrics import roc_auc_score

    true = _to_numpy(y_true, "y_true").ravel()
    score = _to_numpy(proba, "proba")
    return {j: float(roc_auc_score(true == j, score[:, j])) for j in range(score.shape[1])
            if 0 < int((true == j).sum()) < true.size}


# --------------------------------------------------------------------------------------------------
# Decision boundary
# --------------------------------------------------------------------------------------------------
def decision_boundary(
    predict_fn: Callable[[np.ndarray], Any],
    X_train: Any,
    y_train: Any,
    X_test: Any = None,
    y_test: Any = None,
    resolution: int = 200,
    class_names: Sequence[str] | None = None,
    *,
    feature_names: tuple[str, str] = ("$x_1$", "$x_2$"),
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The regions a 2-D classifier assigns to each class, with the training and test points on top.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(points)`` with ``points`` a float array of shape (m, 2) returns class
        probabilities (m, k), the probability of the second class (m,) or (m, 1) (a sigmoid output),
        or labels (m,). Tensors are accepted as return values.
    X_train : array-like of shape (n, 2)
        Training inputs, drawn as circles.
    y_train : array-like of shape (n,)
        Training labels; probability columns follow the sorted labels.
    X_test, y_test : array-like, optional
        Test inputs and labels, drawn as triangles with a black edge.
    resolution : int, default 200
        Grid points along each axis.
    class_names : sequence of str, optional
        Names of the classes in sorted label order.
    feature_names : (str, str)
        Axis labels.
    title : str, optional
        Axes title (default: the train/test accuracy).
    path : str or PathLike, optional
        Also save the figure there.

    Returns
    -------
    Figure
        For a binary classifier with probabilities, the regions are shaded by the probability of the
        second class (with a colour bar) and the 0.5 contour is drawn.

    Examples
    --------
    >>> X = np.random.randn(100, 2); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> fig = decision_boundary(lambda p: (p.sum(1) > 0).astype(int), X, y)
    """
    X = _points(X_train, "X_train")
    y = _to_numpy(y_train, "y_train").ravel()
    if y.size != X.shape[0]:
        raise ShapeError(f"decision_boundary: X_train has {X.shape[0]} points but y_train {y.size} labels")
    has_test = X_test is not None
    if has_test:
        if y_test is None:
            raise ValueError("decision_boundary: X_test needs y_test")
        Xt, yt = _points(X_test, "X_test"), _to_numpy(y_test, "y_test").ravel()
        if yt.size != Xt.shape[0]:
            raise ShapeError(
                f"decision_boundary: X_test has {Xt.shape[0]} points but y_test {yt.size} labels"
            )
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"decision_boundary: resolution must be an int >= 2, got {resolution!r}")

    everything = np.vstack([X, Xt]) if has_test else X
    low, high = everything.min(axis=0), everything.max(axis=0)
    pad = np.where(high > low, 0.1 * (high - low), 1.0)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    dtype = X.dtype if X.dtype.kind == "f" else np.float64
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(dtype)

    known = np.unique(np.concatenate([y, yt]) if has_test else y)
    region, proba, classes = _interpret(predict_fn(grid), grid.shape[0], known)
    k = classes.size
    names = _names(class_names, classes, "decision_boundary")
    colors = _class_colors(k)

    fig, (ax,) = _new_figure(1, panel_size=(6.0 if proba is not None else 5.2, 5.4))
    if proba is not None:  # binary with probabilities: shade by P(second class)
        shading = LinearSegmentedColormap.from_list("boundary", [colors[0], "white", colors[1]])
        filled = ax.contourf(
            xx, yy, proba.reshape(xx.shape), levels=np.linspace(0, 1, 21), cmap=shading, alpha=0.7
        )
        ax.contour(xx, yy, proba.reshape(xx.shape), levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(filled, ax=ax, label=f"P({names[1]})", fraction=0.046)
    else:
        ax.contourf(
            xx,
            yy,
            region.reshape(xx.shape),
            levels=np.arange(k + 1) - 0.5,
            cmap=ListedColormap(colors),
            alpha=0.3,
        )
    train_index = np.searchsorted(classes, y)
    test_index = np.searchsorted(classes, yt) if has_test else None
    splits = [(X, train_index, dict(s=22, edgecolors="white", linewidths=0.6), " (train)" if has_test else "")]
    if has_test:
        splits.append((Xt, test_index, dict(s=40, marker="^", edgecolors="black", linewidths=0.8), " (test)"))
    for points, index, style, suffix in splits:
        for j in range(k):
            mask = index == j
            if mask.any():
                ax.scatter(*points[mask].T, color=colors[j], label=f"{names[j]}{suffix}", **style)

    if title is None:
        accuracy = [f"train accuracy {_accuracy(predict_fn, X, train_index, classes):.3f}"]
        if has_test:
            accuracy.append(f"test accuracy {_accuracy(predict_fn, Xt, test_index, classes):.3f}")
        title = ", ".join(accuracy)
    ax.set_title(title)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    handles = ax.get_legend_handles_labels()[0]  # below the axes: the points cover the whole plane
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=min(len(handles), 2), fontsize=8)
    return _finish(fig, path)


def _points(value: Any, name: str) -> np.ndarray:
    points = _to_numpy(value, name)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] == 0:
        raise ShapeError(
            f"decision_boundary: {name} must have shape (n, 2) — two input features — got "
            f"{fmt_shape(points.shape)}. Project higher-dimensional data to 2-D first (e.g. PCA)."
        )
    return points


def _interpret(output: Any, m: int, known: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(class index per point, P(second class) or None, class values) from a predictor's output."""
    out = _to_numpy(output, "predict_fn(points)")
    if out.shape[:1] != (m,) or out.ndim > 2:
        raise ShapeError(
            f"decision_boundary: predict_fn returned shape {fmt_shape(out.shape)} for {m} points; "
            f"expected probabilities ({m}, k), a probability ({m},) / ({m}, 1) or labels ({m},)"
        )
    if out.ndim == 2 and out.shape[1] == 1:  # a sigmoid output
        out = out[:, 0]
    if out.ndim == 2:  # probabilities, one column per class
        k = out.shape[1]
        proba = out[:, 1].astype(np.float64) if k == 2 else None
        return out.argmax(axis=1), proba, _columns_classes(known, k)
    if out.dtype.kind == "f" and np.any(out != np.round(out)):  # one probability per point
        return (out >= 0.5).astype(np.int64), out.astype(np.float64), _columns_classes(known, 2)
    classes = np.union1d(known, out.astype(known.dtype) if known.dtype.kind in "iub" else out)
    return np.searchsorted(classes, out), None, classes


def _columns_classes(known: np.ndarray, k: int) -> np.ndarray:
    if known.size == k:
        return known
    if known.dtype.kind in "iu" and known.min() >= 0 and known.max() < k:
        return np.arange(k)
    raise ValueError(
        f"decision_boundary: predict_fn gives {k} class columns but the labels are {list(known)[:10]}; "
        "columns must follow the sorted labels"
    )


def _accuracy(predict_fn: Callable, X: np.ndarray, index: np.ndarray, classes: np.ndarray) -> float:
    dtype = X.dtype if X.dtype.kind == "f" else np.float64
    predicted, _, predicted_classes = _interpret(predict_fn(X.astype(dtype)), X.shape[0], classes)
    return float(np.mean(predicted_classes[predicted] == classes[index]))
