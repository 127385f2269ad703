"""The backward engine and the Tensor object: long chains, freeing the graph, retain_graph, accumulation,
grad modes, leaves and retain_grad, reference cycles, and errors that say what to do."""

import gc
import subprocess
import sys
import weakref

import numpy as np
import pytest

import neurona as nr
from neurona.tensor import Function


# ---- the backward walk -----------------------------------------------------------------------------------
def test_chain_of_100000_ops_backpropagates_without_recursion():
    x = nr.tensor(1.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    assert sys.getrecursionlimit() < 100_000  # a recursive walk would fail here
    y.backward()
    assert x.grad.item() == 1.0


def test_a_long_chain_is_freed_without_recursion_even_without_backward():
    x = nr.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    probe = weakref.ref(y)
    del y  # tears down 100,000 nodes
    assert probe() is None


def test_graph_is_freed_after_backward():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    y.backward()  # the graph was kept once; the gradients add up
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_gradients_accumulate_across_backward_calls_until_cleared():
    x = nr.tensor([3.0], requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 5.0).sum().backward()
    assert x.grad.item() == 7.0
    x.grad = None
    (x * 5.0).sum().backward()
    assert x.grad.item() == 5.0


def test_shared_subexpressions_and_diamonds_sum_every_path():
    x = nr.tensor(2.0, requires_grad=True)
    h = x * x
    (h + h * 3.0).backward()
    assert x.grad.item() == pytest.approx(4 * 2 * 2.0)
    x.grad = None
    a, b = x.exp(), x.sin()
    (a * b + a - b).backward()  # d/dx = e^x sin x + e^x cos x + e^x - cos x
    expected = np.exp(2) * np.sin(2) + np.exp(2) * np.cos(2) + np.exp(2) - np.cos(2)
    assert x.grad.item() == pytest.approx(expected, rel=1e-6)
    y = nr.tensor([1.0, 2.0], requires_grad=True)
    (y * y).sum().backward()  # the same tensor twice in one op
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 4.0])


def test_gradient_reaches_only_leaves_that_require_it():
    w = nr.tensor([1.0, 2.0], requires_grad=True)
    c = nr.tensor([3.0, 4.0])
    (w * c).sum().backward()
    assert c.grad is None and not c.requires_grad
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 4.0])


def test_backward_with_an_explicit_gradient_casts_it_to_the_tensors_dtype():
    x = nr.ones(3, requires_grad=True)
    y = x * 2.0
    y.backward(nr.tensor([1.0, 2.0, 3.0], dtype=nr.float64))
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    x.backward(np.array([1.0, 1.0, 1.0]))  # a leaf can be a root; a NumPy gradient is accepted
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 5.0, 7.0])


def test_create_graph_makes_dot_grad_differentiable():
    x = nr.tensor([1.0, 2.0], dtype=nr.float64, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad  # 3 x^2, still in the graph
    assert g.requires_grad
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    x.grad = None
    g.sum().backward()  # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


# ---- .grad ownership ---------------------------------------------------------------------------------------
def test_each_grad_owns_its_array():
    a, b = nr.ones(3, requires_grad=True), nr.ones(3, requires_grad=True)
    ((a + b) * nr.tensor([1.0, 2.0, 3.0])).sum().backward()  # Add hands both inputs the same gradient
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0, 3.0])
    g = nr.tensor([1.0, 2.0, 3.0])
    x = nr.ones(3, requires_grad=True)
    (x + 0.0).backward(g)
    x.grad.zero_()
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])  # the caller's gradient is untouched
    s = nr.ones(2, 3, requires_grad=True)
    s.sum().backward()  # the gradient of a sum is a read-only broadcast: .grad gets a writable copy
    s.grad.zero_()
    assert s.grad.numpy().flags.writeable and not s.grad.requires_grad


def test_zero_dim_results_are_arrays_so_in_place_ops_work():
    w = nr.tensor(0.5, requires_grad=True)
    loss = (w * 3.0 - 1.0) ** 2
    assert isinstance(loss.numpy(), np.ndarray) and loss.numpy().shape == ()
    loss.backward()
    assert isinstance(w.grad.numpy(), np.ndarray)
    w.grad.zero_()  # the manual gradient-descent idiom
    assert w.grad.item() == 0.0
    assert isinstance(nr.tensor([1.0, 2.0])[0].numpy(), np.ndarray)
    assert isinstance(nr.ones(3).sum().numpy(), np.ndarray)


