"""In-place ops (``neurona/ops/inplace.py``): they mutate the tensor (never rebind), keep gradients right
through graph rebasing, bump version counters shared with views, and raise torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurona as nr


def _both(array, requires_grad=False):
    return (nr.tensor(array, dtype=nr.float64, requires_grad=requires_grad),
            torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad))


def test_manual_sgd_loop_learns_like_torch():
    """The bug of issue 22: ``w -= lr * w.grad`` under no_grad must update w, not rebind it."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2))
    y = x @ np.array([2.0, -3.0]) + 1.0
    curves = []
    for lib in (nr, torch):
        w = lib.zeros(2, dtype=lib.float64, requires_grad=True)
        b = lib.zeros(1, dtype=lib.float64, requires_grad=True)
        xs, ys = lib.tensor(x, dtype=lib.float64), lib.tensor(y, dtype=lib.float64)
        losses = []
        for _ in range(30):
            loss = ((xs @ w + b - ys) ** 2).mean()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
                b -= 0.1 * b.grad
            w.grad.zero_()
            b.grad.zero_()
            losses.append(loss.item())
        assert w.is_leaf and w.requires_grad
        curves.append(losses)
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-10)
    assert curves[0][-1] < 1e-2 * curves[0][0]


def test_augmented_operators_mutate_in_place():
    t = nr.ones(3)
    alias = t
    t += 1
    t *= 3
    t -= nr.tensor([1.0, 2.0, 3.0])
    t /= 2
    assert t is alias and t._version == 4
    np.testing.assert_array_equal(alias.numpy(), [2.5, 2.0, 1.5])
    m = nr.eye(2)
    m @= nr.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(m.numpy(), [[1, 2], [3, 4]])


@pytest.mark.parametrize("name, args", [
    ("add_", (0.5,)), ("sub_", (0.5,)), ("mul_", (1.5,)), ("div_", (2.0,)), ("pow_", (2,)), ("neg_", ()),
    ("abs_", ()), ("exp_", ()), ("sqrt_", ()), ("sigmoid_", ()), ("tanh_", ()), ("relu_", ()),
    ("clamp_", (-0.5, 0.5)), ("fill_", (3.0,)), ("zero_", ()),
])
def test_inplace_methods_match_torch_in_a_graph(name, args):
    """y = x * 2 (a non-leaf); y.op_(...); the gradient through the rebased graph equals torch's."""
    data = np.random.default_rng(1).uniform(0.2, 2.0, (2, 3))
    results = []
    for lib, (x, _) in ((nr, _both(data, True)), (torch, (None, torch.tensor(data, requires_grad=True)))):
        x = x if lib is nr else _
        y = x * 2
        out = getattr(y, name)(*args)
        assert out is y and not y.is_leaf
        (y * lib.tensor(np.arange(6.0).reshape(2, 3), dtype=lib.float64)).sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy(), y._version))
    for ours, theirs in zip(results[0], results[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("index", [1, (0, 2), slice(1, 3), (slice(None), 1), np.array([2, 0]),
                                   np.array([[True, False, True], [False, True, False], [True, True, True]])])
def test_setitem_is_differentiable_like_index_put(index):
    data = np.random.default_rng(2).standard_normal((3, 3))
    grads = []
    for lib in (nr, torch):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        v = lib.tensor([0.5], dtype=lib.float64, requires_grad=True)
        y = x * 1.0
        y[index if lib is nr or not isinstance(index, np.ndarray) else torch.tensor(index)] = v * 3
        (y * y).sum().backward()
        grads.append((x.grad.numpy().copy(), v.grad.numpy().copy()))
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_setitem_on_plain_tensors_and_under_no_grad():
    t = nr.zeros(2, 3)
    t[0] = 1.0
    t[1, 1:] = nr.tensor([2.0, 3.0])
    t[t > 2] = -1.0
    np.testing.assert_array_equal(t.numpy(), [[1, 1, 1], [0, 2, -1]])
    assert t._version == 3
    w = nr.ones(3, requires_grad=True)
    with nr.no_grad():
        w[0] = 5.0
    assert w.is_leaf and w.numpy()[0] == 5.0


def test_views_share_the_version_counter():
    base = nr.zeros(2, 3)
    view = base.view(6)
    row = base[0]
    row.add_(1)
    assert base._version == view._version == row._version == 1
    view[5] = 7.0
    assert base._version == 2 and base.numpy()[1, 2] == 7.0
    assert base.detach()._version == 2
    copy = base.clone()
    copy.add_(1)
    assert base._version == 2  # a clone has its own memory and counter


def test_changed_input_raises_torch_error_naming_the_op():
    a = nr.tensor([1.0, 2.0], requires_grad=True)
    c = nr.tensor([3.0, 4.0])
    y = a * c
    c.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[neurona.FloatTensor \[2\]\], which "
                       r"is input 1 of MulBackward0, is at version 1; expected version 0 instead.*mul_\(\)"):
        y.sum().backward()


def test_changed_output_raises_and_unused_values_do_not():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    e = x.exp()
    e += 1  # exp's backward needs its output
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward0, is at version 1; expected version 0"):
        e.sum().backward()
    h = x @ nr.ones(2, 3)  # matmul does not need its output: relu_ after it is fine, as in torch
    h.relu_()
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_leaf_requiring_grad_is_refused_outside_no_grad():
    w = nr.ones(3, requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.__iadd__(1), lambda: w.__setitem__(0, 2.0), lambda: w.normal_(),
                   lambda: w.zero_(), lambda: w.copy_(nr.zeros(3))):
        with pytest.raises(RuntimeError, match=r"^a leaf Variable that requires grad is being used in an in-place operation\."):
            change()
    assert w._version == 0


def test_inplace_on_views_of_graph_tensors_reaches_the_base_like_torch():
    data = np.random.default_rng(4).standard_normal((3, 4))
    grads = []
    for lib in (nr, torch):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        y = x * 2
        y[:, 0] += 1            # a view changed in place, then written back
        y[1][2] = 5.0           # a view of a view
        row = y[2]
        row.mul_(3)             # a view changed in place, never written back by hand
        flat = y.view(12)
        flat.exp_()
        (y * lib.arange(12, dtype=lib.float64).reshape(3, 4)).sum().backward()
        grads.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    w = nr.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0].add_(1)


