"""Pooling (ops/pool.py, nn/pooling.py) against torch: values, indices, gradients (ties included),
second order, finite differences in float64, repr and shape errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurona as nr
from neurona import nn
from neurona.autograd import grad, gradcheck
from neurona.errors import ShapeError
from neurona.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
TF = torch.nn.functional


def _data(shape, dtype, seed, ties=False):
    x = np.random.default_rng(seed).standard_normal(shape)
    if ties:  # few distinct values: windows with several equal maxima, as after a ReLU
        x = np.maximum(np.round(x), 0)
    return x.astype(dtype)


def _check(nr_fn, torch_fn, shape, dtype=np.float64, ties=False, **kw):
    x = _data(shape, dtype, 0, ties)
    xt = torch.tensor(x, requires_grad=True)
    xn = nr.tensor(x, dtype=dtype, requires_grad=True)
    yt, yn = torch_fn(xt, **kw), nr_fn(xn, **kw)
    if kw.get("return_indices"):
        (yt, it), (yn, idx) = yt, yn
        assert idx.dtype == np.int64
        np.testing.assert_array_equal(idx.data, it.numpy())
    assert yn.shape == tuple(yt.shape) and yn.dtype == dtype
    np.testing.assert_allclose(yn.data, yt.detach().numpy(), **TOL[dtype])
    g = _data(tuple(yt.shape), dtype, 1)
    yt.backward(torch.tensor(g))
    yn.backward(nr.tensor(g, dtype=dtype))
    np.testing.assert_allclose(xn.grad.data, xt.grad.numpy(), **TOL[dtype])


MAX_POOL2D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 3)),
    dict(kernel_size=2, stride=1),
    dict(kernel_size=(2, 3), stride=(3, 2), ceil_mode=True),
    dict(kernel_size=3, stride=3, padding=1, dilation=2, ceil_mode=True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("options", MAX_POOL2D_CASES)
def test_max_pool2d_matches_torch(options, ties, dtype):
    _check(max_pool2d, TF.max_pool2d, (2, 3, 9, 10), dtype, ties, return_indices=True, **options)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("options", [
    dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), dict(kernel_size=2, dilation=3),
])
def test_max_pool1d_matches_torch(options, ties):
    _check(max_pool1d, TF.max_pool1d, (2, 3, 11), ties=ties, return_indices=True, **options)


AVG_POOL2D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), count_include_pad=False),
    dict(kernel_size=(2, 4), stride=1, padding=(1, 2)),
    dict(kernel_size=3, padding=1, divisor_override=2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", AVG_POOL2D_CASES)
def test_avg_pool2d_matches_torch(options, dtype):
    _check(avg_pool2d, TF.avg_pool2d, (2, 3, 9, 10), dtype, **options)


@pytest.mark.parametrize("options", [
    dict(kernel_size=3), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
])
def test_avg_pool1d_matches_torch(options):
    _check(avg_pool1d, TF.avg_pool1d, (2, 3, 11), **options)


@pytest.mark.parametrize("shape, output_size", [
    ((2, 3, 8, 9), (3, 4)), ((2, 3, 8, 9), 1), ((2, 3, 8, 9), (None, 4)), ((2, 3, 8, 8), 4), ((2, 3, 5, 7), (7, 9)),
])
def test_adaptive_avg_pool2d_matches_torch(shape, output_size):
    _check(adaptive_avg_pool2d, TF.adaptive_avg_pool2d, shape, output_size=output_size)


def test_adaptive_avg_pool1d_matches_torch():
    _check(adaptive_avg_pool1d, TF.adaptive_avg_pool1d, (2, 3, 10), output_size=3)


def test_unbatched_input_matches_torch():
    _check(max_pool2d, TF.max_pool2d, (3, 8, 9), kernel_size=2, return_indices=True)
    _check(avg_pool2d, TF.avg_pool2d, (3, 8, 9), kernel_size=3, stride=2)
    _check(max_pool1d, TF.max_pool1d, (3, 8), kernel_size=2)
    _check(adaptive_avg_pool2d, TF.adaptive_avg_pool2d, (3, 8, 9), output_size=(3, 2))


def test_indices_without_grad():
    x = _data((2, 3, 9, 8), np.float32, 0, ties=True)
    with nr.no_grad():
        y, idx = max_pool2d(nr.tensor(x), 3, 2, 1, return_indices=True)
    yt, it = TF.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.data, it.numpy())
    np.testing.assert_array_equal(y.data, yt.numpy())


# --------------------------------------------------------------------------------------------------
# gradients: finite differences and second order
# --------------------------------------------------------------------------------------------------
def _leaf(shape, seed=0):
    # distinct values a finite step cannot reorder: max pooling is differentiable there
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.1
    return nr.tensor(values, dtype=np.float64, requires_grad=True)


@pytest.mark.parametrize("fn, options", [
    (max_pool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (max_pool2d, dict(kernel_size=2, stride=1, dilation=2)),
    (avg_pool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    (adaptive_avg_pool2d, dict(output_size=(2, 3))),
])
def test_gradcheck_2d(fn, options):
    assert gradcheck(lambda x: fn(x, **options), [_leaf((1, 2, 5, 6))])


@pytest.mark.parametrize("fn, options", [(max_pool1d, dict(kernel_size=3, stride=2)), (avg_pool1d, dict(kernel_size=2))])
def test_gradcheck_1d(fn, options):
    assert gradcheck(lambda x: fn(x, **options), [_leaf((2, 2, 7))])


@pytest.mark.parametrize("nr_fn, torch_fn, options", [
    (max_pool2d, TF.max_pool2d, dict(kernel_size=3, stride=2, padding=1)),
    (avg_pool2d, TF.avg_pool2d, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
])
def test_second_order_matches_torch(nr_fn, torch_fn, options):
    """d/dx ||d(sum y^3)/dx||^2: the pooling's backward (and its backward) inside the graph."""
    x = _data((2, 2, 7, 6), np.float64, 0)
    xn, xt = nr.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    yn, yt = nr_fn(xn, **options), torch_fn(xt, **options)
    (gn,) = grad((yn * yn * yn).sum(), [xn], create_graph=True)
    (gt,) = torch.autograd.grad((yt * yt * yt).sum(), [xt], create_graph=True)
    np.testing.assert_allclose(gn.data, gt.detach().numpy(), rtol=1e-12, atol=1e-12)
    (gn * gn).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(xn.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------------------
# layers
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3, 2, 1, 2), dict(ceil_mode=True), (2, 3, 9, 8)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1), (2, 3, 9)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", ((3, 2), (2, 1), 1), dict(ceil_mode=True, count_include_pad=False), (2, 3, 9, 8)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1), (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((5, None),), {}, (2, 3, 9, 8)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 9, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
])
def test_layer_matches_torch(name, args, kwargs, shape):
    layer, reference = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(layer) == repr(reference)
    assert list(layer.parameters()) == []
    x = _data(shape, np.float32, 0)
    np.testing.assert_allclose(layer(nr.tensor(x)).data, reference(torch.tensor(x)).numpy(), **TOL[np.float32])