# ---- grad modes --------------------------------------------------------------------------------------------
def test_no_grad_builds_no_graph_and_enable_grad_reenables_it():
    x = nr.tensor([1.0], requires_grad=True)
    with nr.no_grad():
        assert not nr.is_grad_enabled()
        y = x * 2.0
        with nr.enable_grad():
            assert nr.is_grad_enabled()
            z = x * 3.0
        assert not nr.is_grad_enabled()
    assert nr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn is not None
    z.sum().backward()
    assert x.grad.item() == 3.0


def test_no_grad_as_decorator_and_after_an_exception():
    x = nr.tensor([1.0], requires_grad=True)

    @nr.no_grad()
    def double(t):
        """Doubles t."""
        return t * 2.0

    assert not double(x).requires_grad and nr.is_grad_enabled()
    assert double.__name__ == "double" and double.__doc__ == "Doubles t."
    with pytest.raises(ZeroDivisionError):
        with nr.no_grad():
            1 / 0
    assert nr.is_grad_enabled()

    @nr.enable_grad()
    def triple(t):
        return t * 3.0

    with nr.no_grad():
        assert triple(x).requires_grad


def test_detach_cuts_the_graph_and_shares_data():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y.numpy())
    (y * d).sum().backward()  # d is a constant: dy/dx * d = 2 * (2 x)
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_leaves_keep_grad_non_leaves_only_with_retain_grad():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    w = x * 4.0
    y.retain_grad()
    (y * 3.0 + w).sum().backward()
    assert x.is_leaf and not y.is_leaf and not w.is_leaf
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 10.0])
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 3.0])  # kept because of retain_grad()
    assert w.grad is None  # non-leaves keep no gradient by default
    assert nr.ones(2).is_leaf and nr.ones(2, requires_grad=True).is_leaf


# ---- memory: no reference cycles -------------------------------------------------------------------------
def _graph_is_freed_by_refcounting(run_backward: bool, retain_graph: bool = False) -> bool:
    gc.collect()
    gc.disable()
    try:
        x = nr.tensor(np.ones((50, 50)), requires_grad=True)
        hidden = (x * 2.0).tanh()
        probe = weakref.ref(hidden)
        node = weakref.ref(hidden.grad_fn)
        loss = (hidden * hidden).sum()
        if run_backward:
            loss.backward(retain_graph=retain_graph)
        del hidden, loss
        return probe() is None and node() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("run_backward,retain_graph", [(True, False), (True, True), (False, False)])
def test_no_reference_cycles_keep_the_graph_alive(run_backward, retain_graph):
    """The node holds only a weak reference to its output, so reference counting alone frees the graph."""
    assert _graph_is_freed_by_refcounting(run_backward, retain_graph)


def test_context_holds_its_output_weakly():
    """An output must not keep its own graph node alive: dropping the last reference frees it at once
    (no reference cycle waiting for the garbage collector)."""
    x = nr.tensor([1.0], requires_grad=True)
    y = x.exp()
    assert y.grad_fn.tensors == (x,)
    alive = weakref.ref(y)
    del y
    assert alive() is None


# ---- errors ----------------------------------------------------------------------------------------------
def test_backward_errors_say_what_to_do():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"backward\(\) on a tensor of shape \(2,\) needs a `grad` argument"
    ):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        nr.tensor([1.0]).sum().backward()
    with nr.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has \(2,\)"):
        (x * 2.0).backward(nr.ones(3))
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        nr.tensor([1, 2], requires_grad=True)


def test_a_function_that_returns_several_gradients():
    class MulAdd(Function):
        """y = a * b + a;  dy/da = b + 1, dy/db = a"""

        def forward(self, ctx, a, b):
            return a * b + a

        def backward(self, ctx, grad):
            a, b = ctx.inputs
            return grad * (b + 1.0), grad * a

    a = nr.tensor([2.0, 3.0], requires_grad=True)
    b = nr.tensor([5.0, 7.0], requires_grad=True)
    y = MulAdd.apply(a, b)
    assert y.grad_fn.fn_name == "MulAdd" and "grad_fn=<MulAddBackward0>" in repr(y)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 8.0])
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 3.0])


