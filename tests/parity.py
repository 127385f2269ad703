"""The parity harness: build the same computation in neurona and torch from the same numbers, and compare
the forward value and the gradient of every input (first and, on request, second order)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

import neurona as nr
from neurona.autograd import grad as nr_grad

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def make_inputs(shapes: Sequence, dtype=np.float64, low: float = -2.0, high: float = 2.0, seed: int = 0,
                positive: bool = False, away_from: float | None = None) -> list[np.ndarray]:
    """Random arrays for the given shapes (an ndarray in ``shapes`` is used as is)."""
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if isinstance(s, np.ndarray):
            out.append(s.astype(dtype))
            continue
        a = rng.uniform(0.2 if positive else low, high, s).astype(dtype)
        if away_from is not None:  # keep piecewise ops off their kinks
            a = np.where(np.abs(a - away_from) < 0.05, a + 0.1, a).astype(dtype)
        out.append(a)
    return out


def check_parity(nr_fn: Callable, torch_fn: Callable, shapes: Sequence, dtype=np.float64, grad: bool = True,
                 seed: int = 0, tol: dict | None = None, grad_inputs: int | None = None, **input_kw) -> None:
    """Forward values and the gradient of every input agree between neurona and torch.

    The upstream gradient is random (not all ones), so a wrong broadcast or transpose cannot hide.
    ``grad_inputs``: only the first n inputs require grad (targets and weights after them).
    """
    arrays = make_inputs(shapes, dtype, seed=seed, **input_kw)
    tol = tol or TOL[dtype]
    n = len(arrays) if grad_inputs is None else grad_inputs
    xs = [nr.tensor(a, dtype=dtype, requires_grad=grad and i < n) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=grad and i < n) for i, a in enumerate(arrays)]
    yn, yt = nr_fn(*xs), torch_fn(*ts)
    np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), **tol, err_msg="forward values differ")
    assert yn.dtype == np.dtype(dtype), f"forward dtype {yn.dtype}, expected {np.dtype(dtype)}"
    if not grad:
        return
    g = np.random.default_rng(seed + 1).standard_normal(yt.shape).astype(dtype)
    yn.backward(nr.tensor(g, dtype=dtype))
    yt.backward(torch.tensor(g))
    for i, (x, t) in enumerate(zip(xs[:n], ts[:n])):
        if t.grad is None:
            assert x.grad is None or np.allclose(x.grad.numpy(), 0), f"input {i}: torch has no gradient"
            continue
        assert x.grad is not None, f"input {i}: neurona has no gradient"
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **tol, err_msg=f"gradient of input {i}")
        assert x.grad.dtype == np.dtype(dtype), f"gradient dtype {x.grad.dtype} for input {i}"


def check_second_order(nr_fn: Callable, torch_fn: Callable, shapes: Sequence, seed: int = 0, **input_kw) -> None:
    """grad of (grad(f) . v) matches torch: Hessian-vector products through create_graph=True."""
    arrays = make_inputs(shapes, np.float64, seed=seed, **input_kw)
    xs = [nr.tensor(a, dtype=nr.float64, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    yn, yt = nr_fn(*xs), torch_fn(*ts)
    rng = np.random.default_rng(seed + 7)
    g = rng.standard_normal(yt.shape)
    gn = nr_grad(yn, xs, nr.tensor(g, dtype=nr.float64), create_graph=True, allow_unused=True)
    gt = torch.autograd.grad(yt, ts, torch.tensor(g), create_graph=True, allow_unused=True)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    sn = sum((a * nr.tensor(v, dtype=nr.float64)).sum() for a, v in zip(gn, vs) if a is not None)
    st = sum((a * torch.tensor(v)).sum() for a, v in zip(gt, vs) if a is not None)
    np.testing.assert_allclose(sn.numpy(), st.detach().numpy(), rtol=1e-9, atol=1e-10)
    hn = nr_grad(sn, xs, allow_unused=True)
    ht = torch.autograd.grad(st, ts, allow_unused=True)
    for i, (a, b) in enumerate(zip(hn, ht)):
        if b is None:
            assert a is None or np.allclose(a.numpy(), 0), f"second-order gradient of input {i}: torch has none"
            continue
        assert a is not None, f"second-order gradient of input {i} is missing"
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-9, err_msg=f"second order, input {i}")
