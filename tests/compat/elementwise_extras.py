"""Module-level functions and methods beginner notebooks call beyond arithmetic: rounding, NaN
handling, slicing helpers, stacking, counting and interpolation, with gradients where torch has them."""

import numpy as np
import torch

rng = np.random.default_rng(13)
x = torch.tensor(rng.uniform(0.5, 3.0, (3, 4)), dtype=torch.float64, requires_grad=True)
v = torch.tensor(rng.standard_normal(4), dtype=torch.float64, requires_grad=True)

parts = {
    "square": torch.square(x), "rsqrt": torch.rsqrt(x), "log2": torch.log2(x), "log10": x.log10(),
    "erf": torch.erf(x - 1.5), "sign": torch.sign(x - 1.5), "lerp": torch.lerp(x, x * 2, 0.3),
    "dot": torch.dot(v, v), "mv": torch.mv(x, v), "addmm": torch.addmm(v, x.t(), x, beta=0.5, alpha=2.0),
    "unbind1": torch.unbind(x, 1)[2], "select": torch.select(x, 0, 1), "narrow": x.narrow(1, 1, 2),
    "tile": torch.tile(v, (2, 1)), "hstack": torch.hstack([v, v]), "vstack": torch.vstack([v, x]),
    "movedim": torch.movedim(x.reshape(3, 2, 2), 0, 2), "swapaxes": torch.swapaxes(x, 0, 1),
    "clamp_min": torch.clamp_min(x, 1.0), "clamp_max": x.clamp_max(2.0),
    "masked_select": torch.masked_select(x, x > 1.5), "where_method": x.where(x > 2, v),
    "nan_to_num": torch.nan_to_num(torch.where(x > 2, x, x * float("nan"))),
    "softplus": torch.nn.functional.softplus(x - 2) if hasattr(torch.nn, "functional") else torch.softplus(x - 2),
}
loss = sum((p * (k + 1)).sum() for k, p in enumerate(parts.values()))
loss.backward()

w = torch.tensor([[1.4, -2.5, 0.0], [2.5, float("nan"), float("inf")]])
out = dict(parts)
out.update({
    "x_grad": x.grad, "v_grad": v.grad,
    "round": torch.round(w), "floor": w.floor(), "ceil": torch.ceil(w), "trunc": torch.trunc(w),
    "isnan": torch.isnan(w), "isinf": w.isinf(), "isfinite": torch.isfinite(w),
    "nan_to_num_plain": torch.nan_to_num(w, nan=0.0, posinf=9.0),
    "count_nonzero": torch.count_nonzero(torch.tensor([[0, 1, 2], [0, 0, 3]]), dim=1),
    "unique": torch.unique(torch.tensor([3, 1, 3, 2, 1])),
    "unique_counts": torch.unique(torch.tensor([3, 1, 3, 2, 1]), return_counts=True),
    "remainder": torch.remainder(torch.tensor([5, -3, 7]), 3),
    "floor_divide": torch.floor_divide(torch.tensor([5, -3, 7]), 2),
    "constants": (torch.pi, torch.e, torch.inf),
    "stride": torch.zeros(2, 3).stride(), "contiguous": (x.is_contiguous(), x.t().is_contiguous()),
    "comparisons": (torch.lt(v, 0), torch.ge(v, 0), torch.eq(v, v), torch.logical_and(v > 0, v < 1)),
})
