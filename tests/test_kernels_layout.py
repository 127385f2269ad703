"""Memory order (ops/kernels/layout.py): a convolution kernel hands on its channel-major result as an NCHW view,
and the ReLU and pooling kernels and the gradients that flow back keep that order. Values and gradients must not depend
on the layout, and the order must actually be kept (otherwise every op pays a strided copy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurona as nr
import neurona.functional as F
from neurona.autograd import grad
from neurona.ops.conv import conv2d
from neurona.ops.kernels.layout import empty_in_order_of, in_order_of, memory_order, view_in_order_of


@pytest.fixture(autouse=True)
def _kernels_on():
    """These tests are about the kernels' layouts: they run with the kernels on, whatever NEURONA_KERNELS says."""
    with nr.use_kernels(True):
        yield


def _batch_last(shape, seed=0):
    """An (N, C, H, W) view of (C, H, W, N) memory."""
    n, c, h, w = shape
    memory = np.random.default_rng(seed).standard_normal((c, h, w, n)).astype(np.float32)
    return memory.transpose(3, 0, 1, 2)


def test_memory_order_and_allocation_in_an_order():
    c_order = np.zeros((2, 3, 4, 5))
    view = _batch_last((2, 3, 4, 5))
    assert memory_order(c_order) == [0, 1, 2, 3]
    assert memory_order(view) == [1, 2, 3, 0]
    for like in (c_order, view):
        fresh = empty_in_order_of(like, (2, 3, 8, 10), np.float64, zeros=True)
        assert fresh.shape == (2, 3, 8, 10) and memory_order(fresh) == memory_order(like)
        assert not fresh.any()
        zeros = view_in_order_of(like, np.zeros(500))
        assert zeros.shape == like.shape and memory_order(zeros) == memory_order(like)
        assert np.shares_memory(zeros, zeros.base)
    assert in_order_of(view, view) is view
    moved = in_order_of(view, np.ascontiguousarray(view))
    assert memory_order(moved) == [1, 2, 3, 0]
    np.testing.assert_array_equal(moved, view)


def test_conv_relu_pool_keep_the_convolutions_memory_order_and_match_torch():
    # a second LeNet-5 layer: 10 x 10 outputs, so the columns (and the output) are batch-last
    x = np.random.default_rng(0).standard_normal((8, 6, 14, 14)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((16, 6, 5, 5)).astype(np.float32) * 0.1
    b = np.random.default_rng(2).standard_normal(16).astype(np.float32)
    xn, wn, bn = (nr.tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(xn, wn, bn)
    r = F.relu(y)
    p = F.max_pool2d(r, 2)
    assert memory_order(y.data) == memory_order(r.data) == memory_order(p.data) == [1, 2, 3, 0]
    g = np.random.default_rng(3).standard_normal(p.shape).astype(np.float32)
    (p * nr.tensor(g)).sum().backward()

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    pt = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(xt, wt, bt)), 2)
    (pt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(p.data, pt.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((xn, xt), (wn, wt), (bn, bt)):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_relu_and_pooling_on_a_transposed_input_equal_the_c_ordered_result():
    view = _batch_last((4, 3, 6, 6))
    for fn in (F.relu, lambda t: F.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: F.avg_pool2d(t, 2)):
        a, c = nr.tensor(view, requires_grad=True), nr.tensor(np.ascontiguousarray(view), requires_grad=True)
        ya, yc = fn(a), fn(c)
        np.testing.assert_array_equal(ya.data, yc.data)
        g = np.random.default_rng(5).standard_normal(ya.shape).astype(np.float32)
        (ya * nr.tensor(g)).sum().backward()
        (yc * nr.tensor(g)).sum().backward()
        np.testing.assert_array_equal(a.grad.data, c.grad.data)


def test_input_gradients_and_transposed_convolutions_keep_the_channel_major_order():
    """col2im hands on its channel-major result as an NCHW view too: the input gradient of a convolution
    (what a pooling's backward reads next) and a transposed convolution's output, padded or not."""
    from neurona.ops.conv import conv_transpose2d

    rng = np.random.default_rng(4)
    for padding in (0, 1):
        x = rng.standard_normal((5, 3, 9, 9)).astype(np.float32)
        w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
        xn = nr.tensor(x, requires_grad=True)
        y = conv2d(xn, nr.tensor(w), padding=padding)
        g = rng.standard_normal(y.shape).astype(np.float32)
        (gx,) = grad(y, xn, nr.tensor(g))  # as the op made it (a leaf's .grad is stored C-ordered)
        assert memory_order(gx.data) == [1, 2, 3, 0]
        xt = torch.tensor(x, requires_grad=True)
        (torch.nn.functional.conv2d(xt, torch.tensor(w), padding=padding) * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(gx.data, xt.grad.numpy(), rtol=1e-4, atol=1e-4)

        u = rng.standard_normal((5, 4, 6, 6)).astype(np.float32)
        z = conv_transpose2d(nr.tensor(u), nr.tensor(w), stride=2, padding=padding)
        assert memory_order(z.data) == [1, 2, 3, 0]
        zt = torch.nn.functional.conv_transpose2d(torch.tensor(u), torch.tensor(w), stride=2, padding=padding)
        np.testing.assert_allclose(z.data, zt.numpy(), rtol=1e-4, atol=1e-4)