def test_dtype_and_shape_rules():
    i = nr.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired output type int64"):
        i += 0.5
    i += 2
    assert i.dtype == nr.int64 and i.tolist() == [3, 4, 5]
    f = nr.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"):
        f += nr.ones(2, 3)
    with pytest.raises(RuntimeError, match="read-only"):
        nr.ones(3).expand(2, 3).add_(1)


def test_random_fills_use_the_generator_and_bump_versions():
    a, b = nr.empty(1000), nr.empty(1000)
    a.uniform_(-1, 1, generator=nr.Generator().manual_seed(3))
    b.uniform_(-1, 1, generator=nr.Generator().manual_seed(3))
    assert nr.equal(a, b) and -1 <= a.min().item() and a.max().item() < 1 and a._version == 1
    b.normal_(5.0, 0.1)
    assert abs(b.mean().item() - 5.0) < 0.05
    assert set(nr.empty(100).bernoulli_(0.5).tolist()) == {0.0, 1.0}
    assert nr.empty(500).exponential_(4.0).mean().item() == pytest.approx(0.25, abs=0.06)
    r = nr.zeros(200, dtype=nr.int64).random_(2, 5)
    assert set(r.tolist()) == {2, 3, 4}


def test_masked_fill_lerp_addcmul_and_copy():
    x, tx = _both([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    ys = []
    for lib, t in ((nr, x), (torch, tx)):
        y = t * 1.0
        y.masked_fill_(y < 0, 0.0)
        y.lerp_(t * 3, 0.25)
        y.addcmul_(t, t, value=0.5)
        z = lib.zeros(2, 2, dtype=lib.float64)
        z.copy_(y)
        (z * z).sum().backward()
        ys.append((z.detach().numpy().copy(), t.grad.numpy().copy()))
    for ours, theirs in zip(ys[0], ys[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_ops_recorded_before_an_inplace_change_keep_the_old_value_in_the_graph():
    """z used y before y.mul_(3): z's gradient goes to y's old value, not through the new mul node."""
    grads = []
    for lib in (nr, torch):
        x = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
        y = x * 2
        z = y + 1           # add keeps no values: the later change is allowed
        s = y.sum()
        y.mul_(3)
        y.add_(z)
        (z * 5 + y * 7 + s).sum().backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_inplace_ops_that_change_nothing_and_views_holding_inf_keep_the_graph():
    x = nr.tensor([1.0, -2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(ValueError, match="clamp: give at least one of min and max"):
        y.clamp_()  # a failed in-place op leaves y and its node as they were
    assert y._version == 0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    for lib in (nr, torch):
        a = lib.tensor([[0.5, 1.0], [2.0, 3.0]], requires_grad=True)
        scores = a.masked_fill(lib.tensor([[False, True], [False, False]]), float("-inf"))
        scores.view(4).mul_(2)  # a view of a tensor holding -inf, changed in place
        lib.softmax(scores, dim=-1).sum(0)[0].backward()
        assert np.isfinite(a.grad.numpy()).all()


def test_a_refused_inplace_op_leaves_the_graph_intact():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        y += nr.ones(3, 2)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])


def test_advanced_indexing_gives_a_copy_that_changes_alone_like_torch():
    for lib in (nr, torch):
        y = lib.arange(12.0).reshape(3, 4)
        part = y[:, [1, 2]]
        part.add_(100)
        assert y.sum().item() == 66.0 and y._version == 0
