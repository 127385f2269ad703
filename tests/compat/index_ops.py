"""Picking, sorting, accumulating and masking: the tensor ops beginner notebooks reach for, with gradients."""

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(7)
x = torch.tensor(rng.permutation(12).reshape(3, 4) + rng.random((3, 4)) * 0.1, dtype=torch.float64,
                 requires_grad=True)
idx = torch.tensor([[0, 2], [1, 1], [3, 0]])

values, order = torch.sort(x, dim=1, descending=True)
top = x.topk(2, dim=1)
results = {
    "gather": torch.gather(x, 1, idx),
    "take_along_dim": torch.take_along_dim(x, idx, dim=1),
    "index_select": torch.index_select(x, 0, torch.tensor([2, 0])),
    "sort_values": values, "sort_indices": order,
    "argsort": x.argsort(dim=0),
    "topk_values": top.values, "topk_indices": top.indices,
    "cumsum": x.cumsum(dim=1), "cumsum0": torch.cumsum(x, 0),
    "flip": x.flip(0), "flip_both": torch.flip(x, dims=(0, 1)),
    "roll": torch.roll(x, 1, dims=1), "roll_flat": x.roll(2),
    "tril": torch.tril(x), "triu1": x.triu(1), "tril_neg": torch.tril(x, -1),
    "diag": torch.diag(x[:, :3]), "diag_embed": torch.diag(x[0]), "diag_off": torch.diag(x[1, :2], 1),
    "trace": torch.trace(x[:, :3]),
    "einsum": torch.einsum("ij,kj->ik", x, x), "einsum_batch": torch.einsum("bi,bi->b", x, x),
    "einsum_ellipsis": torch.einsum("...ij,...kj->...ik", x.reshape(3, 2, 2), x.reshape(3, 2, 2) * 2),
    "einsum_ellipsis_summed": torch.einsum("...j->j", x), "einsum_ellipsis_implicit": torch.einsum("i...", x),
    "einsum_ellipsis_middle": torch.einsum("b...,b...->b", x.reshape(3, 2, 2), x.reshape(3, 2, 2)),
    "outer": torch.outer(x[0], x[1, :2]),
    "repeat": x[:1].repeat(2, 2),
    "scatter_add": torch.zeros(3, 4, dtype=torch.float64).scatter_add(1, idx, x[:, :2]),
    "scatter": torch.zeros(3, 4, dtype=torch.float64).scatter(1, idx[:, :1], x[:, :1]),
    "where": torch.where(x > 5, x, x * 0.5),
    "masked_fill": x.masked_fill(x < 3, 0.0),
}
loss = sum((r * (k + 1)).sum() for k, r in enumerate(v for v in results.values() if v.dtype == torch.float64))
loss.backward()

mask = torch.tensor([[True, False], [False, True]])
rows, cols = torch.where(mask)
gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
mx, my = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="xy")
causal = torch.tril(torch.ones(4, 4)).bool()
scores = torch.zeros(4, 4).masked_fill(~causal, float("-inf"))
labels = torch.tensor([0, 2, 1, 2])
one_hot = F.one_hot(labels, num_classes=4)

out = dict(results)
out.update({
    "x_grad": x.grad,
    "where_cond": (rows, cols), "nonzero": mask.nonzero(),
    "meshgrid": (gx, gy, mx, my),
    "causal": causal, "scores": torch.softmax(scores, dim=-1),
    "one_hot": one_hot, "one_hot_auto": F.one_hot(labels),
    "allclose": (torch.allclose(x, x + 1e-9), torch.allclose(x, x + 1)),
    "isclose": torch.isclose(x, x.round()), "equal": (torch.equal(x, x.clone()), torch.equal(x, x[:2])),
    "max_dim": tuple(x.max(dim=1)), "argmax": x.argmax(dim=1),
})
