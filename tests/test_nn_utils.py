"""nn.utils: gradient clipping and parameter/vector conversion against torch.nn.utils; L1/L2 penalties."""

import math

import numpy as np
import pytest
import torch

import neurona as nr
import neurona.functional as F
from neurona import nn
from neurona.errors import ShapeError

TOL = {np.float32: dict(rtol=1e-5, atol=1e-7), np.float64: dict(rtol=1e-12, atol=1e-14)}
SHAPES = [(3, 4), (4,), (2, 3, 2), ()]


def _pair(dtype, scale=1.0, with_grad=(True, True, True, True)):
    rng = np.random.default_rng(1)
    n_params, t_params = [], []
    for shape, has_grad in zip(SHAPES, with_grad):
        w = rng.standard_normal(shape).astype(dtype)
        g = (scale * rng.standard_normal(shape)).astype(dtype)
        p, t = nn.Parameter(w), torch.nn.Parameter(torch.tensor(w))
        if has_grad:
            p.grad, t.grad = nr.tensor(g, dtype=dtype), torch.tensor(g)
        n_params.append(p)
        t_params.append(t)
    return n_params, t_params


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    n_params, t_params = _pair(dtype, with_grad=(True, True, False, True))
    old = [p.grad for p in n_params]
    old_arrays = [None if g is None else g.data.copy() for g in old]
    total = nn.utils.clip_grad_norm_(iter(n_params), max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    assert isinstance(total, nr.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), t_total.item(), **TOL[dtype])
    for p, t, g_old, a_old in zip(n_params, t_params, old, old_arrays):
        if t.grad is None:
            assert p.grad is None
            continue
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), **TOL[dtype])
        assert p.grad.dtype == dtype
        assert p.grad is not g_old
        np.testing.assert_array_equal(g_old.data, a_old)  # the old gradient array was not scaled in place
    if max_norm == 1e3:
        for p, a_old in zip(n_params, old_arrays):
            if a_old is not None:
                np.testing.assert_array_equal(p.grad.data, a_old)


def test_clip_grad_norm_single_tensor_empty_and_nonfinite():
    p = nn.Parameter(np.array([3.0, 4.0]))
    p.grad = nr.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, np.array([0.6, 0.8]) * 5 / (5 + 1e-6), rtol=1e-6)
    assert nn.utils.clip_grad_norm_([nn.Parameter(np.zeros(2))], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)
    p.grad = nr.tensor([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())  # like torch: scaled by nan


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_torch(dtype):
    n_params, t_params = _pair(dtype, scale=3.0, with_grad=(True, False, True, True))
    old = [None if p.grad is None else p.grad.data.copy() for p in n_params]
    assert nn.utils.clip_grad_value_(n_params, 1.5) is None
    torch.nn.utils.clip_grad_value_(t_params, 1.5)
    for p, t in zip(n_params, t_params):
        if t.grad is None:
            assert p.grad is None
            continue
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
        assert p.grad.dtype == dtype
    assert max(np.abs(o).max() for o in old if o is not None) > 1.5  # something was clipped


def test_parameters_to_vector_and_back():
    n_params, t_params = _pair(np.float64)
    vec = nn.utils.parameters_to_vector(n_params)
    t_vec = torch.nn.utils.parameters_to_vector(t_params)
    np.testing.assert_array_equal(vec.numpy(), t_vec.detach().numpy())
    weights = np.arange(vec.shape[0], dtype=np.float64)
    (vec * nr.tensor(weights, dtype=np.float64)).sum().backward()  # differentiable, like torch
    (t_vec * torch.tensor(weights)).sum().backward()
    for p, t in zip(n_params, t_params):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())

    new = nr.tensor(np.linspace(-1, 1, vec.shape[0]), dtype=np.float64)
    nn.utils.vector_to_parameters(new, n_params)
    torch.nn.utils.vector_to_parameters(torch.tensor(new.numpy()), t_params)
    for p, t in zip(n_params, t_params):
        np.testing.assert_array_equal(p.data, t.detach().numpy())
        assert p.shape == t.shape and not np.shares_memory(p.data, new.data)
    with pytest.raises(ShapeError, match=r"expected shape \(29,\)"):
        nn.utils.vector_to_parameters(nr.zeros(5), n_params)
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.utils.vector_to_parameters(np.zeros(29), n_params)


def _mlp():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    nm = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    nm.load_state_dict(tm.state_dict())
    return tm, nm


@pytest.mark.parametrize("kind", ["l1", "l2"])
@pytest.mark.parametrize("weights_only", [True, False])
def test_penalties_values_and_gradients(kind, weights_only):
    tm, nm = _mlp()
    penalty = nn.utils.l1_penalty if kind == "l1" else nn.utils.l2_penalty
    term = (lambda p: p.abs().sum()) if kind == "l1" else (lambda p: (p * p).sum())
    counted = [p for p in tm.parameters() if p.ndim >= 2 or not weights_only]
    expected = sum(term(p) for p in counted)
    got = penalty(nm, weights_only=weights_only)
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-12)
    got.backward()
    expected.backward()
    for (name, p), t in zip(nm.named_parameters(), tm.parameters()):
        if t.grad is None:
            assert p.grad is None, name  # biases are not penalised with weights_only=True
        else:
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12, err_msg=name)
    assert (tm[0].bias.grad is None) == weights_only


def test_penalty_in_a_loss_matches_torch():
    tm, nm = _mlp()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    lam = 0.01
    loss = (
        F.mse_loss(nm(nr.tensor(x, dtype=np.float64)), nr.tensor(y, dtype=np.float64))
        + lam * nn.utils.l2_penalty(nm)
        + lam * nn.utils.l1_penalty(nm.parameters())
    )
    t_loss = torch.nn.functional.mse_loss(tm(torch.tensor(x)), torch.tensor(y)) + lam * sum(
        (p * p).sum() + p.abs().sum() for p in tm.parameters() if p.ndim >= 2
    )
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    loss.backward()
    t_loss.backward()
    for p, t in zip(nm.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_penalty_of_a_single_tensor_and_of_nothing():
    w = nn.Parameter(np.array([[1.0, -2.0], [0.0, 3.0]]))
    assert nn.utils.l1_penalty(w).item() == 6.0 and nn.utils.l2_penalty(w).item() == 14.0
    nn.utils.l1_penalty(w).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, -1.0], [0.0, 1.0]])
    with pytest.warns(UserWarning, match="no parameters to penalise"):
        assert nn.utils.l2_penalty(nn.Parameter(np.ones(3))).item() == 0.0
    assert nn.utils.l2_penalty(nn.Parameter(np.ones(3)), weights_only=False).item() == 3.0
