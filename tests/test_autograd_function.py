"""Custom autograd functions the PyTorch way (``neurona.autograd.Function`` with ``ctx``), the
deprecated ``Variable``, grad-mode switches and tensor hooks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurona as nr
from neurona.autograd import Function, Variable, gradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return grad * 3 * ctx.scale * x ** 2, None


def test_custom_function_values_gradients_and_gradcheck():
    x = nr.tensor([0.5, -1.0, 2.0], dtype=nr.float64, requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward0" and not y.is_leaf
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy() ** 2)
    assert gradcheck(lambda t: Cube.apply(t, 0.5), [nr.tensor([0.3, -0.7], dtype=nr.float64, requires_grad=True)])


def test_custom_function_without_grad_returns_the_forward_result():
    with nr.no_grad():
        y = Cube.apply(nr.tensor([2.0], requires_grad=True), 1.0)
    assert not y.requires_grad and y.item() == 8.0
    assert not Cube.apply(nr.tensor([2.0]), 1.0).requires_grad


def test_saved_tensor_changed_in_place_raises():
    x = nr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = Cube.apply(h, 1.0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="saved tensor 0 of a custom Function, is at version 1; expected version 0"):
        y.sum().backward()


def test_base_class_says_what_to_define():
    class Empty(Function):
        pass

    with pytest.raises(NotImplementedError, match=r"@staticmethod forward\(ctx, ...\)"):
        Empty.apply(nr.ones(1))


def test_variable_is_a_deprecated_identity():
    t = nr.ones(2)
    with pytest.warns(DeprecationWarning, match="Variable is deprecated"):
        v = Variable(t, requires_grad=True)
    assert v is t and v.requires_grad


def test_grad_mode_switches_like_torch():
    @nr.set_grad_enabled(False)
    def frozen(a):
        return a * 2

    a = nr.ones(1, requires_grad=True)
    assert nr.is_grad_enabled()  # decorating does not switch the mode
    assert not frozen(a).requires_grad and nr.is_grad_enabled()
    nr.set_grad_enabled(False)
    assert not nr.is_grad_enabled()
    nr.set_grad_enabled(True)
    with nr.inference_mode():
        assert not (a * 2).requires_grad
    assert (a * 2).requires_grad

    @nr.no_grad
    def bare(t):
        return t * 2

    @nr.inference_mode
    def bare_inference(t):
        return t * 2

    assert not bare(a).requires_grad and not bare_inference(a).requires_grad and nr.is_grad_enabled()


def test_hooks_see_and_replace_gradients_like_torch():
    grads = []
    for lib in (nr, torch):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        y = x * 3
        seen = []
        y.register_hook(lambda g, seen=seen: seen.append(g.detach().clone()))
        handle = x.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        handle.remove()
        grads.append((x.grad.numpy().copy(), seen[0].numpy()))
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, theirs)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        nr.ones(1).register_hook(print)


def test_backward_with_inputs_fills_only_those_grads_like_torch():
    results = []
    for lib in (nr, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, -1.0], requires_grad=True)
        (a * b).sum().backward(inputs=[a])
        (a * a * b).sum().backward(inputs=[a])
        results.append((a.grad.numpy().copy(), b.grad))
    np.testing.assert_allclose(results[0][0], results[1][0])
    assert results[0][1] is None and results[1][1] is None
