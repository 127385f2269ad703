"""The playground additions of neurona.datasets.playground: function-boundary sets, derived features and
the ``playground`` set (a generator or inline points, then features) that the web playground exports."""

import numpy as np
import pytest

from neurona import datasets
from neurona.datasets.playground import BOUNDARY_FUNCTIONS, FEATURES, boundary, derive_features, playground
from neurona.errors import ConfigError


@pytest.mark.parametrize("fn", sorted(BOUNDARY_FUNCTIONS))
def test_boundary_labels_follow_the_curve(fn):
    ds = boundary(n=400, seed=3, fn=fn)
    above = ds.X[:, 1] > BOUNDARY_FUNCTIONS[fn](ds.X[:, 0].astype(np.float64))
    assert np.array_equal(above, ds.y == 1)
    assert 0.1 < ds.y.mean() < 0.9 and np.abs(ds.X).max() <= 6
    noisy = boundary(n=400, seed=3, fn=fn, noise=30)
    assert np.array_equal(noisy.X, ds.X) and not np.array_equal(noisy.y, ds.y)  # noise flips labels, not points


def test_boundary_rejects_unknown_curve():
    with pytest.raises(ConfigError, match="fn must be one of sin, cubic, abs"):
        boundary(fn="tan")


def test_derive_features_values():
    X = np.array([[1.0, -2.0], [0.5, 3.0]])
    got = derive_features(X, list(FEATURES))
    want = np.array([[1, -2, 1, 4, -2, np.sin(1), np.sin(-2)], [0.5, 3, 0.25, 9, 1.5, np.sin(0.5), np.sin(3)]])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert got.dtype == np.float32
    with pytest.raises(ConfigError, match="features: expected a non-empty list"):
        derive_features(X, ["x3"])
    with pytest.raises(ConfigError, match="features"):
        derive_features(X, [])


def test_playground_set_by_name_with_features_and_generator_options():
    ds = datasets.load("playground", source="spiral", features=["x1", "x2", "sin(x1)"], n=90, k_arms=3, seed=2)
    raw = datasets.load("spiral", n=90, k_arms=3, seed=2)
    assert ds.X.shape == (90, 3) and ds.n_classes == 3 and ds.feature_names == ["x1", "x2", "sin(x1)"]
    np.testing.assert_allclose(ds.X[:, :2], raw.X)
    np.testing.assert_allclose(ds.X[:, 2], np.sin(raw.X[:, 0]), rtol=1e-6)
    assert playground("reg_plane", n=30).task == "regression"
    assert playground("boundary", n=30, fn="abs").extra["curve"] == "abs"


def test_playground_inline_points_and_their_errors():
    ds = playground("points", points=[[0, 0, 0], [1, 1, 1], [2, 0, 1]], features=["x1x2"])
    assert ds.X.tolist() == [[0.0], [1.0], [0.0]] and ds.y.tolist() == [0, 1, 1]
    reg = playground("points", points=[[0, 0, 0.5], [1, 1, -0.5]], task="regression")
    assert reg.task == "regression" and reg.y.dtype == np.float32
    with pytest.raises(ConfigError, match=r"points must be >= 2 finite rows \[x1, x2, label\]"):
        playground("points", points=[[0, 0]])
    with pytest.raises(ConfigError, match="class labels must be integers"):
        playground("points", points=[[0, 0, 0.5], [1, 1, 1]])
    with pytest.raises(ConfigError, match="source must be one of"):
        playground("moons")
