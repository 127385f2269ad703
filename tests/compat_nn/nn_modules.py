"""Modules the PyTorch way: containers, buffers, traversal, hooks, state dicts, modes."""

from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn


def fixed_weights(model):
    """Deterministic weights, the same in any framework: a ramp per tensor."""
    state = {}
    for name, value in model.state_dict().items():
        n = int(np.prod(value.shape))
        state[name] = torch.tensor(np.linspace(-0.5, 0.5, n, dtype=np.float32).reshape(tuple(value.shape)))
    model.load_state_dict(state)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([("fc", nn.Linear(4, 6)), ("act", nn.ReLU())]))
        self.heads = nn.ModuleList([nn.Linear(6, 3), nn.Linear(6, 2)])
        self.extra = nn.ModuleDict({"drop": nn.Dropout(0.5), "id": nn.Identity()})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(2))])
        self.offsets = nn.ParameterDict({"a": nn.Parameter(torch.zeros(3))})
        self.register_buffer("calls", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        h = self.extra["id"](self.extra["drop"](self.features(x)))
        return self.heads[0](h) * self.scales[0] + self.offsets["a"], self.heads[1](h) * self.scales[1]


net = Net()
fixed_weights(net)
x = torch.tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))

seen = []
handle = net.features.register_forward_hook(lambda m, inp, out: seen.append(tuple(out.shape)))
pre = net.heads[0].register_forward_pre_hook(lambda m, inp: (inp[0] * 2,))
assert net.eval() is net
a, b = net(x)
handle.remove()
pre.remove()
a2, _ = net(x)

counted = []
net.apply(lambda m: counted.append(type(m).__name__))

flat = nn.Flatten()(torch.zeros(2, 3, 4, 5))
flat_mid = nn.Flatten(1, 2)(torch.zeros(2, 3, 4, 5))
unflat = nn.Unflatten(1, (2, 3))(torch.zeros(4, 6))
drop2d = nn.Dropout2d(0.5).eval()(torch.ones(1, 2, 3, 3))

result = nn.Linear(4, 6).load_state_dict({"weight": torch.zeros(6, 4)}, strict=False)
net.zero_grad()
(a.sum() + b.sum()).backward()
grads_exist = [p.grad is not None for p in net.parameters()]
net.zero_grad()
grads_after = [p.grad is None for p in net.parameters()]
frozen = nn.Linear(2, 2).requires_grad_(False)

report = {
    "out_a": a.tolist(),
    "out_b": b.tolist(),
    "out_a_without_pre_hook": a2.tolist(),
    "hook_saw": [list(s) for s in seen],
    "state_dict_keys": list(net.state_dict().keys()),
    "named_modules": [name for name, _ in net.named_modules()],
    "named_children": [name for name, _ in net.named_children()],
    "named_buffers": [name for name, _ in net.named_buffers()],
    "named_parameters": [name for name, _ in net.named_parameters()],
    "own_parameters": len(list(net.parameters(recurse=False))),
    "apply_order": counted,
    "training_after_eval": [m.training for m in net.modules()],
    "training_after_train": [m.training for m in net.train().modules()],
    "flatten": list(flat.shape),
    "flatten_mid": list(flat_mid.shape),
    "unflatten": list(unflat.shape),
    "dropout2d_eval": drop2d.sum().item(),
    "missing": result.missing_keys,
    "unexpected": result.unexpected_keys,
    "grads_exist": grads_exist,
    "zero_grad_sets_none": grads_after,
    "frozen": [p.requires_grad for p in frozen.parameters()],
    "sequential_index": type(net.features[0]).__name__,
    "modulelist_len": len(net.heads),
}
