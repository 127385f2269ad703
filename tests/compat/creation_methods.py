"""The creation functions and Tensor methods that beginner code calls, with torch's keywords."""

import numpy as np
import torch

a = np.arange(6, dtype=np.float32).reshape(2, 3)
shared = torch.from_numpy(a)
a[0, 0] = 100.0                       # from_numpy shares memory
as_t = torch.as_tensor(a)
copied = torch.tensor(a)
a[0, 1] = 200.0
back = shared.numpy()
shared[1, 2] = -7.0                   # and back: .numpy() shares memory too

x = torch.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
outs = {}
torch.add(x, 1.0, out=torch.empty(2, 3))
result = torch.empty(2, 3)
torch.mul(x, x, out=result)
mm_out = torch.zeros(2, 2)
torch.matmul(x, x.t(), out=mm_out)

out = {
    "shared": shared, "as_tensor": as_t, "copied": copied, "back": back, "a": a,
    "empty": tuple(torch.empty(2, 3).shape),
    "linspace": torch.linspace(0, 1, steps=5),
    "logspace": torch.logspace(0, 2, steps=3),
    "arange_long": torch.arange(5),
    "arange_float": torch.arange(0, 1, 0.25),
    "arange_dtype": torch.arange(4, dtype=torch.float32),
    "full": torch.full((2, 2), 7),
    "full_float": torch.full((2,), 0.5),
    "full_like": torch.full_like(x, 3.0),
    "zeros_like": torch.zeros_like(x),
    "ones_like_int": torch.ones_like(x, dtype=torch.int64),
    "zeros_rg": torch.zeros(2, 3, requires_grad=True).requires_grad,
    "eye": torch.eye(3, requires_grad=True),
    "eye_rect": torch.eye(2, 3),
    "rand_like_shape": tuple(torch.rand_like(x).shape),
    "randn_like_dtype": str(torch.randn_like(x.double()).dtype).split(".")[-1],
    "randint_like": tuple(torch.randint_like(x, 10).shape),
    "pow_method": x.pow(2), "pow_fn": torch.pow(x, 3), "pow_op": 2 ** x,
    "mm": torch.mm(x, x.t()), "bmm": torch.bmm(x.reshape(1, 2, 3), x.reshape(1, 3, 2)),
    "t": x.t(), "clone": x.clone(), "contiguous": x.t().contiguous(),
    "view_as": torch.arange(6.0).view_as(x), "repeat": x.repeat(2, 1), "repeat3": torch.tensor([1, 2]).repeat(2, 2, 1),
    "masked_fill": x.masked_fill(x < 0, 0.0), "masked_fill_fn": torch.masked_fill(x, x > 4, -1.0),
    "new_ones": x.new_ones(2), "new_zeros": x.new_zeros((1, 2)), "new_tensor": x.new_tensor([1, 2]),
    "new_full": x.new_full((2,), 9.0),
    "add_out": torch.add(x, 1.0), "add_alpha": torch.add(x, x, alpha=2), "sub_alpha": x.sub(x, alpha=0.5),
    "mul_out": result, "mm_out": mm_out,
    "tolist": x.tolist(), "item": x[1, 2].item(), "item_int": torch.tensor([3]).item(),
    "sum_item": x.sum().item(),
}
try:
    x.item()
except (RuntimeError, ValueError) as err:
    out["item_error"] = "cannot be converted to Scalar" in str(err)
