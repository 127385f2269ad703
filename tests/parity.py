"""The parity harness: build the same computation in neurona and torch from the same numbers, and compare
the forward values and the gradient of every input (first order, and second order on request).

    check_parity(lambda a, b: a * b, lambda a, b: a * b, [(3, 4), (4,)], np.float32)

``shapes_or_arrays`` mixes shapes (filled from a seeded generator, uniform in [low, high)) and ready
arrays. Floating inputs require grad (the first ``grad_inputs`` of them, if given); integer and bool
arrays (class labels, masks) are passed to both libraries as they are. The upstream gradient is random,
not all ones, so a wrong broadcast, transpose or scale cannot hide behind a sum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

import neurona as nr
from neurona.autograd import grad as nr_grad

# Tolerances per dtype. float32: a few ulps of the result plus round-off of sums of ~100 terms.
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
SECOND_ORDER_TOL = dict(rtol=1e-8, atol=1e-10)  # float64; second derivatives sum more products
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def make_inputs(
    shapes_or_arrays: Sequence,
    dtype=np.float32,
    low: float = -2.0,
    high: float = 2.0,
    seed: int = 0,
    positive: bool = False,
    away_from: float | Sequence[float] | None = None,
) -> list[np.ndarray]:
    """Arrays for ``shapes_or_arrays``: a shape is filled from a seeded generator, uniform in [low, high)
    (in [0.2, high) with ``positive``); a floating array is cast to ``dtype``; an integer or bool array is
    kept as it is. ``away_from`` moves values off the kinks of piecewise ops (|x - kink| >= 0.05)."""
    rng = np.random.default_rng(seed)
    kinks = [] if away_from is None else np.atleast_1d(away_from)
    out = []
    for s in shapes_or_arrays:
        if isinstance(s, np.ndarray | np.generic):
            s = np.asarray(s)
            out.append(s.astype(dtype) if s.dtype.kind == "f" else s)
            continue
        a = rng.uniform(0.2 if positive else low, high, s)
        for k in kinks:
            a = np.where(np.abs(a - k) < 0.05, a + 0.1, a)
        out.append(a.astype(dtype))
    return out


def _outputs(y) -> list:
    """An op's result as a list of tensors (ops like split and max(dim=...) return several)."""
    return list(y) if isinstance(y, tuple | list) else [y]


def check_parity(
    nr_fn: Callable,
    torch_fn: Callable,
    shapes_or_arrays: Sequence,
    dtype=np.float32,
    atol: float | None = None,
    rtol: float | None = None,
    grad: bool = True,
    low: float = -2.0,
    high: float = 2.0,
    seed: int = 0,
    grad_inputs: int | None = None,
    tol: dict | None = None,
    **input_kw,
) -> None:
    """Forward values, output dtype, and the value, shape and dtype of every input's gradient agree.

    ``nr_fn`` and ``torch_fn`` get one tensor per entry of ``shapes_or_arrays``. ``atol``/``rtol``
    override the per-dtype defaults in ``TOL``. ``grad_inputs``: only the first n floating inputs
    require grad (targets and weights after them). Extra keywords go to :func:`make_inputs`.
    """
    arrays = make_inputs(shapes_or_arrays, dtype, low=low, high=high, seed=seed, **input_kw)
    tol = dict(tol or TOL[dtype])
    tol.update({k: v for k, v in (("atol", atol), ("rtol", rtol)) if v is not None})
    floating = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    wants_grad = set(floating[:grad_inputs] if grad_inputs is not None else floating) if grad else set()
    xs = [nr.tensor(a, dtype=a.dtype, requires_grad=i in wants_grad) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=i in wants_grad) for i, a in enumerate(arrays)]
    yns, yts = _outputs(nr_fn(*xs)), _outputs(torch_fn(*ts))
    assert len(yns) == len(yts), f"neurona gave {len(yns)} outputs, torch {len(yts)}"
    for k, (yn, yt) in enumerate(zip(yns, yts)):
        expected = yt.detach().numpy()
        assert yn.shape == expected.shape, f"output {k}: shape {yn.shape}, torch {expected.shape}"
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(yn.numpy(), expected, **tol, err_msg=f"forward values of output {k}")
            assert yn.dtype == expected.dtype, f"output {k}: dtype {yn.dtype}, torch {expected.dtype}"
        else:
            np.testing.assert_array_equal(yn.numpy(), expected, err_msg=f"output {k} (integer/bool)")
    if not wants_grad:
        return
    rng = np.random.default_rng(seed + 1)
    pairs = [(yn, yt) for yn, yt in zip(yns, yts) if yt.requires_grad]
    assert pairs, "torch's output does not depend on any input that requires grad"
    # in each output's own dtype (a cast's output differs from its input's)
    upstream = [rng.standard_normal(yt.shape).astype(str(yt.dtype).removeprefix("torch.")) for _, yt in pairs]
    grad_index = sorted(wants_grad)
    if len(pairs) == 1:  # the usual path: y.backward(g) fills .grad of the leaves
        pairs[0][0].backward(nr.tensor(upstream[0], dtype=upstream[0].dtype))
        pairs[0][1].backward(torch.tensor(upstream[0]))
        nr_grads = [xs[i].grad for i in grad_index]
        torch_grads = [ts[i].grad for i in grad_index]
    else:  # several outputs: one backward pass from all of them
        nr_grads = nr_grad(
            [yn for yn, _ in pairs],
            [xs[i] for i in grad_index],
            [nr.tensor(g, dtype=g.dtype) for g in upstream],
            allow_unused=True,
        )
        torch_grads = torch.autograd.grad(
            [yt for _, yt in pairs],
            [ts[i] for i in grad_index],
            [torch.tensor(g) for g in upstream],
            allow_unused=True,
        )
    for i, gn, gt in zip(grad_index, nr_grads, torch_grads):
        if gt is None:
            assert gn is None or not np.any(gn.numpy()), f"input {i}: neurona has a gradient, torch has none"
            continue
        assert gn is not None, f"input {i}: neurona has no gradient"
        assert gn.shape == arrays[i].shape, f"input {i}: gradient shape {gn.shape}, input {arrays[i].shape}"
        assert gn.dtype == np.dtype(dtype), (
            f"input {i}: gradient dtype {gn.dtype}, expected {np.dtype(dtype)}"
        )
        np.testing.assert_allclose(gn.numpy(), gt.numpy(), **tol, err_msg=f"gradient of input {i}")


