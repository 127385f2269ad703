"""Layer parity helper: the same layer in neurona and torch, same weights, same input — outputs and every gradient."""

from __future__ import annotations

import numpy as np
import torch

import neurona as nr

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


def compare_layer(nr_layer, torch_layer, x: np.ndarray, dtype=np.float32, train: bool = True, seed: int = 0,
                  load: bool = True, extra_inputs: tuple = ()) -> tuple:
    """Load torch's weights into the neurona layer, run both on ``x``, backprop a random upstream gradient,
    and assert outputs, input gradient and every parameter gradient agree. Returns both outputs."""
    torch_layer = torch_layer.to(torch.float64 if dtype == np.float64 else torch.float32)
    nr_layer.to(dtype)
    if load:
        nr_layer.load_state_dict(torch_layer.state_dict())
    nr_layer.train(train)
    torch_layer.train(train)
    x = x.astype(dtype)
    xn = nr.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yn = nr_layer(xn, *extra_inputs)
    yt = torch_layer(xt, *extra_inputs)
    tol = TOL[dtype]
    np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), **tol, err_msg="forward")
    g = np.random.default_rng(seed).standard_normal(yt.shape).astype(dtype)
    yn.backward(nr.tensor(g, dtype=dtype))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), **tol, err_msg="input gradient")
    torch_params = dict(torch_layer.named_parameters())
    for name, p in nr_layer.named_parameters():
        assert p.grad is not None, f"no gradient for {name}"
        np.testing.assert_allclose(p.grad.numpy(), torch_params[name].grad.numpy(), **tol, err_msg=f"grad of {name}")
        assert p.grad.dtype == dtype
    for name, b in torch_layer.named_buffers():
        np.testing.assert_allclose(nr_layer.state_dict()[name].numpy(), b.numpy(), **tol, err_msg=f"buffer {name}")
    return yn, yt