def test_max_pool_layer_return_indices():
    x = _data((2, 3, 8, 8), np.float32, 0)
    _, idx = nn.MaxPool2d(2, return_indices=True)(nr.tensor(x))
    np.testing.assert_array_equal(idx.data, torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))[1].numpy())


@pytest.mark.parametrize("layer, shape", [
    (nn.MaxPool2d(2), (8, 784)),
    (nn.AvgPool2d(2), (1, 2, 3, 8, 8)),
    (nn.MaxPool1d(2), (2, 3, 8, 8)),
    (nn.AdaptiveAvgPool2d(2), (8,)),
])
def test_wrong_rank_names_layer_and_shape(layer, shape):
    with pytest.raises(ShapeError) as e:
        layer(nr.randn(*shape))
    assert type(layer).__name__ in str(e.value) and str(shape) in str(e.value)


def test_too_small_input_names_layer():
    with pytest.raises(ShapeError, match=r"MaxPool2d\(kernel_size=5.*too small"):
        nn.MaxPool2d(5)(nr.randn(1, 1, 3, 3))


def test_argument_errors():
    x = nr.randn(1, 1, 6, 6)
    with pytest.raises(ValueError, match="at most half"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="kernel_size"):
        avg_pool2d(x, (2, 2, 2))
    with pytest.raises(TypeError, match="floating"):
        max_pool2d(nr.tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2)