def check_second_order(
    nr_fn: Callable,
    torch_fn: Callable,
    shapes_or_arrays: Sequence,
    seed: int = 0,
    dtype=np.float64,
    tol: dict | None = None,
    grad_inputs: int | None = None,
    **input_kw,
) -> None:
    """Second-order parity: g = grad(f, x, u, create_graph=True) for a random upstream u, then
    grad(sum_i (g_i * v_i).sum(), x) for random v (a Hessian-vector product), compared with torch.
    ``grad_inputs``: only the first n floating inputs are differentiated, as in :func:`check_parity`."""
    arrays = make_inputs(shapes_or_arrays, dtype, seed=seed, **input_kw)
    tol = tol or (SECOND_ORDER_TOL if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5))
    index = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"][:grad_inputs]
    xs = [nr.tensor(a, dtype=a.dtype, requires_grad=i in index) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=i in index) for i, a in enumerate(arrays)]
    yn, yt = nr_fn(*xs), torch_fn(*ts)
    rng = np.random.default_rng(seed + 7)
    u = rng.standard_normal(yt.shape).astype(dtype)
    gn = nr_grad(yn, [xs[i] for i in index], nr.tensor(u, dtype=dtype), create_graph=True, allow_unused=True)
    gt = torch.autograd.grad(
        yt, [ts[i] for i in index], torch.tensor(u), create_graph=True, allow_unused=True
    )
    for i, a, b in zip(index, gn, gt):
        if b is not None:
            assert a is not None, f"first-order gradient of input {i} is missing"
            np.testing.assert_allclose(
                a.numpy(), b.detach().numpy(), **tol, err_msg=f"first order, input {i}"
            )
    vs = [rng.standard_normal(arrays[i].shape).astype(dtype) for i in index]
    # a first-order gradient that does not depend on the inputs (a bias's: the sum of u) may still be
    # recorded in one library's graph; it adds nothing to the second order, which is compared below
    sn = [(a * nr.tensor(v, dtype=dtype)).sum() for a, v in zip(gn, vs) if a is not None and a.requires_grad]
    st = [(b * torch.tensor(v)).sum() for b, v in zip(gt, vs) if b is not None and b.requires_grad]
    assert sn and st, "the first-order gradients do not depend on the inputs: nothing to check at second order"
    hn = nr_grad(sum(sn[1:], sn[0]), [xs[i] for i in index], allow_unused=True)
    ht = torch.autograd.grad(sum(st[1:], st[0]), [ts[i] for i in index], allow_unused=True)
    for i, a, b in zip(index, hn, ht):
        if b is None:
            assert a is None or not np.any(a.numpy()), f"second order, input {i}: torch has no gradient"
            continue
        assert a is not None, f"second-order gradient of input {i} is missing"
        assert a.dtype == np.dtype(dtype), f"second order, input {i}: dtype {a.dtype}"
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol, err_msg=f"second order, input {i}")
