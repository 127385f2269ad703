"""The autograd API beyond ``loss.backward()``: gradients of non-scalars, retained and hooked
gradients, the graph's nodes, ``autograd.grad`` with create_graph, and grad modes."""

import numpy as np
import torch

rng = np.random.default_rng(3)
x = torch.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
y = x * x * 3
y.retain_grad()
seen = []
h = x.register_hook(lambda g: seen.append(g.clone()))
y.register_hook(lambda g: g * 2)          # a hook that replaces the gradient
y.backward(gradient=torch.ones(4) * 0.5)
h.remove()

w = torch.tensor(rng.standard_normal(3), dtype=torch.float64, requires_grad=True)
loss = (w ** 3).sum()
(g,) = torch.autograd.grad(loss, w, create_graph=True)
(gg,) = torch.autograd.grad(g.sum(), w)

a = torch.tensor([1.0, 2.0], requires_grad=True)
b = a * 2
c = b + 1
nodes = (b.grad_fn.name(), c.grad_fn.name(), len(c.grad_fn.next_functions),
         c.grad_fn.next_functions[0][0] is b.grad_fn,
         type(b.grad_fn.next_functions[0][0]).__name__)

with torch.no_grad():
    d = a * 2
with torch.set_grad_enabled(False):
    e = a * 2
with torch.inference_mode():
    f = a * 2
with torch.enable_grad():
    k = a * 2
torch.set_grad_enabled(True)

detached = a.detach()
out = {
    "x_grad": x.grad, "y_grad": y.grad, "hook_saw": seen,
    "grad": g, "second": gg,
    "leaf": (x.is_leaf, y.is_leaf, detached.is_leaf, detached.requires_grad),
    "nodes": nodes,
    "modes": (d.requires_grad, e.requires_grad, f.requires_grad, k.requires_grad, torch.is_grad_enabled()),
}
