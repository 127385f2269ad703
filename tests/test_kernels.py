"""Every kernel (neurona/ops/kernels) against the reference it replaces: the same public function run
with the kernels on and off, on random shapes, comparing outputs and the gradient of every input, in
float32 and float64; each form an autotuned kernel can choose is checked on its own."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import neurona as nr
import neurona.functional as F
from neurona import nn
from neurona.ops import conv as conv_ops
from neurona.ops import pool as pool_ops
from neurona.ops import rnn as rnn_ops
from neurona.ops.activation import ReLU
from neurona.ops.kernels import autotune, registered, select, use_kernels
from neurona.ops.kernels import im2col as im2col_kernels

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}
DTYPES = [np.float32, np.float64]


def _both(fn, arrays, dtype, seed=0):
    """fn(*tensors) with the kernels on and off: (outputs, gradients) of each, for one random upstream gradient."""
    results = []
    for enabled in (True, False):
        with use_kernels(enabled):
            tensors = [nr.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
            out = fn(*tensors)
            outs = out if isinstance(out, tuple) else (out,)
            rng = np.random.default_rng(seed + 1)
            loss = sum(((o * nr.tensor(rng.standard_normal(o.shape), dtype=dtype)).sum() for o in outs), start=nr.tensor(0.0, dtype=dtype))
            loss.backward()
            results.append(([o.data.copy() for o in outs], [t.grad.data.copy() for t in tensors]))
    return results


def _assert_same(fn, arrays, dtype, seed=0):
    (out_k, grad_k), (out_r, grad_r) = _both(fn, arrays, dtype, seed)
    for a, b in zip(out_k + grad_k, out_r + grad_r):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, **TOL[dtype])


def _conv_case(rng):
    groups = int(rng.choice([1, 1, 2]))
    c, o = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 5))
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride, dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3))), (int(rng.integers(1, 3)), 1)
    padding = (int(rng.integers(0, 3)), int(rng.integers(0, 2)))
    size = tuple(int(rng.integers(d * (kk - 1) + 1, 12)) for kk, d in zip(k, dilation))
    n = int(rng.integers(1, 5))
    return (n, c, *size), (o, c // groups, *k), dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


@pytest.mark.parametrize("form", ["gemm", "per_row", "gemm_transposed"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(4))
def test_conv2d_kernels_equal_the_reference(seed, dtype, form):
    rng = np.random.default_rng(seed)
    x_shape, w_shape, options = _conv_case(rng)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])]
    with autotune.forcing(form):
        _assert_same(lambda x, w, b: F.conv2d(x, w, b, **options), arrays, dtype, seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(4))
def test_conv_transpose2d_kernel_equals_the_reference(seed, dtype):
    """The transpose of a random convolution: input shaped like that convolution's output."""
    rng = np.random.default_rng(seed + 10)
    x_shape, w_shape, options = _conv_case(rng)
    out = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
           zip(x_shape[2:], w_shape[2:], options["stride"], options["padding"], options["dilation"])]
    arrays = [rng.standard_normal((x_shape[0], w_shape[0], *out)), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[1] * options["groups"])]
    _assert_same(lambda x, w, b: F.conv_transpose2d(x, w, b, **options), arrays, dtype, seed)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1d_kernel_equals_the_reference(dtype):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 4, 17)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)]
    _assert_same(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2), arrays, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_kernel_equals_the_reference_in_any_memory_order(dtype):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 3, 4, 2))
    _assert_same(F.relu, [x], dtype)
    # the layout a convolution kernel hands on: an NCHW view of channel-major memory
    _assert_same(lambda x, w: F.relu(F.conv2d(x, w, padding=1)), [x, rng.standard_normal((6, 3, 3, 3))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(5))
def test_pooling_kernels_equal_the_reference(seed, dtype):
    rng = np.random.default_rng(seed + 20)
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
    dilation = (int(rng.integers(1, 3)), 1)
    ceil_mode = bool(rng.integers(0, 2))
    x = rng.standard_normal((2, 3, int(rng.integers(6, 12)), int(rng.integers(6, 12))))
    _assert_same(lambda x: F.max_pool2d(x, k, stride, padding, dilation, ceil_mode), [x], dtype, seed)
    _assert_same(lambda x: F.avg_pool2d(x, k, stride, padding, ceil_mode), [x], dtype, seed)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_relu_pool_chain_equals_the_reference(dtype):
    """The LeNet-5 pattern, where the kernels hand batch-last views from one op to the next."""
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((4, 1, 12, 12)), rng.standard_normal((6, 1, 5, 5)), rng.standard_normal(6),
              rng.standard_normal((5, 6, 3, 3))]

    def chain(x, w1, b1, w2):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
        return F.max_pool2d(F.relu(F.conv2d(h, w2)), 2).flatten(1)

    _assert_same(chain, arrays, dtype)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_recurrent_kernels_equal_the_cell_loop(cell, dtype, reverse):
    rng = np.random.default_rng(6)
    t, n, i, h = 5, 3, 4, 6
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    states = 2 if cell == "lstm" else 1
    arrays = [rng.standard_normal((t, n, i)), *[rng.standard_normal((n, h)) for _ in range(states)],
              0.5 * rng.standard_normal((gates * h, i)), 0.5 * rng.standard_normal((gates * h, h)),
              rng.standard_normal(gates * h), rng.standard_normal(gates * h)]
    layer = getattr(rnn_ops, f"{cell}_layer")
    _assert_same(lambda *a: layer(*a, reverse=reverse), arrays, dtype)


