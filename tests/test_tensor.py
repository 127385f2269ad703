"""The backward engine: long chains, freeing the graph, retain_graph, accumulation, grad modes, leaves,
reference cycles, and errors that say what to do."""

import gc
import weakref

import numpy as np
import pytest

import neurona as nr
from neurona.errors import ShapeError


def test_chain_of_100000_ops_backpropagates_without_recursion():
    x = nr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_after_backward():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_and_grads_accumulate():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * np.array([1.0, 2.0]))


def test_gradients_accumulate_across_backward_calls_until_cleared():
    x = nr.tensor([3.0], requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 5.0).sum().backward()
    assert x.grad.item() == 7.0
    x.grad = None
    (x * 5.0).sum().backward()
    assert x.grad.item() == 5.0


def test_shared_subexpression_gets_the_sum_of_both_paths():
    x = nr.tensor(2.0, requires_grad=True)
    h = x * x
    (h + h * 3.0).backward()
    assert x.grad.item() == pytest.approx(4 * 2 * 2.0)


def test_no_grad_builds_no_graph_and_works_as_decorator():
    x = nr.tensor([1.0], requires_grad=True)
    with nr.no_grad():
        y = x * 2.0
        with nr.enable_grad():
            z = x * 3.0
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @nr.no_grad()
    def f(t):
        return t * 2.0

    assert not f(x).requires_grad and nr.is_grad_enabled()


def test_detach_and_leaves():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.numpy(), y.numpy())
    z = y * 3.0
    y.retain_grad()
    z.sum().backward()
    assert x.is_leaf and not y.is_leaf
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 3.0])  # kept because of retain_grad()
    w = x * 4.0
    (w * 1.0).sum().backward()
    assert w.grad is None  # non-leaves keep no gradient by default


def test_no_reference_cycles_keep_the_graph_alive():
    gc.collect()
    gc.disable()
    try:
        x = nr.tensor(np.ones((100, 100)), requires_grad=True)
        hidden = (x * 2.0).tanh()
        probe = weakref.ref(hidden)
        loss = (hidden * hidden).sum()
        loss.backward()
        del hidden, loss
        assert probe() is None  # freed by reference counting alone, without the cycle collector
    finally:
        gc.enable()


def test_backward_errors_say_what_to_do():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        nr.tensor([1.0]).sum().backward()
    y = x * 2.0
    y.backward(nr.tensor([1.0, 1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(TypeError, match="floating"):
        nr.tensor([1, 2], requires_grad=True)


def test_shape_errors_name_the_op_and_both_shapes():
    a, b = nr.ones(3, 4), nr.ones(5)
    with pytest.raises(ShapeError, match=r"mul: shapes \(3, 4\) and \(5,\)"):
        a * b
    with pytest.raises(ShapeError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        a @ nr.ones(5, 2)
    with pytest.raises(ShapeError, match=r"reshape: cannot view a tensor of shape \(3, 4\)"):
        a.reshape(5, -1)
    with pytest.raises(ValueError):  # ShapeError is a ValueError
        nr.cat([a, b])


def test_factories_and_repr():
    nr.manual_seed(0)
    a = nr.randn(2, 3)
    nr.manual_seed(0)
    np.testing.assert_array_equal(a.numpy(), nr.randn(2, 3).numpy())
    assert nr.zeros(2, 3).dtype == np.float32 and nr.arange(5).dtype == np.int64
    assert nr.eye(3).numpy().trace() == 3 and nr.full((2,), 7).dtype == np.int64
    assert "requires_grad=True" in repr(nr.ones(2, requires_grad=True))
    assert "grad_fn=<Mul>" in repr(nr.ones(2, requires_grad=True) * 2.0)
    t = nr.tensor([[1, 2], [3, 4]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.numel() == 4 and t.size(1) == 2 and t.tolist() == [[1, 2], [3, 4]]
    assert [row.tolist() for row in t] == [[1, 2], [3, 4]] and len(t) == 2


def test_comparisons_return_bool_tensors_without_graph():
    x = nr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad
    np.testing.assert_array_equal((x == 2.0).numpy(), [False, True, False])
    np.testing.assert_array_equal((~m).numpy(), [True, False, False])
