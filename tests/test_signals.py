"""The generated signal data sets: shapes, dtypes, balanced labels, determinism for a seed, what the
labels mean, and their place in the registry."""

import numpy as np
import pytest

from neurona import datasets
from neurona.datasets.signals import ring_centres
from neurona.errors import ConfigError
from neurona.train.gan import mode_coverage

GENERATORS = {
    "waveforms": (datasets.waveforms, dict(n=103, length=64), (1, 64), 5),
    "sine_forecast": (datasets.sine_forecast, dict(n=40, length=20, horizon=3), (20, 1), None),
    "moving_shapes": (datasets.moving_shapes, dict(n=42, frames=5, size=12), (5, 1, 12, 12), 4),
    "ring_of_gaussians": (datasets.ring_of_gaussians, dict(n=84), (2,), 8),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_shapes_dtypes_and_balanced_labels(name):
    fn, options, sample_shape, k = GENERATORS[name]
    b = fn(**options)
    assert b.name == name
    assert b.X.shape == (options["n"], *sample_shape) and b.X.dtype == np.float32
    assert np.isfinite(b.X).all()
    if k is None:
        assert b.task == "regression" and b.y.shape == (options["n"], options["horizon"]) and b.y.dtype == np.float32
    else:
        assert b.task == "classification" and b.y.dtype == np.int64 and b.n_classes == k
        counts = np.bincount(b.y, minlength=k)
        assert len(counts) == k and counts.max() - counts.min() <= 1  # as balanced as n allows
        assert len(set(b.y[:20].tolist())) > 1  # shuffled, not in blocks
    assert f"seed={0!r}" in b.description and b.licence


@pytest.mark.parametrize("name", list(GENERATORS))
def test_deterministic_for_a_seed(name):
    fn, options, _, _ = GENERATORS[name]
    a, b, c = fn(**options, seed=3), fn(**options, seed=3), fn(**options, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", ["waveforms", "sine_forecast", "moving_shapes"])
def test_noise_is_additive_gaussian_of_the_given_std(name):
    fn, options, _, _ = GENERATORS[name]
    options = {**options, "n": 200}
    clean, noisy = fn(**options, noise=0), fn(**options, noise=0.3)
    if noisy.task == "classification":
        np.testing.assert_array_equal(clean.y, noisy.y)
    residual = noisy.X - clean.X
    assert abs(residual.mean()) < 0.01 and residual.std() == pytest.approx(0.3, rel=0.03)


def test_waveform_classes_have_their_shapes():
    b = datasets.waveforms(n=200, length=128, noise=0)
    x = b.X[:, 0]
    for label, name in enumerate(b.target_names):
        rows = x[b.y == label]
        flat_levels = np.array([len(np.unique(np.round(np.abs(r), 5))) for r in rows])
        steps = np.abs(np.diff(rows, axis=1))
        if name == "square":  # two levels, +-amplitude
            assert (flat_levels == 1).all()
        else:
            assert (flat_levels > 10).all()
        if name == "sawtooth":  # constant slope except at the drops
            slopes = np.diff(rows, axis=1)
            assert all(np.isclose(np.median(s), s).mean() > 0.85 for s in slopes)
        if name in ("sine", "triangle", "chirp"):  # continuous: no jumps
            assert steps.max() < 0.95
        else:  # square and sawtooth jump by twice the amplitude (>= 1) at least once per window
            assert (steps.max(axis=1) >= 0.95).all()
    assert 0.5 <= np.abs(x).max(axis=1).min() and np.abs(x).max() <= 1.5  # amplitude in [0.5, 1.5]


def test_chirps_change_frequency():
    b = datasets.waveforms(n=100, noise=0)
    chirps = b.X[b.y == b.target_names.index("chirp"), 0]
    sines = b.X[b.y == b.target_names.index("sine"), 0]

    def crossings(rows, part):
        half = rows.shape[1] // 2
        seg = rows[:, :half] if part == 0 else rows[:, half:]
        return (np.diff(np.sign(seg), axis=1) != 0).sum(axis=1)

    chirp_ratio = np.maximum(crossings(chirps, 0), 1) / np.maximum(crossings(chirps, 1), 1)
    sine_ratio = np.maximum(crossings(sines, 0), 1) / np.maximum(crossings(sines, 1), 1)
    assert np.mean(np.abs(np.log(chirp_ratio))) > 2 * np.mean(np.abs(np.log(sine_ratio)))


def test_sine_forecast_targets_continue_the_window():
    short = datasets.sine_forecast(n=30, length=20, horizon=5, noise=0, seed=1)
    long = datasets.sine_forecast(n=30, length=24, horizon=1, noise=0, seed=1)
    series_short = np.concatenate([short.X[:, :, 0], short.y], axis=1)
    series_long = np.concatenate([long.X[:, :, 0], long.y], axis=1)
    np.testing.assert_allclose(series_short, series_long, atol=1e-6)
    assert np.abs(series_short).max() <= 1.75 + 1e-6  # 1 + 0.5 + 0.25


def test_moving_shapes_move_in_the_labelled_direction():
    b = datasets.moving_shapes(n=80, frames=6, size=16, noise=0)
    frames = b.X[:, :, 0]  # (n, frames, size, size)
    assert set(np.unique(frames)) == {0.0, 1.0}
    mass = frames.sum(axis=(2, 3))
    assert (mass > 0).all()  # the shape is in every frame
    rows, cols = np.arange(16)[:, None], np.arange(16)[None, :]
    centre_r = (frames * rows).sum(axis=(2, 3)) / mass
    centre_c = (frames * cols).sum(axis=(2, 3)) / mass
    dr, dc = centre_r[:, -1] - centre_r[:, 0], centre_c[:, -1] - centre_c[:, 0]
    expected = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
    for label, name in enumerate(b.target_names):
        er, ec = expected[name]
        sel = b.y == label
        along = dr[sel] * er + dc[sel] * ec
        across = np.abs(dr[sel] * ec + dc[sel] * er)
        assert (along > 1.0).all() and (across < 0.5).all(), name
    assert set(np.unique(b.extra["shape"])) == {0, 1}


def test_ring_of_gaussians_points_sit_at_their_modes():
    b = datasets.ring_of_gaussians(n=400, k=8, radius=2.0, sigma=0.02)
    centres = ring_centres(8, 2.0)
    np.testing.assert_allclose(centres[2], [0.0, 2.0], atol=1e-12)
    distances = np.linalg.norm(b.X - centres[b.y], axis=1)
    assert distances.max() < 0.1
    assert mode_coverage(b.X)["modes_covered"] == 8


def test_registered_by_name_and_listed():
    for name in ("waveforms", "sine_forecast", "moving_shapes", "ring_of_gaussians"):
        assert name in datasets.available()
    rows = {r["name"]: r for r in datasets.describe_all()}
    assert rows["waveforms"]["shape"] == (1, 128) and rows["waveforms"]["classes"] == 5
    assert rows["moving_shapes"]["classes"] == 4 and rows["sine_forecast"]["task"] == "regression"
    assert datasets.load("waveforms", n=10).X.shape == (10, 1, 128)
    assert datasets.load("ring", n=16).X.shape == (16, 2)
    assert datasets.load("sine-forecast", n=5, horizon=2).y.shape == (5, 2)


def test_splits_work_for_sequences_and_clips():
    split = datasets.moving_shapes(n=80).split(val=0.25, test=0.25)
    x, y = split.train[0]
    assert x.shape == (8, 1, 16, 16) and len(split.X_val) == 20
    split = datasets.sine_forecast(n=40, horizon=2).split(val=0.25, test=0.0)
    assert split.train[0][1].shape == (2,)


@pytest.mark.parametrize("call, match", [
    (lambda: datasets.waveforms(n=0), "n must be an integer >= 1"),
    (lambda: datasets.waveforms(length=8), "length must be an integer >= 16"),
    (lambda: datasets.sine_forecast(noise=-0.1), "noise must be a number >= 0"),
    (lambda: datasets.sine_forecast(horizon=0), "horizon"),
    (lambda: datasets.moving_shapes(frames=1), "frames"),
    (lambda: datasets.moving_shapes(seed=-1), "seed"),
    (lambda: datasets.ring_of_gaussians(k=0), "k must be"),
    (lambda: datasets.load("waveforms", frames=3), "takes no option"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ConfigError, match=match):
        call()
