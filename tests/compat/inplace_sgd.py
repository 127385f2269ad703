"""Linear regression by hand: parameters updated in place inside no_grad, gradients zeroed in place.

Before in-place operators existed, ``w -= lr * w.grad`` rebound ``w`` to a new tensor that no longer
required grad, and this loop silently never learned."""

import numpy as np
import torch

rng = np.random.default_rng(0)
x_np = rng.standard_normal((64, 3)).astype(np.float32)
y_np = (x_np @ np.array([[1.5], [-2.0], [0.5]], dtype=np.float32) + 0.3).astype(np.float32)
x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

w = torch.tensor(np.zeros((3, 1), dtype=np.float32), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
losses = []
for _step in range(40):
    pred = x @ w + b
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    losses.append(loss.item())

# the same with method spellings and an in-place momentum buffer
v = torch.zeros_like(w)
for _step in range(10):
    loss = ((x @ w + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        v.mul_(0.9).add_(w.grad)
        w.sub_(v, alpha=0.05)
        b.add_(b.grad, alpha=-0.05)
    w.grad = None
    b.grad.zero_()

out = {
    "losses": np.array(losses, dtype=np.float32),
    "w": w,
    "b": b,
    "still_leaf": (w.is_leaf, w.requires_grad, b.is_leaf, b.requires_grad),
    "learned": losses[-1] < 0.01 * losses[0],
}
