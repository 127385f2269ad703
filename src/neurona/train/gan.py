"""Training a GAN: :func:`train_gan` (the alternating updates of Goodfellow et al., 2014), the
:class:`GANHistory` it returns, and :func:`mode_coverage`, the mode-collapse metric on the ring of
Gaussians.

A GAN is not trained by :class:`~neurona.train.Trainer`: there are two networks, two optimisers and
two losses that pull against each other. One step of :func:`train_gan` is::

    D step:  L_D = BCE(D(x), 1 - s) + BCE(D(G(z)), 0)       x real, z ~ N(0, I), G frozen
    G step:  L_G = BCE(D(G(z)), 1)                          D frozen

with ``BCE`` the binary cross-entropy on D's logits and ``s`` the label smoothing. The generator's loss
is the *non-saturating* one: instead of minimising log(1 - D(G(z))), whose gradient vanishes while D
easily rejects the fakes (early in training), G maximises log D(G(z)). Both have the same fixed point.

    from neurona.models import GAN
    from neurona.datasets import ring_of_gaussians
    from neurona.train.gan import train_gan, mode_coverage

    gan = GAN(latent_dim=2, data_dim=2)
    history = train_gan(gan, ring_of_gaussians(n=2000).X, epochs=50, batch_size=128, lr=1e-3, seed=0)
    mode_coverage(history.samples[-1])   # {'per_mode_fraction': [...], 'modes_covered': 8, ...}
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from neurona import functional as F
from neurona.data import DataLoader, Dataset, TensorDataset
from neurona.datasets.base import DatasetBundle
from neurona.datasets.signals import ring_centres
from neurona.errors import ConfigError, ShapeError, fmt_shape
from neurona.optim import Adam
from neurona.random import default_generator
from neurona.tensor import Tensor, no_grad
from neurona.train.history import History

METRICS = ("d_loss", "g_loss", "d_real", "d_fake")


class GANHistory(History):
    """What :func:`train_gan` returns: per-epoch means, and samples from a fixed noise batch.

    ``history['d_loss']``, ``['g_loss']``: the two losses; ``['d_real']``: D(x), the mean probability
    D gives real data; ``['d_fake']``: D(G(z)), the mean it gives fakes (measured in the D steps). Near
    the game's equilibrium both approach 1/2 (D cannot tell), and d_loss approaches 2 ln 2 = 1.386.
    The same lists are attributes: ``history.d_loss``.

    ``samples`` is a list of arrays ``(n_samples, *data_shape)``, the generator's output for the same
    ``fixed_noise`` after each epoch in ``sample_epochs``: the same z over time shows how G's mapping
    evolves (and whether it collapses).
    """

    def __init__(self) -> None:
        super().__init__({k: [] for k in METRICS})
        self.samples: list[np.ndarray] = []
        self.sample_epochs: list[int] = []
        self.fixed_noise: np.ndarray | None = None

    def __getattr__(self, name: str) -> list[float]:
        if name in METRICS:
            return self.history[name]
        raise AttributeError(f"GANHistory has no attribute {name!r}")


def _as_loader(data: Any, batch_size: int, seed: int | None) -> DataLoader:
    """A shuffling DataLoader over ``data``: an array, a Tensor, a DatasetBundle, a Dataset, or a
    DataLoader (used as it is)."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, DatasetBundle):
        data = data.X
    if isinstance(data, np.ndarray | Tensor):
        array = data.data if isinstance(data, Tensor) else data
        if array.dtype.kind not in "fiu" or array.ndim < 2 or len(array) == 0:
            raise ShapeError(f"train_gan: data must be a non-empty numeric array (n, features...), got dtype "
                             f"{array.dtype} and shape {fmt_shape(array.shape)}")
        data = TensorDataset(array.astype(np.float32, copy=False))
    if not isinstance(data, Dataset):
        raise ConfigError(f"train_gan: data must be an array, a Tensor, a DatasetBundle, a Dataset or a DataLoader, "
                          f"got {type(data).__name__}")
    # drop a last batch smaller than batch_size: a batch of one breaks batch norm's statistics
    return DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=len(data) > batch_size, seed=seed)


