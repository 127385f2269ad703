"""Optimisers the PyTorch way: parameter groups, per-group options, state dicts, schedulers."""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import StepLR


def fixed_model():
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    state = {}
    for name, value in model.state_dict().items():
        n = int(np.prod(value.shape))
        state[name] = torch.tensor(np.linspace(-0.6, 0.4, n, dtype=np.float32).reshape(tuple(value.shape)))
    model.load_state_dict(state)
    return model


rng = np.random.default_rng(0)
x = torch.tensor(rng.normal(size=(16, 3)).astype(np.float32))
y = torch.tensor(rng.integers(0, 2, size=16))


def train(model, opt, steps, sched=None):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return losses


report = {}
for name, make in {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda ps: torch.optim.Adagrad(ps, lr=0.1),
    "adadelta": lambda ps: torch.optim.Adadelta(ps, lr=1.0),
    "nadam": lambda ps: torch.optim.NAdam(ps, lr=0.01),
}.items():
    model = fixed_model()
    groups = [
        {"params": model[0].parameters()},
        {"params": model[2].weight, "lr": 0.05, "weight_decay": 0.01},
    ]
    opt = make(groups)
    opt.add_param_group({"params": [model[2].bias], "lr": 0.001})
    losses = train(model, opt, 3)
    # a copy, as saving to a file makes: torch's state dict shares the optimiser's live state tensors
    sd = copy.deepcopy(opt.state_dict())
    # a fresh model and optimiser that load both state dicts continue exactly where the first left off
    model2 = fixed_model()
    model2.load_state_dict(model.state_dict())
    opt2 = make([{"params": model2[0].parameters()}, {"params": model2[2].weight}])
    opt2.add_param_group({"params": [model2[2].bias]})
    opt2.load_state_dict(sd)
    report[name] = {
        "losses": losses,
        "group_keys": [list(g.keys()) for g in opt.param_groups],
        "group_values": [{k: v for k, v in g.items() if k != "params"} for g in sd["param_groups"]],
        "group_params": [g["params"] for g in sd["param_groups"]],
        "state_indices": sorted(sd["state"].keys()),
        "state_names": sorted(sd["state"][0].keys()),
        "continued": [train(m, o, 2) for m, o in ((model, opt), (model2, opt2))],
    }

model = fixed_model()
opt = torch.optim.SGD(model.parameters(), lr=0.5)
sched = StepLR(opt, step_size=2, gamma=0.5)
report["steplr"] = {"losses": train(model, opt, 5, sched), "lr": opt.param_groups[0]["lr"]}
