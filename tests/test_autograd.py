"""neurona.autograd: grad() (first and second order, against torch), gradcheck on every op and on a
deliberately wrong one, numerical_grad, and anomaly detection."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from neurona.autograd import detect_anomaly, find_anomaly, grad, gradcheck, numerical_grad
from neurona.errors import GradcheckError
from neurona.tensor import Function
from parity import check_second_order, make_inputs

# ---- grad() --------------------------------------------------------------------------------------------


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = nr.tensor([3.0], requires_grad=True)
    result = grad((x * x).sum() * y.sum(), [x, y])
    assert isinstance(result, tuple) and len(result) == 2
    gx, gy = result
    np.testing.assert_allclose(gx.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gy.numpy(), [5.0])
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad  # without create_graph the result is a plain value
    (single,) = grad((x * 3.0).sum(), x)  # one input: still a tuple
    np.testing.assert_allclose(single.numpy(), [3.0, 3.0])


def test_grad_with_respect_to_intermediates_and_repeated_inputs():
    rng = np.random.default_rng(0)
    a, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    x = nr.tensor(a, dtype=nr.float64, requires_grad=True)
    hidden = (x @ nr.tensor(w, dtype=nr.float64)).tanh()
    g_hidden, g_x, g_x_again = grad((hidden * hidden).sum() + hidden.sum(), [hidden, x, x])
    xt = torch.tensor(a, requires_grad=True)
    hidden_t = (xt @ torch.tensor(w)).tanh()
    gt_hidden, gt_x = torch.autograd.grad((hidden_t * hidden_t).sum() + hidden_t.sum(), [hidden_t, xt])
    np.testing.assert_allclose(g_hidden.numpy(), gt_hidden.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_x.numpy(), gt_x.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(g_x_again.numpy(), g_x.numpy())


def test_grad_allow_unused():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    unused = nr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(1,\)\) was not used .* allow_unused=True"):
        grad((x * 2.0).sum(), [x, unused])
    gx, gu = grad((x * 2.0).sum(), [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [2.0, 2.0])


def test_grad_with_several_outputs_and_grad_outputs():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad([x * 2.0, x * x], [x], [nr.tensor([1.0, 1.0]), nr.tensor([0.5, 2.0])])
    np.testing.assert_allclose(g.numpy(), [2.0 + 1.0, 2.0 + 8.0])
    (g,) = grad(x * x, x, nr.tensor([1.0, 3.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, 12.0])


def test_grad_errors():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"output of shape \(2,\) needs grad_outputs"):
        grad(x * 2.0, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad(nr.tensor([1.0]).sum(), x)
    with pytest.raises(RuntimeError, match=r"an input of shape \(3,\) does not require grad"):
        grad((x * 2.0).sum(), nr.ones(3))
    y = (x * x).sum()
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        grad(y, x)  # the graph was freed by the first call
    z = (x * x).sum()
    grad(z, x, retain_graph=True)
    assert grad(z, x)[0] is not None


def test_create_graph_gives_differentiable_gradients():
    x = nr.tensor([0.5, -1.0], dtype=nr.float64, requires_grad=True)
    (g,) = grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = grad(g.sum(), x)  # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(h.numpy(), [3.0, -6.0])
    (g,) = grad(x.sin().sum(), x, create_graph=True)
    (g2,) = grad(g.sum(), x, create_graph=True)
    (g3,) = grad(g2.sum(), x)  # third derivative of sin is -cos
    np.testing.assert_allclose(g3.numpy(), -np.cos(x.numpy()))


def test_hessian_vector_product_of_an_mlp_loss_matches_torch():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 3, 8)
    W1, b1, W2 = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((3, 4))
    vs = [rng.standard_normal(W1.shape), rng.standard_normal(b1.shape), rng.standard_normal(W2.shape)]

    ws = [nr.tensor(w, dtype=nr.float64, requires_grad=True) for w in (W1, b1, W2)]
    loss = F.cross_entropy(F.linear(F.linear(nr.tensor(X, dtype=nr.float64), ws[0], ws[1]).tanh(), ws[2]), y)
    gs = grad(loss, ws, create_graph=True)
    ours = grad(sum((g * nr.tensor(v, dtype=nr.float64)).sum() for g, v in zip(gs, vs)), ws)

    ts = [torch.tensor(w, requires_grad=True) for w in (W1, b1, W2)]
    loss_t = TF.cross_entropy(
        TF.linear(TF.linear(torch.tensor(X), ts[0], ts[1]).tanh(), ts[2]), torch.tensor(y)
    )
    gts = torch.autograd.grad(loss_t, ts, create_graph=True)
    theirs = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in zip(gts, vs)), ts)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)


# ---- second order (every op's own is in the op table: tests/test_ops.py) ----------------------------------
def test_second_order_in_float32():
    check_second_order(
        lambda a, b: (a @ b).tanh(), lambda a, b: (a @ b).tanh(), [(3, 4), (4, 2)], dtype=np.float32
    )


# ---- gradcheck of gradients: second derivatives by finite differences of the first -------------------------
TARGET = np.array([0, 2, 1])
GRADCHECK = {
    "add broadcast": (lambda a, b: a + b, [(2, 3), (3,)], {}),
    "sub": (lambda a, b: a - b, [(2, 3), (2, 1)], {}),
    "mul": (lambda a, b: a * b, [(2, 3), ()], {}),
    "div": (lambda a, b: a / b, [(2, 3), (3,)], {"positive": True}),
    "neg": (lambda a: -a, [(4,)], {}),
    "pow": (lambda a, b: a**b, [(3,), (3,)], {"positive": True}),
    "pow scalar": (lambda a: a**3 + a**-1.5, [(4,)], {"positive": True}),
    "rpow": (lambda a: 2.0**a, [(4,)], {}),
    "abs": (lambda a: a.abs(), [(4,)], {"away_from": 0.0}),
    "exp": (lambda a: a.exp(), [(4,)], {}),
    "log": (lambda a: a.log(), [(4,)], {"positive": True}),
    "log1p": (lambda a: a.log1p(), [(4,)], {"positive": True}),
    "sqrt": (lambda a: a.sqrt(), [(4,)], {"positive": True}),
    "sin": (lambda a: a.sin(), [(4,)], {}),
    "cos": (lambda a: a.cos(), [(4,)], {}),
    "tanh": (lambda a: a.tanh(), [(4,)], {}),
    "sigmoid": (lambda a: a.sigmoid(), [(4,)], {}),
    "relu": (lambda a: a.relu(), [(6,)], {"away_from": 0.0}),
    "clamp": (lambda a: a.clamp(-0.5, 0.4), [(6,)], {"away_from": (-0.5, 0.4)}),
    "maximum": (nr.maximum, [(6,), (6,)], {}),
    "minimum": (nr.minimum, [(6,), (6,)], {}),
    "where": (lambda a, b: nr.where(np.array([True, False, True]), a, b), [(2, 3), (3,)], {}),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.1), [(6,)], {"away_from": 0.0}),
    "elu": (F.elu, [(6,)], {"away_from": 0.0}),
    "selu": (F.selu, [(6,)], {"away_from": 0.0}),
    "gelu": (F.gelu, [(6,)], {}),
    "gelu tanh": (lambda a: F.gelu(a, "tanh"), [(6,)], {}),
    "silu": (F.silu, [(6,)], {}),
    "softplus": (lambda a: F.softplus(a, 2.0, 1.0), [(6,)], {"away_from": 0.5}),
    "hardtanh": (lambda a: F.hardtanh(a, -0.5, 0.4), [(6,)], {"away_from": (-0.5, 0.4)}),
    "sum": (lambda a: a.sum((0, 2)), [(2, 3, 2)], {}),
    "mean": (lambda a: a.mean(1, keepdim=True), [(2, 3, 2)], {}),
    "prod": (lambda a: a.prod(1), [(3, 4)], {}),
    "prod with zero": (lambda a: a.prod(1), [np.array([[0.0, 1.5, 2.0], [0.5, -1.0, 0.7]])], {}),
    "amax amin": (lambda a: a.amax(1) + a.amin(0).sum(), [(3, 4)], {}),
    "max min with dim": (lambda a: a.max(1).values + a.min(dim=0).values.sum(), [(3, 4)], {}),
    "max min all": (lambda a: a.max() + a.min(), [(3, 4)], {}),
    "var std": (lambda a: a.var(1) + a.std(0).sum() + a.var(), [(3, 4)], {}),
    "logsumexp": (lambda a: a.logsumexp((0, 1)), [(3, 4)], {}),
    "norm": (lambda a: a.norm() + a.norm(1, 0).sum() + a.norm(3, 1).sum(), [(3, 4)], {"away_from": 0.0}),
    "reshape flatten": (lambda a: a.reshape(4, 3).flatten()[1:8], [(3, 4)], {}),
    "permute transpose": (lambda a: a.permute(2, 0, 1).transpose(0, 1).mT, [(2, 3, 4)], {}),
    "squeeze unsqueeze expand": (lambda a: a.unsqueeze(0).expand(2, 3, 1).squeeze(-1), [(3, 1)], {}),
    "broadcast_to": (
        lambda a: a.broadcast_to((2, 3)) * nr.tensor([[1.0], [2.0]], dtype=nr.float64),
        [(3,)],
        {},
    ),
    "index basic": (lambda a: a[1:, None, ::2][..., 0], [(3, 4)], {}),
    "index repeated": (lambda a: a[[0, 0, 2], 1:], [(3, 4)], {}),
    "index mask": (lambda a: a[a.numpy() > 0.1], [(3, 4)], {}),
    "cat stack": (
        lambda a, b: nr.cat([a, b], 0).sum(1) + nr.stack([a, b], 2).sum((0, 2)).sum(),
        [(2, 3), (2, 3)],
        {},
    ),
    "split chunk": (lambda a: a.split([1, 2], 1)[1] * a.chunk(3, 1)[0], [(2, 3)], {}),
    "pad": (lambda a: nr.pad(a, (1, 2, 0, 1), value=0.3), [(2, 3)], {}),
    "matmul": (lambda a, b: a @ b, [(2, 3, 4), (4, 2)], {}),
    "matmul vectors": (lambda a, b: (a @ b) * ((b @ nr.ones(2, dtype=nr.float64)) @ a), [(4,), (4, 2)], {}),
    "linear": (F.linear, [(3, 4), (2, 4), (2,)], {}),
    "softmax": (lambda a: F.softmax(a, 1), [(3, 4)], {}),
    "log_softmax": (lambda a: F.log_softmax(a, 0), [(3, 4)], {}),
    "mse l1": (lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b, "sum"), [(3, 2), (3, 2)], {}),
    "huber smooth_l1": (
        lambda a: (
            F.huber_loss(a, nr.zeros(3, 2, dtype=nr.float64), delta=0.3)
            + F.smooth_l1_loss(a, nr.zeros(3, 2, dtype=nr.float64), beta=0.3)
        ),
        [(3, 2)],
        {"away_from": (-0.3, 0.3)},
    ),
    "bce": (
        lambda a: F.binary_cross_entropy(a, np.array([[1.0, 0.0]] * 3), np.array([0.5, 2.0])),
        [(3, 2)],
        {"low": 0.1, "high": 0.9},
    ),
    "bce_with_logits": (
        lambda a: F.binary_cross_entropy_with_logits(
            a, np.full((3, 2), 0.3), pos_weight=np.array([2.0, 0.5])
        ),
        [(3, 2)],
        {},
    ),
    "cross_entropy": (
        lambda a: F.cross_entropy(a, TARGET, weight=np.array([1.0, 2.0, 0.5, 1.0]), label_smoothing=0.1),
        [(3, 4)],
        {},
    ),
    "cross_entropy k-dim": (lambda a: F.cross_entropy(a, np.array([[0, 1], [2, 0]])), [(2, 3, 2)], {}),
    "nll_loss": (lambda a: F.nll_loss(a, TARGET, reduction="sum"), [(3, 4)], {}),
    "kl_div": (
        lambda a, b: F.kl_div(F.log_softmax(a, 1), b.softmax(1), reduction="batchmean"),
        [(3, 4), (3, 4)],
        {},
    ),
}


@pytest.mark.parametrize(
    "name",
    [
        "mul",
        "div",
        "pow",
        "exp",
        "log",
        "tanh",
        "sigmoid",
        "gelu",
        "softplus",
        "elu",
        "prod",
        "var std",
        "logsumexp",
        "norm",
        "matmul",
        "softmax",
        "log_softmax",
        "cross_entropy",
        "kl_div",
        "index repeated",
        "pad",
    ],
)
def test_gradcheck_of_the_gradient(name):
    """Second derivatives by finite differences of the first: the backward passes are differentiable."""
    fn, shapes, kw = GRADCHECK[name]
    arrays = make_inputs(shapes, np.float64, low=kw.pop("low", -1.5), high=kw.pop("high", 1.5), seed=6, **kw)
    inputs = [nr.tensor(a, dtype=nr.float64, requires_grad=True) for a in arrays]
    upstream = np.random.default_rng(1).standard_normal(fn(*inputs).shape)

    def first_derivatives(*xs):
        with nr.enable_grad():  # gradcheck evaluates its function under no_grad for the finite differences
            return grad(fn(*xs), list(xs), nr.tensor(upstream, dtype=nr.float64), create_graph=True)

    assert gradcheck(first_derivatives, inputs)


class _WrongSquare(Function):
    """y = x^2 with a deliberately wrong derivative (3x instead of 2x)."""

    def forward(self, ctx, x):
        return x * x

    def backward(self, ctx, grad):
        return grad * ctx.inputs[0] * 3.0


def test_gradcheck_fails_on_a_wrong_function_and_says_where():
    x = nr.tensor([[0.5, -1.0], [2.0, 1.5]], dtype=nr.float64, requires_grad=True)
    other = nr.tensor([1.0], dtype=nr.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda o, t: (_WrongSquare.apply(t) * o).sum(), [other, x])
    message = str(err.value)
    for part in [
        "input 1",
        "shape (2, 2)",
        "element (0, 0)",
        "analytic 1.5",
        "numeric 1,",
        "relative error 0.5",
        "4 of 4 entries disagree",
    ]:
        assert part in message, f"{part!r} not in {message!r}"
    assert gradcheck(lambda t: _WrongSquare.apply(t).sum(), [x], raise_exception=False) is False
    assert isinstance(err.value, AssertionError)  # so a bare gradcheck(...) in a test fails it


def test_gradcheck_refuses_float32_and_inputs_without_grad():
    with pytest.raises(TypeError, match=r"input 0 is float32; use float64 \(x.double\(\)\)"):
        gradcheck(lambda t: t * 2.0, [nr.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        gradcheck(lambda t: t * 2.0, [nr.tensor([1.0], dtype=nr.float64)])


def test_gradcheck_checks_only_inputs_that_require_grad_and_accepts_tuple_outputs():
    x = nr.tensor([0.3, -0.7], dtype=nr.float64, requires_grad=True)
    c = nr.tensor([2.0, 3.0], dtype=nr.float64)
    assert gradcheck(lambda t, k: (t * k, t.exp()), [x, c])
    assert gradcheck(lambda t: t.tanh(), x)  # a single tensor is accepted too
    assert gradcheck(lambda t: nr.ones(3, dtype=nr.float64), x)  # an output made without x: zero Jacobian


def test_numerical_grad_matches_autograd():
    x = nr.tensor([0.3, -0.7], dtype=nr.float64, requires_grad=True)
    w = nr.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=nr.float64, requires_grad=True)
    num_x, num_w = numerical_grad(lambda a, b: ((a @ b).exp() * a).sum(), [x, w])
    ((x @ w).exp() * x).sum().backward()
    np.testing.assert_allclose(num_x, x.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(num_w, w.grad.numpy(), rtol=1e-7)
    assert num_w.shape == (2, 2)


# ---- anomaly detection ----------------------------------------------------------------------------------
def test_detect_anomaly_names_the_op_that_made_the_first_nan_or_inf():
    x = nr.tensor([0.0, 1.0])
    with pytest.raises(FloatingPointError) as err:
        with detect_anomaly(), np.errstate(divide="ignore"):
            (x * 2.0).log() * 3.0
    assert err.value.args[:2] == ("Log", "inf")
    with np.errstate(divide="ignore"):
        y = x.log()  # outside the block: no check
    assert np.isinf(y.numpy()[0])


def test_find_anomaly_explains_in_plain_words():
    with np.errstate(divide="ignore", invalid="ignore"):
        message = find_anomaly(lambda: nr.tensor([1.0, -1.0]).sqrt() * 2.0)
        assert message.startswith("The first NaN came from op Sqrt")
        assert "square root of a negative number" in message
        assert find_anomaly(lambda: nr.tensor([1.0]).exp()).startswith("No op produced a non-finite value")