def _real_batch(batch: Any) -> Tensor:
    """The examples of a batch (a Tensor, or the first element of an ``(x, y)`` tuple) as float32."""
    x = batch[0] if isinstance(batch, tuple | list) else batch
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    return x if x.data.dtype == np.float32 else x.astype(np.float32)


def _noise(rng: np.random.Generator, n: int, latent_dim: int) -> Tensor:
    return Tensor(rng.standard_normal((n, latent_dim)).astype(np.float32))


def _bce(logits: Tensor, label: float) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, Tensor(np.full(logits.shape, label, dtype=np.float32)))


def _mean_probability(logits: Tensor) -> float:
    """The mean of sigmoid(logits): how real D finds a batch, on average."""
    return float((1.0 / (1.0 + np.exp(-logits.data.astype(np.float64)))).mean())


def _generate_fixed(generator: Any, z: Tensor) -> np.ndarray:
    """G(z) as in training (batch norm on the batch's own statistics), without a graph, leaving the
    running statistics as they were."""
    saved = [(b, b.data.copy()) for b in generator.buffers()]
    try:
        with no_grad():
            return generator(z).data.copy()
    finally:
        for b, value in saved:
            b.data = value


def _discriminator_step(G: Any, D: Any, opt_d: Adam, x: Tensor, z: Tensor, real_label: float,
                        check_shapes: bool = False) -> tuple[float, float, float]:
    """One update of D on real ``x`` (label ``real_label``) and fakes G(z) (label 0); G is not updated.
    Returns the loss, D(x) and D(G(z))."""
    with no_grad():
        fake = G(z)
    if check_shapes and tuple(fake.shape[1:]) != tuple(x.shape[1:]):
        raise ShapeError(f"train_gan: the generator makes examples of shape {fmt_shape(fake.shape[1:])} but the "
                         f"data's are {fmt_shape(x.shape[1:])}; reshape the data (e.g. images as (n, C, H, W)) or "
                         "build the model for it")
    logits_real, logits_fake = D(x), D(fake)
    loss = _bce(logits_real, real_label) + _bce(logits_fake, 0.0)
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    return loss.item(), _mean_probability(logits_real), _mean_probability(logits_fake)


