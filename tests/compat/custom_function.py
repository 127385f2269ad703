"""A custom autograd Function written the PyTorch way, checked against autograd and used to train."""

import numpy as np
import torch


class SoftClip(torch.autograd.Function):
    """y = c * tanh(x / c), with its derivative 1 - tanh(x / c)^2 written by hand."""

    @staticmethod
    def forward(ctx, x, c):
        t = torch.tanh(x / c)
        ctx.save_for_backward(t)
        ctx.c = c
        return c * t

    @staticmethod
    def backward(ctx, grad_out):
        (t,) = ctx.saved_tensors
        return grad_out * (1 - t * t), None


class ScaleAndArgmax(torch.autograd.Function):
    """Two outputs: x * s (differentiable in x and s) and the argmax of x (not differentiable)."""

    @staticmethod
    def forward(ctx, x, s):
        ctx.save_for_backward(x, s)
        idx = x.argmax()
        ctx.mark_non_differentiable(idx)
        return x * s, idx

    @staticmethod
    def backward(ctx, grad_y, grad_idx):
        x, s = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (grad_y * s if needs[0] else None), ((grad_y * x).sum() if needs[1] else None)


rng = np.random.default_rng(5)
x = torch.tensor(rng.standard_normal(5) * 3, dtype=torch.float64, requires_grad=True)
y = SoftClip.apply(x, 2.0)
y.sum().backward()
x_grad = x.grad.clone()

x.grad = None
(2.0 * torch.tanh(x / 2.0)).sum().backward()   # the same through autograd

s = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
z, idx = ScaleAndArgmax.apply(x, s)
(z ** 2).sum().backward()

# fit y = 2x with the custom function in the model
w = torch.tensor([0.1], dtype=torch.float64, requires_grad=True)
data = torch.tensor(np.linspace(-1, 1, 16), dtype=torch.float64)
losses = []
for _ in range(20):
    loss = ((SoftClip.apply(w * data, 5.0) - 2 * data) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.5 * w.grad
    w.grad.zero_()
    losses.append(loss.item())

out = {
    "y": y, "custom_grad": x_grad, "autograd_grad": x.grad - 0,  # x.grad now also holds ScaleAndArgmax's part
    "z": z, "idx": idx.item(), "idx_requires_grad": idx.requires_grad, "s_grad": s.grad,
    "w": w, "losses": np.array(losses),
    "grad_fn": y.grad_fn is not None and y.requires_grad,
}
