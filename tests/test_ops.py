"""Every public op against torch, driven by the op table (tests/op_table): one parametrised test per check.

    parity        values and every input gradient vs torch, float32, every case of the row
    gradcheck     autograd vs central finite differences, float64, the row's first case
    second order  a Hessian-vector product by double backward vs torch, float64 (twice-differentiable rows)
    dtypes        float32 in -> float32 out and gradients (also second order), float64 likewise, and
                  int64 inputs where torch takes them: result dtype and values as torch
    aliases       other public spellings of the op (Tensor method, module function) agree bit for bit

How the table works, and how to add an op: docs/testing.md.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import neurona as nr
import neurona.functional as F
from neurona.autograd import grad, gradcheck
from op_table import OPS, Case, Op
from parity import TOL, check_parity, check_second_order, make_inputs

# torch hints that reduction='mean' of kl_div is not the true KL mean ('batchmean' is); the row checks both
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides", "ignore:Using padding='same'")


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """The table's ops are tiny: torch's thread pool only adds hand-off time (100x on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _params(rows, per_case: bool = False):
    if per_case:
        return [pytest.param(row, c, id=f"{row.name}-{c.id()}") for row in rows for c in row.cases]
    return [pytest.param(row, row.cases[0], id=row.name) for row in rows]


def _bind(row: Op, c: Case):
    """The row's two functions with this case's options bound."""
    return (lambda *xs: row.nr(*xs, **c.options)), (lambda *ts: row.torch(*ts, **c.options))


def _outputs(y) -> list:
    return list(y) if isinstance(y, tuple | list) else [y]


def _tol(row: Op, dtype) -> dict:
    return row.tol.get(dtype, TOL[dtype])


@pytest.mark.parametrize("row, c", _params(OPS, per_case=True))
def test_parity(row, c):
    nr_fn, torch_fn = _bind(row, c)
    check_parity(
        nr_fn, torch_fn, c.inputs, np.float32, grad=row.grad, grad_inputs=row.grad_inputs,
        tol=_tol(row, np.float32), **row.domain,
    )


def _float64_inputs(row: Op, c: Case, seed: int = 0) -> list:
    arrays = make_inputs(c.inputs, np.float64, seed=seed, **row.domain)
    floating = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"][: row.grad_inputs]
    return [nr.tensor(a, dtype=a.dtype, requires_grad=i in floating) for i, a in enumerate(arrays)]


@pytest.mark.parametrize("row, c", _params([r for r in OPS if r.grad and r.gradcheck]))
def test_gradcheck(row, c):
    """Finite differences of a random projection  sum_k <w_k, y_k>  of the outputs: one backward pass
    checks the whole Jacobian against 2 * (number of inputs) evaluations."""
    nr_fn, _ = _bind(row, c)
    inputs = _float64_inputs(row, c)
    rng = np.random.default_rng(3)
    weights = [rng.standard_normal(y.shape) for y in _outputs(nr_fn(*inputs)) if y.dtype.kind == "f"]

    def projection(*xs):
        ys = [y for y in _outputs(nr_fn(*xs)) if y.dtype.kind == "f"]
        return sum((y * nr.tensor(w, dtype=nr.float64)).sum() for y, w in zip(ys, weights))

    assert gradcheck(projection, inputs)


@pytest.mark.parametrize("row, c", _params([r for r in OPS if r.second_order]))
def test_second_order(row, c):
    nr_fn, torch_fn = _bind(row, c)
    check_second_order(nr_fn, torch_fn, c.inputs, grad_inputs=row.grad_inputs, **row.domain)


def _torch_dtype_name(t) -> str:
    return str(t.dtype).removeprefix("torch.")


def _integer_arrays(row: Op, c: Case) -> list[np.ndarray]:
    """The case's inputs as int64: small integers (positive where the op's domain is), arrays rounded."""
    rng = np.random.default_rng(0)
    low = 1 if row.domain.get("positive") else max(-3, int(np.ceil(row.domain.get("low", -3))))
    return [
        np.rint(s).astype(np.int64) if isinstance(s, np.ndarray) else rng.integers(low, 5, s)
        for s in c.inputs
    ]


def _check_integer_inputs(row: Op, c: Case) -> None:
    nr_fn, torch_fn = _bind(row, c)
    arrays = _integer_arrays(row, c)
    ours = _outputs(nr_fn(*[nr.tensor(a) for a in arrays]))
    theirs = _outputs(torch_fn(*[torch.tensor(a) for a in arrays]))
    assert len(ours) == len(theirs)
    for k, (yn, yt) in enumerate(zip(ours, theirs)):
        assert str(yn.dtype).removeprefix("neurona.") == _torch_dtype_name(yt), f"output {k}: {yn.dtype}, torch {yt.dtype}"
        np.testing.assert_allclose(yn.numpy(), yt.numpy(), rtol=1e-6, err_msg=f"output {k}")


def _check_second_order_dtype(row: Op, c: Case, dtype) -> None:
    """grad(create_graph=True) and the gradient of that gradient come back in the inputs' dtype."""
    nr_fn, _ = _bind(row, c)
    arrays = make_inputs(c.inputs, dtype, **row.domain)
    floating = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"][: row.grad_inputs]
    xs = [nr.tensor(a, dtype=a.dtype, requires_grad=i in floating) for i, a in enumerate(arrays)]
    y = _outputs(nr_fn(*xs))[0]
    wanted = [xs[i] for i in floating]
    firsts = grad(y, wanted, nr.ones(*y.shape, dtype=dtype), create_graph=True, allow_unused=True)
    firsts = [g for g in firsts if g is not None and g.requires_grad]
    assert all(g.dtype == dtype for g in firsts)
    seconds = grad(sum((g * g).sum() for g in firsts), wanted, allow_unused=True)
    assert all(h.dtype == dtype for h in seconds if h is not None)


# where neurona and torch differ today, found by this table; each is reported, none is hidden
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {}


def _dtype_param(row: Op, dtype):
    key = (row.name, np.dtype(dtype).name)
    marks = [pytest.mark.xfail(reason=KNOWN_DIFFERENCES[key])] if key in KNOWN_DIFFERENCES else []
    return pytest.param(row, row.cases[0], dtype, id="-".join(key), marks=marks)


DTYPE_PARAMS = [
    _dtype_param(row, dtype)
    for row in OPS
    for dtype in (np.float32, np.float64, np.int64)
    if dtype is not np.int64 or row.integer
]


@pytest.mark.parametrize("row, c, dtype", DTYPE_PARAMS)
def test_dtypes(row, c, dtype):
    if dtype is np.int64:
        _check_integer_inputs(row, c)
        return
    nr_fn, torch_fn = _bind(row, c)
    check_parity(
        nr_fn, torch_fn, c.inputs, dtype, grad=row.grad, grad_inputs=row.grad_inputs, tol=_tol(row, dtype),
        **row.domain,
    )  # asserts floating outputs' and every gradient's dtype
    arrays = make_inputs(c.inputs, dtype, **row.domain)
    with nr.no_grad(), torch.no_grad():
        ours = _outputs(nr_fn(*[nr.tensor(a, dtype=a.dtype) for a in arrays]))
        theirs = _outputs(torch_fn(*[torch.tensor(a) for a in arrays]))
    assert [str(y.dtype).removeprefix("neurona.") for y in ours] == [_torch_dtype_name(y) for y in theirs]
    if row.second_order:
        _check_second_order_dtype(row, c, dtype)


@pytest.mark.parametrize("row, c", _params([r for r in OPS if r.aliases]))
def test_aliases(row, c):
    nr_fn, _ = _bind(row, c)
    results = []
    for fn in (nr_fn, *(lambda *xs, a=a: a(*xs, **c.options) for a in row.aliases)):
        xs = _float64_inputs(row, c)
        ys = _outputs(fn(*xs))
        g = [y for y in ys if y.requires_grad]
        if g:
            upstream = [nr.tensor(np.linspace(-1, 1, y.data.size).reshape(y.shape), dtype=y.dtype) for y in g]
            grads = grad(g, [x for x in xs if x.requires_grad], upstream, allow_unused=True)
        else:
            grads = ()
        results.append(([y.numpy() for y in ys], [None if v is None else v.numpy() for v in grads]))
    for k, (values, grads) in enumerate(results[1:]):
        for a, b in zip(values, results[0][0], strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"alias {k}: values")
        for a, b in zip(grads, results[0][1], strict=True):
            assert (a is None) == (b is None), f"alias {k}: a gradient is missing"
            if a is not None:
                np.testing.assert_array_equal(a, b, err_msg=f"alias {k}: gradients")


# names in the public op surface that are not ops with a row of their own, and why
NOT_OPS = {
    "concatenate": "an alias of cat (row 'cat', alias checked)",
    "take_along_dim": "an alias of gather (row 'gather', alias checked)",
}


def _public_functions() -> set[str]:
    names = set()
    for module in (nr.ops, F):
        names |= {n for n in module.__all__ if inspect.isfunction(getattr(module, n, None))}
    return names


def test_every_public_op_has_a_row():
    """neurona.ops.__all__ and neurona.functional.__all__ list the ops; each one has a row in the table
    (its name, or its name and a variant: 'pow scalar'). A new public op without a row fails here."""
    covered = {row.name.split()[0] for row in OPS} | set(NOT_OPS)
    missing = sorted(_public_functions() - covered)
    assert not missing, f"public ops without a row in tests/op_table: {missing}; add one (docs/testing.md)"