def _generator_step(G: Any, D: Any, opt_g: Adam, z: Tensor) -> float:
    """One update of G towards D(G(z)) = 1 (the non-saturating loss); D's weights are frozen meanwhile,
    so the backward pass computes no gradients for them."""
    flags = [p.requires_grad for p in D.parameters()]
    D.requires_grad_(False)
    try:
        loss = _bce(D(G(z)), 1.0)
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
    finally:
        for p, flag in zip(D.parameters(), flags):
            p.requires_grad_(flag)
    return loss.item()


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"train_gan: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def train_gan(
    gan: Any,
    data: Any,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 2e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    label_smoothing: float = 0.0,
    d_steps: int = 1,
    seed: int | None = None,
    sample_every: int = 1,
    n_samples: int = 64,
    on_epoch_end: Callable[[int, Any, GANHistory], Any] | None = None,
    verbose: int = 0,
) -> GANHistory:
    """Train a GAN by alternating discriminator and generator updates; return a :class:`GANHistory`.

    Each real batch ``x`` of ``n`` examples gives one discriminator step (on ``x`` and ``n`` fakes
    from fresh noise, the generator's output detached); after every ``d_steps`` discriminator steps comes
    one generator step (``n`` fresh fakes, the discriminator's weights frozen). This is Algorithm 1 of
    Goodfellow et al. (2014) with k = ``d_steps``, each D step on its own real minibatch. Losses:

    - ``L_D = BCE(D(x), 1 - label_smoothing) + BCE(D(G(z)), 0)``: one-sided label smoothing (Salimans
      et al., 2016) lowers only the real label (e.g. to 0.9), so D is not rewarded for overconfidence
      and its gradients to G stay informative; fakes keep label 0.
    - ``L_G = BCE(D(G(z)), 1)``, the non-saturating generator loss.

    Both networks are updated by Adam with the DCGAN paper's ``lr = 2e-4, betas = (0.5, 0.999)`` by
    default (a lower beta1 follows the moving target better).

    Parameters
    ----------
    gan : GAN, DCGAN or any object with ``.generator``, ``.discriminator`` (one logit per example,
        ``(n, 1)``) and ``.latent_dim``.
    data : array (n, ...), Tensor, DatasetBundle (its ``X``), Dataset or DataLoader
        The real examples, shaped like the generator's output; a DataLoader's batches may be
        ``(x, y)`` tuples (y is ignored). Arrays are shuffled into batches of ``batch_size`` (a last,
        smaller batch is dropped).
    epochs : int, default 10
    batch_size : int, default 64
        Ignored when ``data`` is a DataLoader.
    lr : float, default 2e-4
    betas : (float, float), default (0.5, 0.999)
    label_smoothing : float, default 0.0
        In [0, 0.5); the real label is ``1 - label_smoothing``.
    d_steps : int, default 1
        Discriminator steps per generator step.
    seed : int, optional
        Seeds the noise, the fixed noise and the order of the batches, so a run can be repeated. The
        initial weights are the model's: call ``neurona.manual_seed`` before building it. Without a seed
        the noise comes from :func:`neurona.random.default_generator`.
    sample_every : int, default 1
        Keep the generator's output for the fixed noise every this many epochs (and after the last);
        0 keeps none.
    n_samples : int, default 64
        Size of the fixed noise batch.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, gan, history)`` after each epoch (1-based), after the samples are taken:
        the place to save a grid of ``history.samples[-1]``, e.g. with
        :func:`neurona.report.image_grid`.
    verbose : int, default 0
        1 prints one line per epoch.

    Returns
    -------
    GANHistory
        Per-epoch means of d_loss, g_loss, D(x) (``d_real``) and D(G(z)) (``d_fake``), and the samples.
        Training stops early, with a warning, if a loss becomes NaN or infinite.

    Examples
    --------
    >>> gan = GAN(latent_dim=2, data_dim=2)
    >>> history = train_gan(gan, ring_of_gaussians(n=512).X, epochs=2, batch_size=64, seed=0)
    >>> len(history.d_loss), history.samples[-1].shape
    (2, (64, 2))
    """
    for attribute in ("generator", "discriminator", "latent_dim"):
        if not hasattr(gan, attribute):
            raise ConfigError(f"train_gan: the model needs .generator, .discriminator and .latent_dim (as "
                              f"neurona.models.GAN and DCGAN have); {type(gan).__name__} has no .{attribute}")
    epochs, batch_size = _check_int("epochs", epochs, 1), _check_int("batch_size", batch_size, 1)
    d_steps, sample_every = _check_int("d_steps", d_steps, 1), _check_int("sample_every", sample_every, 0)
    n_samples = _check_int("n_samples", n_samples, 1)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, int | float) or \
            not 0.0 <= label_smoothing < 0.5:
        raise ConfigError(f"train_gan: label_smoothing must be a number in [0, 0.5), got {label_smoothing!r}")
    if seed is not None:
        seed = _check_int("seed", seed, 0)
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise ConfigError(f"train_gan: on_epoch_end must be callable, got {type(on_epoch_end).__name__}")

    G, D, latent_dim = gan.generator, gan.discriminator, int(gan.latent_dim)
    loader = _as_loader(data, batch_size, seed)
    rng = np.random.default_rng(seed) if seed is not None else default_generator()
    opt_g = Adam(G.parameters(), lr=lr, betas=tuple(betas))
    opt_d = Adam(D.parameters(), lr=lr, betas=tuple(betas))
    real_label = 1.0 - float(label_smoothing)
    history = GANHistory()
    fixed_noise = _noise(rng, n_samples, latent_dim)
    history.fixed_noise = fixed_noise.data.copy()
    G.train()
    D.train()
    d_count = 0
    for epoch in range(1, epochs + 1):
        sums = dict.fromkeys(METRICS, 0.0)
        d_updates = g_updates = 0
        for batch in loader:
            x = _real_batch(batch)
            d_values = _discriminator_step(G, D, opt_d, x, _noise(rng, len(x), latent_dim), real_label,
                                           check_shapes=d_count == 0)
            for key, value in zip(("d_loss", "d_real", "d_fake"), d_values):
                sums[key] += value
            d_updates, d_count = d_updates + 1, d_count + 1
            if d_count % d_steps == 0:
                sums["g_loss"] += _generator_step(G, D, opt_g, _noise(rng, len(x), latent_dim))
                g_updates += 1
        if d_updates == 0:
            raise ConfigError("train_gan: the data gave no batch; is it empty?")
        logs = {k: sums[k] / d_updates for k in ("d_loss", "d_real", "d_fake")}
        logs["g_loss"] = sums["g_loss"] / g_updates if g_updates else math.nan  # d_steps > batches per epoch
        history.append(epoch, logs)
        if sample_every and (epoch % sample_every == 0 or epoch == epochs):
            history.samples.append(_generate_fixed(G, fixed_noise))
            history.sample_epochs.append(epoch)
        if verbose:
            print(f"epoch {epoch}/{epochs}  d_loss {logs['d_loss']:.4f}  g_loss {logs['g_loss']:.4f}  "
                  f"D(x) {logs['d_real']:.3f}  D(G(z)) {logs['d_fake']:.3f}")
        if on_epoch_end is not None:
            on_epoch_end(epoch, gan, history)
        if not (math.isfinite(logs["d_loss"]) and (math.isfinite(logs["g_loss"]) or not g_updates)):
            warnings.warn(f"train_gan: a loss became non-finite in epoch {epoch} (d_loss {logs['d_loss']}, "
                          f"g_loss {logs['g_loss']}); stopping. Try a lower lr.", RuntimeWarning, stacklevel=2)
            break
    return history