def test_every_kernel_is_registered_for_a_reference_and_tested_here():
    tested = {conv_ops.Conv, conv_ops.ConvTranspose, conv_ops.ConvWeight, conv_ops.ChannelSum, ReLU,
              pool_ops.MaxPool, pool_ops.TapScatter, rnn_ops.rnn_cells, rnn_ops.lstm_cells, rnn_ops.gru_cells}
    assert set(registered()) == tested
    for reference, kernel in registered().items():
        assert kernel.reference is reference
        with use_kernels(True):
            assert select(reference) is kernel
        with use_kernels(False):
            assert select(reference) is reference


def test_the_switch_is_one_flag_and_restores_after_a_block():
    before = nr.kernels_enabled()
    with nr.use_kernels(False):
        assert not nr.kernels_enabled()
        with nr.use_kernels(True):
            assert nr.kernels_enabled()
        assert not nr.kernels_enabled()
    assert nr.kernels_enabled() == before


@pytest.mark.parametrize("value, enabled", [("0", False), ("off", False), ("1", True), ("", True)])
def test_the_environment_variable_sets_the_default(value, enabled):
    code = "import neurona; print(neurona.kernels_enabled())"
    env = {**os.environ, "NEURONA_KERNELS": value}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == str(enabled)


def test_kernels_off_gives_higher_order_gradients_through_recurrent_layers():
    """The fused kernels are differentiable once; the reference cell loop to any order."""
    layer = nn.GRU(3, 4).double()
    x = nr.randn(5, 2, 3, dtype=np.float64, requires_grad=True)
    with nr.use_kernels(True), pytest.raises(RuntimeError, match="differentiable once.*use_kernels"):
        nr.autograd.grad(layer(x)[0].sum(), x, create_graph=True)
    with nr.use_kernels(False):
        (g,) = nr.autograd.grad((layer(x)[0] ** 2).sum(), x, create_graph=True)
        (gg,) = nr.autograd.grad(g.sum(), x)
    assert gg.shape == x.shape and np.isfinite(gg.data).all()


def test_autotune_measures_once_and_remembers(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURONA_CACHE_DIR", str(tmp_path))
    autotune.forget()
    calls = {"slow": 0, "fast": 0}

    def slow():
        calls["slow"] += 1
        sum(range(20000))

    def fast():
        calls["fast"] += 1

    assert autotune.fastest(("test", 1), {"slow": slow, "fast": fast}) == "fast"
    measured = dict(calls)
    assert autotune.fastest(("test", 1), {"slow": slow, "fast": fast}) == "fast"
    assert calls == measured  # the second call only looks the choice up
    autotune.forget()
    autotune._loaded["done"] = False  # a new process: the choice comes back from the file, unmeasured
    assert autotune.fastest(("test", 1), {"slow": slow, "fast": fast}) == "fast"
    assert calls == measured
    autotune.forget()


@pytest.mark.parametrize(
    "in_size, kernel, stride, padding, dilation",
    [((20, 21), (5, 5), (1, 1), (2, 2), (1, 1)), ((9, 17), (3, 2), (2, 3), (1, 0), (2, 1)), ((7, 7), (1, 1), (1, 1), (0, 0), (1, 1))],
)
def test_col2im_is_the_adjoint_of_im2col(in_size, kernel, stride, padding, dilation):
    """<im2col(x), c> = <x, col2im(c)> for every x and c: col2im adds each column back exactly where
    im2col read it (with strides, dilation and padding)."""
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(in_size, kernel, stride, padding, dilation))
    geom = im2col_kernels.as_kernel_geometry(conv_ops.ConvGeometry(in_size, out, kernel, stride, padding, dilation, 1))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, *in_size))
    cols = im2col_kernels._im2col(x, geom)
    c = rng.standard_normal(cols.shape)
    back = im2col_kernels._col2im(c, geom)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, back), rtol=1e-12)
