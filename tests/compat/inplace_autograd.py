"""In-place ops inside a graph (differentiable), item assignment, version counters, and the errors
torch raises when an in-place change would make a gradient wrong."""

import numpy as np
import torch

rng = np.random.default_rng(1)
x = torch.tensor(rng.standard_normal((4, 3)), dtype=torch.float64, requires_grad=True)
w = torch.tensor(rng.standard_normal((3,)), dtype=torch.float64, requires_grad=True)

# in-place ops on non-leaf tensors are differentiable
y = x * 2
y += 1
y.mul_(w)
y -= x
y /= 3
y[0] = 0.0                      # an int index
y[1:3, 0] = w[:2] * 5           # a slice, with a value that needs grad
y[y > 1.0] = -1.0               # a mask
y[[3, 3], [1, 2]] = torch.tensor([7.0, 8.0], dtype=torch.float64)  # index arrays
y.clamp_(-2.0, 6.0)
z = y * 1.5
z.exp_()
loss = (z * torch.arange(12, dtype=torch.float64).reshape(4, 3)).sum()
loss.backward()

# a leaf that does not require grad, changed in place by a tensor that does
acc = torch.zeros(3, dtype=torch.float64)
acc.add_(w * w)
acc.addcmul_(w, w, value=0.5)
acc.sum().backward()

versions = []
t = torch.ones(3)
versions.append(t._version)
t.add_(1)
t[0] = 5
v = t.view(3)      # a view shares its base's version counter
v.mul_(2)
versions += [t._version, v._version]

errors = {}
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
e = a.exp()
e.add_(1)          # exp's backward needs its output: changed in place
try:
    e.sum().backward()
except RuntimeError as err:
    errors["saved_output"] = str(err)

b = torch.tensor([1.0, 2.0], requires_grad=True)
c = torch.tensor([3.0, 4.0])
prod = b * c       # mul saves c for b's gradient
c.mul_(2)
try:
    prod.sum().backward()
except RuntimeError as err:
    errors["saved_input"] = str(err)

try:
    b.add_(1)      # a leaf that requires grad, outside no_grad
except RuntimeError as err:
    errors["leaf"] = str(err)

i = torch.tensor([1, 2, 3])
try:
    i += 0.5       # an integer tensor cannot hold a float result
except RuntimeError as err:
    errors["dtype"] = str(err)

with torch.no_grad():
    b.add_(1)      # fine inside no_grad

out = {
    "x_grad": x.grad,
    "w_grad": w.grad,
    "y_is_leaf": y.is_leaf,
    "versions": versions,
    "b": b,
    "saved_output": "modified by an inplace operation" in errors["saved_output"]
    and "is at version 1; expected version 0 instead" in errors["saved_output"],
    "saved_input": "is at version 1; expected version 0 instead" in errors["saved_input"],
    "leaf": errors["leaf"].startswith("a leaf Variable that requires grad is being used in an in-place operation."),
    "dtype": "can't be cast to the desired output type" in errors["dtype"],
}
