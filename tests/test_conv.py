"""Convolutions (ops/conv.py, nn/conv.py) against torch: values, gradients of input and every parameter,
second-order gradients, finite differences in float64, default init, repr and shape errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import neurona as nr
from neurona import nn
from neurona.autograd import grad, gradcheck
from neurona.errors import ShapeError
from neurona.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d

# torch warns that it copies the input for 'same' padding with an even kernel; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-10)}


def _data(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _check_functional(nr_fn, torch_fn, x_shape, w_shape, bias, dtype, seed=0, **kw):
    """Same x, w, b in both libraries: compare y and the gradients of x, w, b for a random upstream g."""
    x, w = _data(x_shape, dtype, seed), _data(w_shape, dtype, seed + 1)
    b = _data((bias,), dtype, seed + 2) if bias else None
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True) if bias else None
    yt = torch_fn(xt, wt, bt, **kw)
    g = _data(tuple(yt.shape), dtype, seed + 3)
    yt.backward(torch.tensor(g))
    xn, wn = nr.tensor(x, dtype=dtype, requires_grad=True), nr.tensor(w, dtype=dtype, requires_grad=True)
    bn = nr.tensor(b, dtype=dtype, requires_grad=True) if bias else None
    yn = nr_fn(xn, wn, bn, **kw)
    assert yn.dtype == dtype
    np.testing.assert_allclose(yn.data, yt.detach().numpy(), **TOL[dtype])
    yn.backward(nr.tensor(g, dtype=dtype))
    np.testing.assert_allclose(xn.grad.data, xt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(wn.grad.data, wt.grad.numpy(), **TOL[dtype])
    assert xn.grad.dtype == dtype and wn.grad.dtype == dtype
    if bias:
        np.testing.assert_allclose(bn.grad.data, bt.grad.numpy(), **TOL[dtype])


# --------------------------------------------------------------------------------------------------
# functional parity
# --------------------------------------------------------------------------------------------------
CONV2D_CASES = [  # (x shape, out channels, kernel, options)
    ((2, 3, 7, 8), 4, (3, 3), dict()),
    ((2, 3, 7, 8), 4, (3, 3), dict(padding=1)),
    ((2, 4, 9, 8), 6, (3, 2), dict(stride=2, padding=(1, 2), dilation=(2, 1), groups=2)),
    ((2, 4, 9, 8), 6, (4, 2), dict(padding="same", dilation=(2, 1), groups=2)),
    ((1, 3, 6, 7), 5, (2, 4), dict(padding="same")),
    ((2, 4, 9, 10), 4, (3, 3), dict(padding="valid", stride=(2, 3), groups=4)),  # depthwise
    ((3, 2, 20, 21), 3, (5, 5), dict(padding=2)),  # wide rows: the batch-first column layout; small
    # weight: the weight gradient as a sum of per-sample products
    ((2, 8, 18, 18), 16, (3, 3), dict(padding=1)),  # wide rows, weight of 1152 numbers: one weight GEMM
    ((3, 2, 8, 9), 3, (3, 3), dict(stride=3, padding=1)),  # stride = kernel
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape, out_channels, kernel, options", CONV2D_CASES)
def test_conv2d_matches_torch(x_shape, out_channels, kernel, options, bias, dtype):
    groups = options.get("groups", 1)
    w_shape = (out_channels, x_shape[1] // groups, *kernel)
    _check_functional(conv2d, torch.nn.functional.conv2d, x_shape, w_shape, out_channels if bias else 0,
                      dtype, **options)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, out_channels, kernel, options", [
    ((2, 3, 9), 4, 3, dict()),
    ((2, 4, 11), 6, 3, dict(stride=2, padding=2, dilation=2, groups=2)),
    ((2, 3, 10), 5, 4, dict(padding="same")),
    ((1, 2, 30), 2, 5, dict(padding="valid", stride=3)),
])
def test_conv1d_matches_torch(x_shape, out_channels, kernel, options, dtype):
    groups = options.get("groups", 1)
    _check_functional(conv1d, torch.nn.functional.conv1d, x_shape, (out_channels, x_shape[1] // groups, kernel),
                      out_channels, dtype, **options)


CONV_T2D_CASES = [  # (x shape, out channels per group, kernel, options)
    ((2, 3, 5, 4), 4, (3, 3), dict()),
    ((2, 4, 5, 4), 3, (3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((2, 2, 4, 5), 3, (3, 3), dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), dilation=(1, 2))),
    ((1, 2, 3, 3), 2, (2, 2), dict(stride=1, dilation=3, output_padding=2)),  # output_padding < dilation
    ((2, 3, 6, 7), 2, (4, 4), dict(stride=2, padding=1)),  # the usual 2x upsampling
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape, out_per_group, kernel, options", CONV_T2D_CASES)
def test_conv_transpose2d_matches_torch(x_shape, out_per_group, kernel, options, bias, dtype):
    groups = options.get("groups", 1)
    w_shape = (x_shape[1], out_per_group, *kernel)
    _check_functional(conv_transpose2d, torch.nn.functional.conv_transpose2d, x_shape, w_shape,
                      out_per_group * groups if bias else 0, dtype, **options)


@pytest.mark.parametrize("options", [dict(), dict(stride=3, padding=1, output_padding=2, groups=2, dilation=2)])
def test_conv_transpose1d_matches_torch(options):
    _check_functional(conv_transpose1d, torch.nn.functional.conv_transpose1d, (2, 4, 7), (4, 3, 3), 3 * options.get("groups", 1),
                      np.float64, **options)


def test_unbatched_input_matches_torch():
    _check_functional(conv2d, torch.nn.functional.conv2d, (3, 7, 8), (4, 3, 3, 3), 4, np.float64, padding=1)
    _check_functional(conv1d, torch.nn.functional.conv1d, (3, 9), (4, 3, 3), 4, np.float64)
    _check_functional(conv_transpose2d, torch.nn.functional.conv_transpose2d, (3, 4, 5), (3, 2, 3, 3), 2,
                      np.float64, stride=2)


def test_float32_stays_float32_and_mixed_dtypes_promote():
    x = nr.randn(2, 3, 6, 6)
    w = nr.tensor(_data((4, 3, 3, 3), np.float32, 0), requires_grad=True)
    y = conv2d(x, w, nr.zeros(4))
    assert y.dtype == np.float32
    y.sum().backward()
    assert w.grad.dtype == np.float32
    assert conv2d(x.double(), w).dtype == np.float64


# --------------------------------------------------------------------------------------------------
# gradients: finite differences and second order
# --------------------------------------------------------------------------------------------------
def _leaves(*shapes, seed=0):
    return [nr.tensor(_data(s, np.float64, seed + i), dtype=np.float64, requires_grad=True) for i, s in enumerate(shapes)]


def test_conv2d_gradcheck():
    x, w, b = _leaves((2, 4, 5, 5), (2, 2, 3, 2), (2,))
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2), [x, w, b])


def test_conv_transpose2d_gradcheck():
    x, w, b = _leaves((1, 2, 3, 3), (2, 2, 2, 3), (4,))
    assert gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2), [x, w, b])


def test_conv1d_gradcheck():
    x, w, b = _leaves((2, 2, 7), (3, 2, 3), (3,))
    assert gradcheck(lambda x, w, b: conv1d(x, w, b, stride=2, padding="valid", dilation=2), [x, w, b])


def test_conv2d_backward_is_differentiable_gradcheck():
    """Finite differences of the first gradients: every op in conv's backward has a correct backward."""
    x, w = _leaves((1, 2, 4, 4), (2, 2, 2, 2))
    g = nr.tensor(_data((1, 2, 3, 3), np.float64, 9), dtype=np.float64)

    def first_grads(x, w):
        with nr.enable_grad():  # gradcheck evaluates its function under no_grad for the finite differences
            y = conv2d(x, w, stride=2, padding=1)
            return grad(y, [x, w], g, create_graph=True)

    assert gradcheck(first_grads, [x, w])


