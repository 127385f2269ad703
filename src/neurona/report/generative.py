"""Figures for autoencoder, VAE and GAN runs, and their run report.

- :func:`reconstructions_figure`: test inputs above their reconstructions (images as images, vectors as
  bars with the reconstruction drawn over them);
- :func:`latent_space_figure`: the codes of the test inputs, 2-D as they are or a PCA projection,
  coloured by class when the data have labels;
- :func:`gan_samples_figure`: the generator's output for one fixed noise batch after a few epochs (a scatter
  over the real data for 2-D data, a grid of images otherwise);
- :func:`gan_losses_figure`: D and G losses, D(x) and D(G(z)) per epoch, with the equilibrium marked.

VAE samples and interpolations reuse :func:`~neurona.report.figures.image_grid`. :func:`write_generative_report`
writes ``report.html`` and saves every figure under a stable name in ``figures/``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from neurona.report.figures import image_grid

EQUILIBRIUM_D_LOSS = 2.0 * math.log(2.0)  # BCE(1/2, 1) + BCE(1/2, 0): D cannot tell real from fake
N_SHOWN = 10


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def is_image_shape(shape: Sequence[int]) -> bool:
    """(C, H, W) with 1 or 3 channels."""
    return len(shape) == 3 and shape[0] in (1, 3)


def _to_unit(images: np.ndarray, value_range: Sequence[float] | None) -> tuple[np.ndarray, str | None]:
    """Images for image_grid: a known output range is mapped to [0, 1] as it is (true intensities);
    unbounded data are stretched over all the images shown together."""
    if value_range is None:
        return images, "all"
    lo, hi = value_range
    return (images - lo) / (hi - lo), None


def vectors_figure(rows: dict[str, np.ndarray], title: str, feature_names: Sequence[str] | None = None,
                   ylabel: str = "value") -> Figure:
    """Vectors as lines over their features, one panel per named group (e.g. samples, an interpolation)."""
    fig = _figure(5.0 * len(rows), 3.4)
    axes = fig.subplots(1, len(rows), squeeze=False)[0]
    for ax, (name, vectors) in zip(axes, rows.items()):
        x = np.arange(vectors.shape[1])
        for i, v in enumerate(vectors):
            ax.plot(x, v, lw=1, alpha=0.8, color=_shade(i, len(vectors)))
        if name:
            ax.set_title(name)
        ax.set_xlabel("feature")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _feature_ticks(ax, feature_names, vectors.shape[1])
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def _shade(i: int, n: int) -> Any:
    from matplotlib import colormaps

    return colormaps["viridis"](i / max(n - 1, 1))


def _feature_ticks(ax: Any, names: Sequence[str] | None, d: int) -> None:
    if names is not None and len(names) == d and d <= 16:
        ax.set_xticks(range(d), [str(n) for n in names], rotation=45, ha="right", fontsize=7)


def reconstructions_figure(inputs: np.ndarray, reconstructions: np.ndarray, *,
                           value_range: Sequence[float] | None = None,
                           feature_names: Sequence[str] | None = None) -> Figure:
    """Test inputs (top row) above their reconstructions (bottom row); vectors as bars with the
    reconstruction as dots over them, one panel per example."""
    n = len(inputs)
    if is_image_shape(inputs.shape[1:]):
        images, normalize = _to_unit(np.concatenate([inputs, reconstructions]), value_range)
        return image_grid(images, nrow=n, normalize=normalize,
                          titles=["input" if i == 0 else "" for i in range(n)]
                          + ["reconstruction" if i == 0 else "" for i in range(n)],
                          title="Test inputs (top row) and their reconstructions (bottom row)")
    flat_in, flat_out = inputs.reshape(n, -1), reconstructions.reshape(n, -1)
    shown = min(n, 4)
    fig = _figure(3.6 * shown, 3.4)
    axes = fig.subplots(1, shown, squeeze=False)[0]
    d = flat_in.shape[1]
    for i, ax in enumerate(axes):
        ax.bar(np.arange(d), flat_in[i], color="#9ecae1", label="input")
        ax.plot(np.arange(d), flat_out[i], "o", ms=4, color="#d62728", label="reconstruction")
        ax.set_title(f"test example {i + 1}")
        ax.set_xlabel("feature")
        ax.set_ylabel("value")
        _feature_ticks(ax, feature_names, d)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle("Test inputs (bars) and their reconstructions (dots)")
    return fig


def latent_space_figure(codes: np.ndarray, labels: np.ndarray | None = None,
                        class_names: Sequence[str] | None = None) -> tuple[Figure, str]:
    """The codes as a scatter (2-D as they are, a PCA projection for more, a strip for 1-D), coloured by
    class when labels are given; returns the figure and a sentence saying which projection it is."""
    from matplotlib import colormaps

    d = codes.shape[1]
    if d == 2:
        points, axis_names, how = codes, ("z1", "z2"), "the 2-D codes as they are"
    elif d == 1:
        jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(codes))
        y = (labels if labels is not None else np.zeros(len(codes))) + jitter
        points, axis_names, how = np.column_stack([codes[:, 0], y]), ("z", "class (jittered)"), "the 1-D code"
    else:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2).fit(codes)
        points = pca.transform(codes)
        share = float(pca.explained_variance_ratio_.sum())
        axis_names = ("principal component 1", "principal component 2")
        how = f"a PCA projection (scikit-learn) of the {d}-D codes onto their first two principal components, " \
              f"which hold {share:.0%} of their variance"
    fig = _figure(6.4, 4.8)
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=10, alpha=0.7)
    else:
        classes = np.unique(labels)
        cmap = colormaps["tab10" if len(classes) <= 10 else "tab20"]
        for k, c in enumerate(classes):
            name = class_names[int(c)] if class_names is not None and 0 <= int(c) < len(class_names) else str(c)
            ax.scatter(*points[labels == c].T, s=10, alpha=0.75, color=cmap(k % cmap.N), label=name)
        ax.legend(title="class", loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, markerscale=1.5)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title("Latent space of the test inputs")
    ax.grid(alpha=0.3)
    return fig, how


def _pick(n: int, most: int = 4) -> list[int]:
    """Up to ``most`` indices spread evenly over range(n), first and last included."""
    return sorted({int(np.rint(i)) for i in np.linspace(0, n - 1, min(most, n))})


def gan_samples_figure(samples: Sequence[np.ndarray], epochs: Sequence[int], real: np.ndarray | None = None, *,
                       shape: Sequence[int] | None = None, value_range: Sequence[float] | None = None,
                       per_row: int = 8) -> Figure:
    """The generator's output for the same fixed noise after a few epochs picked evenly: 2-D data as a
    scatter over the real data (one panel per epoch), images as one row per epoch."""
    picks = _pick(len(samples))
    first = samples[picks[0]]
    if first.ndim == 2 and first.shape[1] == 2:
        fig = _figure(3.6 * len(picks), 3.9)
        axes = fig.subplots(1, len(picks), squeeze=False)[0]
        shown = np.concatenate([samples[i] for i in picks] + ([real[:1000]] if real is not None else []))
        lim = 1.1 * float(np.percentile(np.abs(shown[np.isfinite(shown).all(1)]), 99)) or 1.0
        for ax, i in zip(axes, picks):
            if real is not None:
                ax.scatter(*real[:1000].T, s=4, color="#bbbbbb", label="real data")
            ax.scatter(*samples[i].T, s=8, color="#d62728", label="generated (fixed noise)")
            ax.set_title(f"after epoch {epochs[i]}")
            ax.set_xlabel("x1")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal", adjustable="box")
        axes[0].set_ylabel("x2")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, markerscale=2)
        fig.suptitle("GAN samples for one fixed noise batch, over the training epochs")
        return fig
    shape = tuple(shape) if shape is not None else tuple(first.shape[1:])
    if is_image_shape(shape):
        n = min(per_row, len(first))
        rows = np.concatenate([samples[i][:n].reshape(n, *shape) for i in picks])
        images, normalize = _to_unit(rows, value_range)
        titles = [f"epoch {epochs[i]}" if j == 0 else "" for i in picks for j in range(n)]
        return image_grid(images, nrow=n, normalize=normalize, titles=titles,
                          title="GAN samples for one fixed noise batch (a row per epoch)")
    return vectors_figure({f"after epoch {epochs[i]}": samples[i][:per_row].reshape(min(per_row, len(samples[i])), -1)
                           for i in picks}, "GAN samples for one fixed noise batch, over the training epochs")


def gan_losses_figure(history: Any) -> Figure:
    """Left: D and G losses per epoch with D's equilibrium loss 2 ln 2; right: D(x) and D(G(z)) with 1/2."""
    h = history.history if hasattr(history, "history") else history
    epochs = np.arange(1, len(h["d_loss"]) + 1)
    fig = _figure(10.5, 4.2)
    left, right = fig.subplots(1, 2)
    marker = "o" if len(epochs) <= 30 else None
    left.plot(epochs, h["d_loss"], marker=marker, ms=3, label="D loss")
    left.plot(epochs, h["g_loss"], marker=marker, ms=3, label="G loss")
    left.axhline(EQUILIBRIUM_D_LOSS, color="#555555", ls="--", lw=1, label="D loss at equilibrium (2 ln 2 = 1.386)")
    left.set_title("Discriminator and generator losses")
    left.set_ylabel("binary cross-entropy")
    right.plot(epochs, h["d_real"], marker=marker, ms=3, color="#2ca02c", label="D(x): real data")
    right.plot(epochs, h["d_fake"], marker=marker, ms=3, color="#9467bd", label="D(G(z)): generated")
    right.axhline(0.5, color="#555555", ls=":", lw=1, label="equilibrium (1/2: D cannot tell)")
    right.set_ylim(0.0, 1.0)
    right.set_title("Discriminator's mean probability of 'real'")
    right.set_ylabel("probability")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8)
    return fig