def mode_coverage(samples: Any, k: int = 8, radius: float = 2.0, sigma: float = 0.02,
                  min_fraction: float = 0.05, n_sigmas: float = 3.0) -> dict[str, Any]:
    """How well 2-D samples cover the ``k`` modes of :func:`~neurona.datasets.ring_of_gaussians`.

    A sample counts toward mode j when mode j is its nearest centre and it lies within
    ``n_sigmas * sigma`` of it (3 sigma holds 98.9% of a 2-D Gaussian's mass, so real data scores about
    0.99); samples far from every mode count toward none. A mode is *covered* when it holds at least
    ``min_fraction`` of all samples: "covers all 8 modes" means every mode gets at least 5% (an even
    share is 12.5%). A collapsed generator covers one or a few modes; a blurry one covers the modes
    with a low ``high_quality_fraction`` (Metz et al., 2017; Srivastava et al., VEEGAN, 2017).

    Parameters
    ----------
    samples : array-like (n, 2)
        Generated points (a Tensor is fine).
    k, radius, sigma : as :func:`~neurona.datasets.ring_of_gaussians`.
    min_fraction : float, default 0.05
    n_sigmas : float, default 3.0

    Returns
    -------
    dict
        ``per_mode_fraction`` (list of k floats: the share of all samples at each mode),
        ``modes_covered`` (int), ``high_quality_fraction`` (float: the share of samples near any mode).

    Examples
    --------
    >>> mode_coverage(ring_of_gaussians(n=800).X)["modes_covered"]
    8
    """
    points = samples.data if isinstance(samples, Tensor) else np.asarray(samples)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ShapeError(f"mode_coverage: samples must be a non-empty array of 2-D points (n, 2), got "
                         f"{fmt_shape(points.shape)}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"mode_coverage: k must be an integer >= 1, got {k!r}")
    if not 0.0 <= min_fraction <= 1.0:
        raise ConfigError(f"mode_coverage: min_fraction must be in [0, 1], got {min_fraction!r}")
    centres = ring_centres(int(k), float(radius))
    distances = np.linalg.norm(points.astype(np.float64)[:, None, :] - centres[None], axis=2)  # (n, k)
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(len(points)), nearest] <= n_sigmas * sigma
    per_mode = np.bincount(nearest[close], minlength=k) / len(points)
    return {
        "per_mode_fraction": [float(f) for f in per_mode],
        "modes_covered": int((per_mode >= min_fraction).sum()),
        "high_quality_fraction": float(close.mean()),
    }


__all__ = ["GANHistory", "mode_coverage", "train_gan"]