def test_conv2d_second_order_matches_torch():
    """A gradient penalty: d/d(x, w, b) of ||d loss / dx||^2, as in WGAN-GP."""
    x, w, b = (_data(s, np.float64, i) for i, s in enumerate([(2, 3, 6, 5), (4, 3, 3, 3), (4,)]))
    xn, wn, bn = (nr.tensor(a, dtype=np.float64, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

    def penalty(F, autograd_grad, x, w, b):
        y = F.conv2d(x, w, b, stride=2, padding=1)
        loss = (y * y * y).sum()
        (gx,) = autograd_grad(loss, [x], create_graph=True)
        return (gx * gx).sum()

    pn = penalty(nr.ops.conv, lambda o, i, create_graph: grad(o, i, create_graph=create_graph), xn, wn, bn)
    pt = penalty(torch.nn.functional, lambda o, i, create_graph: torch.autograd.grad(o, i, create_graph=create_graph),
                 xt, wt, bt)
    np.testing.assert_allclose(pn.item(), pt.item(), rtol=1e-10)
    pn.backward()
    pt.backward()
    for a, b_ in ((xn, xt), (wn, wt), (bn, bt)):
        np.testing.assert_allclose(a.grad.data, b_.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_conv_transpose2d_second_order_matches_torch():
    x, w = (_data(s, np.float64, i) for i, s in enumerate([(2, 3, 3, 4), (3, 2, 3, 3)]))
    xn, wn = (nr.tensor(a, dtype=np.float64, requires_grad=True) for a in (x, w))
    xt, wt = (torch.tensor(a, requires_grad=True) for a in (x, w))
    yn = conv_transpose2d(xn, wn, stride=2, output_padding=1)
    yt = torch.nn.functional.conv_transpose2d(xt, wt, stride=2, output_padding=1)
    (gwn,) = grad((yn * yn).sum(), [wn], create_graph=True)
    (gwt,) = torch.autograd.grad((yt * yt).sum(), [wt], create_graph=True)
    (gwn * gwn).sum().backward()
    (gwt * gwt).sum().backward()
    np.testing.assert_allclose(xn.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(wn.grad.data, wt.grad.numpy(), rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------------------------------
# layers
# --------------------------------------------------------------------------------------------------
LAYER_CASES = [
    ("Conv2d", (3, 6, 5), dict(padding=2), (2, 3, 12, 11)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=2, dilation=(1, 2), groups=2, bias=False), (2, 4, 9, 10)),
    ("Conv2d", (2, 4, 3), dict(padding="same"), (3, 2, 6, 5)),
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="reflect"), (2, 2, 6, 5)),
    ("Conv2d", (2, 3, 3), dict(padding=(2, 1), padding_mode="replicate"), (2, 2, 6, 5)),
    ("Conv2d", (2, 3, (3, 4)), dict(padding="same", padding_mode="circular"), (2, 2, 6, 5)),
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 10)),
    ("Conv1d", (2, 4, 4), dict(padding="same", padding_mode="reflect", groups=2), (2, 2, 9)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 4)),
    ("ConvTranspose2d", (3, 2, (2, 3)), dict(stride=(2, 1), dilation=2, bias=False), (2, 3, 4, 4)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=2, output_padding=1), (2, 3, 6)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, args, options, x_shape", LAYER_CASES)
