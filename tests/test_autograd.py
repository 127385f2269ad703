"""autograd.grad, second-order parity with torch, and gradcheck on every op (and on a wrong one)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from neurona.autograd import grad, gradcheck, numerical_grad
from neurona.errors import GradcheckError
from neurona.tensor import Function
from parity import check_second_order

SECOND_ORDER = {
    "mul": ((lambda a, b: a * b * a), (lambda a, b: a * b * a), [(3, 4), (4,)], {}),
    "div": ((lambda a, b: a / b), (lambda a, b: a / b), [(3, 4), (3, 4)], {"positive": True}),
    "pow": ((lambda a, b: a**b), (lambda a, b: a**b), [(3,), (3,)], {"positive": True}),
    "pow_scalar": ((lambda a: a**3), (lambda a: a**3), [(3, 2)], {}),
    "exp": ((lambda a: a.exp()), (lambda a: a.exp()), [(3, 4)], {}),
    "log": ((lambda a: a.log()), (lambda a: a.log()), [(3, 4)], {"positive": True}),
    "tanh": ((lambda a: a.tanh()), (lambda a: a.tanh()), [(3, 4)], {}),
    "sigmoid": ((lambda a: a.sigmoid()), (lambda a: a.sigmoid()), [(3, 4)], {}),
    "softmax": ((lambda a: F.softmax(a, -1)), (lambda a: TF.softmax(a, -1)), [(3, 4)], {}),
    "log_softmax": ((lambda a: F.log_softmax(a, 1)), (lambda a: TF.log_softmax(a, 1)), [(3, 4)], {}),
    "matmul": ((lambda a, b: (a @ b).tanh()), (lambda a, b: (a @ b).tanh()), [(3, 4), (4, 2)], {}),
    "sum": ((lambda a: (a * a).sum(1)), (lambda a: (a * a).sum(1)), [(3, 4)], {}),
    "mean": ((lambda a: (a * a * a).mean(0)), (lambda a: (a * a * a).mean(0)), [(3, 4)], {}),
    "relu": ((lambda a: a.relu() * a), (lambda a: a.relu() * a), [(3, 4)], {"away_from": 0.0}),
    "cross_entropy": ((lambda a: F.cross_entropy(a, nr.tensor([0, 2, 1]))),
                      (lambda a: TF.cross_entropy(a, torch.tensor([0, 2, 1]))), [(3, 4)], {}),
    "cross_entropy_smooth": ((lambda a: F.cross_entropy(a, nr.tensor([0, 2, 1]), label_smoothing=0.2)),
                             (lambda a: TF.cross_entropy(a, torch.tensor([0, 2, 1]), label_smoothing=0.2)),
                             [(3, 4)], {}),
    "linear": ((lambda x, w, b: F.linear(x, w, b).tanh()), (lambda x, w, b: TF.linear(x, w, b).tanh()),
               [(5, 3), (2, 3), (2,)], {}),
    "gelu": ((lambda a: F.gelu(a)), (lambda a: TF.gelu(a)), [(3, 4)], {}),
    "logsumexp": ((lambda a: a.logsumexp(1)), (lambda a: a.logsumexp(1)), [(3, 4)], {}),
    "var": ((lambda a: a.var(0)), (lambda a: a.var(0)), [(3, 4)], {}),
    "sqrt": ((lambda a: a.sqrt()), (lambda a: a.sqrt()), [(3, 4)], {"positive": True}),
    "index_cat": ((lambda a: nr.cat([a[0:2], a[[2, 2]]], 0) ** 2), (lambda a: torch.cat([a[0:2], a[[2, 2]]], 0) ** 2),
                  [(3, 4)], {}),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_parity(name):
    nf, tf, shapes, kw = SECOND_ORDER[name]
    check_second_order(nf, tf, shapes, **kw)


def test_hessian_vector_product_of_an_mlp_loss():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    W1, W2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    v1, v2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))

    def hvp(lib, tensor, fn, ce):
        w1, w2 = tensor(W1), tensor(W2)
        loss = ce(fn(tensor(X, False) @ w1.T) @ w2.T, y)
        g1, g2 = lib(loss, [w1, w2])
        dot = (g1 * tensor(v1, False)).sum() + (g2 * tensor(v2, False)).sum()
        return [g.numpy() if hasattr(g, "numpy") and not hasattr(g, "detach") else g.detach().numpy()
                for g in lib(dot, [w1, w2], second=True)]

    ours = hvp(lambda o, i, second=False: grad(o, i, create_graph=not second),
               lambda a, rg=True: nr.tensor(a, dtype=nr.float64, requires_grad=rg),
               lambda t: t.tanh(), lambda z, t: F.cross_entropy(z, nr.tensor(t)))
    theirs = hvp(lambda o, i, second=False: torch.autograd.grad(o, i, create_graph=not second),
                 lambda a, rg=True: torch.tensor(a, requires_grad=rg),
                 lambda t: t.tanh(), lambda z, t: TF.cross_entropy(z, torch.tensor(t)))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = nr.tensor([3.0], requires_grad=True)
    gx, gy = grad((x * x).sum() * y.sum(), [x, y])
    np.testing.assert_allclose(gx.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gy.numpy(), [5.0])
    assert x.grad is None and y.grad is None
    unused = nr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad((x * 2.0).sum(), [unused])
    assert grad((x * 2.0).sum(), [x, unused], allow_unused=True)[1] is None


GRADCHECK = {
    "add_broadcast": (lambda a, b: a + b, [(2, 3), (3,)]),
    "sub_mul_div": (lambda a, b: (a - b) * a / (b * b + 1.0), [(2, 3), (2, 3)]),
    "pow": (lambda a, b: (a * a + 1.0) ** b, [(3,), (3,)]),
    "unary": (lambda a: a.exp() + (a * a + 1.0).log() + (a * a + 1.0).sqrt() + a.sin() + a.cos() + a.log1p().abs(),
              [(4,)]),
    "activations": (lambda a: a.tanh() + a.sigmoid() + F.elu(a) + F.gelu(a) + F.silu(a) + F.softplus(a)
                    + F.gelu(a, "tanh") + F.selu(a) + F.leaky_relu(a, 0.1), [(5,)]),
    "clamp_where_max": (lambda a, b: a.clamp(-0.3, 0.4) + nr.where(a.numpy() > 0, a, b) + nr.maximum(a, b)
                        + nr.minimum(a, b), [(6,), (6,)]),
    "reductions": (lambda a: a.sum(0) + a.mean(1).sum() + a.amax(1).sum() + a.prod(1).sum() + a.logsumexp(0)
                   + a.var(1).sum() + a.std(0) + a.max(dim=0).values, [(3, 4)]),
    "shape": (lambda a: a.reshape(4, 3).T.flatten()[1:8].unsqueeze(0).expand(2, 7).permute(1, 0).squeeze(), [(3, 4)]),
    "index_scatter": (lambda a: a[[0, 0, 2], 1:] * a[a.numpy() > 0.1].sum(), [(3, 4)]),
    "cat_stack_split_pad": (lambda a, b: nr.pad(nr.cat([a, b], 0), (1, 1)).sum(0)[1:4]
                            + nr.stack([a, b]).sum((0, 1)) + a.split(2, 1)[1].sum(0).sum(), [(2, 3), (2, 3)]),
    "matmul_batched": (lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)]),
    "softmax_family": (lambda a: F.softmax(a, 1) * F.log_softmax(a, 0), [(3, 4)]),
    "losses": (lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b) + F.huber_loss(a, b, delta=0.3)
               + F.smooth_l1_loss(a, b, beta=0.3) + F.binary_cross_entropy_with_logits(a, b.sigmoid()), [(3, 2), (3, 2)]),
    "bce_probabilities": (lambda a: F.binary_cross_entropy(a.sigmoid(), nr.tensor([[1.0, 0.0]] * 3, dtype=nr.float64)),
                          [(3, 2)]),
    "cross_entropy": (lambda a: F.cross_entropy(a, nr.tensor([0, 2, 1]), weight=nr.tensor([1.0, 2.0, 0.5, 1.0], dtype=nr.float64),
                                                label_smoothing=0.1), [(3, 4)]),
    "nll_kl": (lambda a: F.nll_loss(F.log_softmax(a, 1), nr.tensor([1, 0, 3]))
               + F.kl_div(F.log_softmax(a, 1), nr.tensor(np.full((3, 4), 0.25), dtype=nr.float64), reduction="batchmean"),
               [(3, 4)]),
}


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck_every_op(name):
    fn, shapes = GRADCHECK[name]
    rng = np.random.default_rng(5)
    inputs = [nr.tensor(rng.uniform(-1.5, 1.5, s), dtype=nr.float64, requires_grad=True) for s in shapes]
    for t in inputs:  # keep piecewise ops off their kinks
        t.data[np.abs(t.data) < 0.05] += 0.2
        t.data[np.abs(np.abs(t.data) - 0.3) < 0.02] += 0.05
        t.data[np.abs(t.data - 0.4) < 0.02] += 0.05
    assert gradcheck(fn, inputs)


class _WrongSquare(Function):
    """y = x^2 with a deliberately wrong derivative (3x instead of 2x)."""

    def forward(self, ctx, x):
        return x * x

    def backward(self, ctx, grad):
        return grad * ctx.inputs[0] * 3.0


def test_gradcheck_reports_the_failing_element():
    x = nr.tensor([[0.5, -1.0], [2.0, 1.5]], dtype=nr.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda t: _WrongSquare.apply(t).sum(), [x])
    msg = str(err.value)
    assert "input 0" in msg and "element (0, 0)" in msg and "analytic 1.5" in msg and "numeric 1" in msg
    assert "relative error 0.5" in msg
    assert gradcheck(lambda t: _WrongSquare.apply(t).sum(), [x], raise_exception=False) is False


def test_gradcheck_needs_float64():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2.0, [nr.tensor([1.0], requires_grad=True)])


def test_numerical_grad_matches_autograd():
    x = nr.tensor([0.3, -0.7], dtype=nr.float64, requires_grad=True)
    (num,) = numerical_grad(lambda t: (t.exp() * t).sum(), [x])
    (t.exp() * t).sum().backward() if (t := x) is not None else None
    np.testing.assert_allclose(num, x.grad.numpy(), rtol=1e-7)