# ---- the Tensor object ----------------------------------------------------------------------------------
def test_tensor_properties_and_python_protocols():
    t = nr.tensor([[1, 2], [3, 4]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.dim() == 2 and t.numel() == 4
    assert t.size() == (2, 2) and t.size(1) == 2 and len(t) == 2
    assert t.tolist() == [[1, 2], [3, 4]] and [row.tolist() for row in t] == [[1, 2], [3, 4]]
    s = nr.tensor(2.5)
    assert s.item() == 2.5 and float(s) == 2.5 and int(s) == 2 and bool(s)
    assert [10, 20, 30][nr.tensor(1)] == 20
    with pytest.raises(TypeError, match="len"):
        len(s)
    with pytest.raises(RuntimeError, match=r"a Tensor with 4 elements cannot be converted to Scalar.*shape \(2, 2\)"):
        t.item()
    assert {t: 1}[t] == 1  # hashable by identity, although == is elementwise


def test_repr():
    assert repr(nr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(nr.ones(2, requires_grad=True))
    assert "grad_fn=<MulBackward0>" in repr(nr.ones(2, requires_grad=True) * 2.0)
    assert "dtype=neurona.float64" in repr(nr.ones(2, dtype=nr.float64)) and "dtype" not in repr(nr.tensor([1, 2]))


def test_in_place_helpers_on_plain_tensors():
    x = nr.ones(2, 3)
    assert x.zero_() is x and not x.numpy().any()
    x.fill_(2.5)
    np.testing.assert_array_equal(x.numpy(), np.full((2, 3), 2.5))
    x.copy_(np.arange(3.0))  # broadcasts, and keeps x's dtype
    np.testing.assert_array_equal(x.numpy(), [[0, 1, 2], [0, 1, 2]])
    assert x.dtype == np.float32
    x.copy_(nr.ones(2, 3))
    assert x.numpy().sum() == 6
    with pytest.raises(RuntimeError, match=r"copy_: cannot copy shape \(4,\) into \(2, 3\)"):
        x.copy_(np.ones(4))
    with pytest.raises(RuntimeError, match=r"copy_: cannot copy shape \(1, 2, 3\) into \(2, 3\)"):
        x.copy_(np.ones((1, 2, 3)))


def test_dtype_conversions_keep_the_graph():
    x = nr.tensor([1.5, 2.5], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 5.0])
    assert x.float() is x and x.to(nr.float32) is x and x.astype(np.float64).dtype == np.float64
    assert x.long().tolist() == [1, 2] and not x.long().requires_grad
    assert x.bool().dtype == np.bool_


# ---- the engine's contract for ops -------------------------------------------------------------------
class _SinCos(nr.Function):
    """Two outputs: (sin x, cos x);  dL/dx = g_sin cos x - g_cos sin x"""

    def forward(self, ctx, x):
        return np.sin(x), np.cos(x)

    def backward(self, ctx, grad_sin, grad_cos):
        sin, cos = ctx.outputs
        return grad_sin * cos - grad_cos * sin


@pytest.mark.parametrize("use", ["both", "sin", "cos"])
def test_a_function_may_return_several_outputs(use):
    x_np = np.linspace(-2, 2, 7)
    x = nr.tensor(x_np, dtype=np.float64, requires_grad=True)
    s, c = _SinCos.apply(x)
    assert s.grad_fn is c.grad_fn
    loss = {"both": (s * s * 3.0 + c).sum(), "sin": s.sum(), "cos": (c * 2.0).sum()}[use]
    loss.backward()
    expected = {"both": 6 * np.sin(x_np) * np.cos(x_np) - np.sin(x_np), "sin": np.cos(x_np), "cos": -2 * np.sin(x_np)}[use]
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)
    # and the same backward, run on Tensors, gives second derivatives: d/dx sum(cos x) = -sin x, d2 = -cos x
    x.grad = None
    s, c = _SinCos.apply(x)
    (g,) = nr.autograd.grad(s.sum(), x, create_graph=True)
    (gg,) = nr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, -np.sin(x_np), rtol=1e-12)


def test_backward_runs_on_arrays_at_first_order_and_on_tensors_for_higher_orders():
    """The engine hands an op's backward NumPy arrays unless create_graph asks for a graph of the gradient."""
    seen = []

    class Square(nr.Function):
        """y = x^2;  dy/dx = 2x"""

        def forward(self, ctx, x):
            return x * x

        def backward(self, ctx, grad):
            seen.append((type(grad), type(ctx.inputs[0])))
            return grad * 2.0 * ctx.inputs[0]

    x = nr.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    Square.apply(x).sum().backward()
    assert seen[-1] == (np.ndarray, np.ndarray)
    (g,) = nr.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert seen[-1] == (nr.Tensor, nr.Tensor)
    (gg,) = nr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, [2.0, 2.0])


def test_import_neurona_leaves_the_process_allocator_alone():
    """Process-wide tuning (glibc's malloc thresholds) is opt-in: the Trainer turns it on, import does not."""
    code = "import neurona, neurona._malloc as m; print(m.applied())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