def test_layer_matches_torch(name, args, options, x_shape, dtype):
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(*args, **options).to(torch.float64 if dtype == np.float64 else torch.float32)
    layer = getattr(nn, name)(*args, **options)
    if dtype == np.float64:
        layer.double()
    layer.load_state_dict(reference.state_dict())
    assert list(layer.state_dict()) == list(reference.state_dict())
    assert repr(layer) == repr(reference)
    x = _data(x_shape, dtype, 1)
    xt = torch.tensor(x, requires_grad=True)
    xn = nr.tensor(x, dtype=dtype, requires_grad=True)
    yt, yn = reference(xt), layer(xn)
    np.testing.assert_allclose(yn.data, yt.detach().numpy(), **TOL[dtype])
    g = _data(tuple(yt.shape), dtype, 2)
    yt.backward(torch.tensor(g))
    yn.backward(nr.tensor(g, dtype=dtype))
    np.testing.assert_allclose(xn.grad.data, xt.grad.numpy(), **TOL[dtype])
    for (key, p), q in zip(layer.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), **TOL[dtype], err_msg=key)


def test_layer_accepts_unbatched_input():
    torch.manual_seed(0)
    reference = torch.nn.Conv2d(3, 4, 3, padding=1)
    layer = nn.Conv2d(3, 4, 3, padding=1)
    layer.load_state_dict(reference.state_dict())
    x = _data((3, 5, 6), np.float32, 0)
    y = layer(nr.tensor(x))
    assert y.shape == (4, 5, 6)
    np.testing.assert_allclose(y.data, reference(torch.tensor(x)).detach().numpy(), **TOL[np.float32])


