"""Loss modules against torch.nn losses: values and input gradients, every reduction."""

import numpy as np
import pytest
import torch

import neurona as nr
from neurona import nn
from neurona.errors import ShapeError

rng = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def _check(nr_loss, torch_loss, x, y, dtype=np.float64, y_int=False):
    xn = nr.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x.astype(dtype), requires_grad=True)
    yn = nr.tensor(y) if y_int else nr.tensor(y, dtype=dtype)
    yt = torch.tensor(y) if y_int else torch.tensor(y.astype(dtype))
    ln, lt = nr_loss(xn, yn), torch_loss(xt, yt)
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ln.numpy(), lt.detach().numpy(), **tol)
    g = rng.standard_normal(lt.shape)
    ln.backward(nr.tensor(g, dtype=dtype))
    lt.backward(torch.tensor(g.astype(dtype)))
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), **tol)
    assert ln.dtype == dtype and xn.grad.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", [("MSELoss", {}), ("L1Loss", {}), ("HuberLoss", {"delta": 0.7}),
                                     ("SmoothL1Loss", {"beta": 0.5})])
def test_regression_losses(name, kw, reduction, dtype):
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    _check(getattr(nn, name)(reduction=reduction, **kw), getattr(torch.nn, name)(reduction=reduction, **kw), x, y, dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_losses(reduction):
    p = rng.uniform(0.05, 0.95, (5, 4))
    y = rng.integers(0, 2, (5, 4)).astype(float)
    w = rng.uniform(0.5, 2, 4)
    _check(nn.BCELoss(weight=nr.tensor(w, dtype=nr.float64), reduction=reduction), torch.nn.BCELoss(weight=torch.tensor(w), reduction=reduction), p, y)
    logits = rng.standard_normal((5, 4)) * 3
    pw = rng.uniform(0.5, 3, 4)
    _check(nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=nr.tensor(pw, dtype=nr.float64)),
           torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=torch.tensor(pw)), logits, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.2}, {"ignore_index": 1}, {"weight": [0.5, 1.0, 2.0, 1.5]},
                                {"weight": [0.5, 1.0, 2.0, 1.5], "label_smoothing": 0.1, "ignore_index": 0}])
def test_cross_entropy_module(kw, reduction):
    x = rng.standard_normal((7, 4))
    y = rng.integers(0, 4, 7)
    tkw = {k: (torch.tensor(v, dtype=torch.float64) if k == "weight" else v) for k, v in kw.items()}
    _check(nn.CrossEntropyLoss(reduction=reduction, **kw), torch.nn.CrossEntropyLoss(reduction=reduction, **tkw),
           x, y, y_int=True)


def test_cross_entropy_probability_targets():
    x = rng.standard_normal((5, 3))
    p = rng.dirichlet(np.ones(3), 5)
    _check(nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1), x, p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_kl(reduction):
    logp = np.log(rng.dirichlet(np.ones(4), 6))
    y = rng.integers(0, 4, 6)
    _check(nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction), logp, y, y_int=True)
    target = rng.dirichlet(np.ones(4), 6)
    _check(nn.KLDivLoss(reduction=reduction), torch.nn.KLDivLoss(reduction=reduction), logp, target)


def test_kl_batchmean_and_log_target():
    logp = np.log(rng.dirichlet(np.ones(4), 6))
    logq = np.log(rng.dirichlet(np.ones(4), 6))
    _check(nn.KLDivLoss(reduction="batchmean", log_target=True),
           torch.nn.KLDivLoss(reduction="batchmean", log_target=True), logp, logq)


def test_loss_errors_are_clear():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ShapeError, match=r"\(4, 1\).*\(4,\)"):
        nn.MSELoss()(nr.randn(4, 1), nr.randn(4))
    with pytest.raises(ValueError, match=r"target 5 is out of range for 3 classes"):
        nn.CrossEntropyLoss()(nr.randn(4, 3), nr.tensor([0, 1, 5, 2]))
    with pytest.raises(ValueError, match="apply sigmoid first"):
        nn.BCELoss()(nr.randn(4) * 5, nr.ones(4))


def test_loss_weight_is_a_buffer_like_torch():
    assert list(nn.CrossEntropyLoss(weight=[1.0, 2.0]).state_dict()) == list(
        torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0])).state_dict())