def test_conv_transpose2d_output_size():
    torch.manual_seed(0)
    reference = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    layer.load_state_dict(reference.state_dict())
    x = _data((1, 2, 4, 4), np.float32, 0)
    y = layer(nr.tensor(x), output_size=(8, 8))
    assert y.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(y.data, reference(torch.tensor(x), output_size=(8, 8)).detach().numpy(), **TOL[np.float32])
    with pytest.raises(ShapeError, match="valid sizes"):
        layer(nr.tensor(x), output_size=(10, 10))


@pytest.mark.parametrize("name, args, fan_in", [
    ("Conv2d", (3, 16, 5), 3 * 25),
    ("Conv2d", (8, 4, (3, 2), 1, 0, 1, 4), 2 * 6),
    ("Conv1d", (5, 7, 3), 15),
    ("ConvTranspose2d", (6, 4, 3), 4 * 9),  # torch's fan_in of a transposed conv: weight.shape[1] * kernel
    ("ConvTranspose2d", (6, 4, 3, 1, 0, 0, 2), 2 * 9),
])
def test_default_init_bounds_match_torch(name, args, fan_in):
    nr.manual_seed(0)
    layer = getattr(nn, name)(*args)
    reference = getattr(torch.nn, name)(*args)
    assert layer.weight.shape == tuple(reference.weight.shape)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a = sqrt 5): gain sqrt(1/3) * sqrt(3 / fan_in)
    for p, q in ((layer.weight, reference.weight), (layer.bias, reference.bias)):
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound
        assert np.abs(q.detach().numpy()).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound  # spread over the whole interval, not a narrower one


def test_lenet_shapes():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.Conv2d(6, 16, 5))
    assert model(nr.randn(4, 1, 28, 28)).shape == (4, 16, 24, 24)


# --------------------------------------------------------------------------------------------------
# errors that teach
# --------------------------------------------------------------------------------------------------
def test_wrong_channel_count_names_layer_and_shapes():
    layer = nn.Conv2d(3, 6, 5)
    with pytest.raises(ShapeError) as e:
        layer(nr.randn(8, 1, 28, 28))
    message = str(e.value)
    assert message.startswith("Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1)) expects 3 input channels")
    assert "dimension 1" in message and "(8, 1, 28, 28)" in message


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv2d(3, 6, 5), (8, 784)),
    (nn.Conv2d(3, 6, 5), (2, 8, 3, 28, 28)),
    (nn.Conv1d(3, 6, 5), (8, 3, 28, 28)),
    (nn.ConvTranspose2d(3, 6, 5), (3, 28)),
])
def test_wrong_rank_names_layer_and_shape(layer, shape):
    with pytest.raises(ShapeError) as e:
        layer(nr.randn(*shape))
    message = str(e.value)
    assert type(layer).__name__ in message and str(shape) in message and "-D" in message


def test_input_smaller_than_kernel_names_layer():
    with pytest.raises(ShapeError, match=r"Conv2d\(1, 2, kernel_size=\(5, 5\).*smaller than the kernel"):
        nn.Conv2d(1, 2, 5)(nr.randn(1, 1, 3, 3))


def test_functional_errors():
    x = nr.randn(2, 3, 8, 8)
    with pytest.raises(ShapeError, match="has 3 channels"):
        conv2d(x, nr.randn(4, 2, 3, 3))
    with pytest.raises(ShapeError, match="4-D"):
        conv2d(x, nr.randn(4, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        conv2d(x, nr.randn(4, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose2d(x, nr.randn(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ShapeError, match="bias"):
        conv2d(x, nr.randn(4, 3, 3, 3), nr.randn(3))


def test_constructor_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="padding"):
        nn.ConvTranspose2d(3, 6, 3, padding="same")
