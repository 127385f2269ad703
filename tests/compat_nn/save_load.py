"""Saving the PyTorch way: state dicts and a checkpoint dict, saved, loaded and resumed."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def fixed_model():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    state = {}
    for name, value in model.state_dict().items():
        n = max(int(np.prod(value.shape)), 1)
        ramp = np.linspace(0.1, 0.9, n).reshape(tuple(value.shape))
        state[name] = torch.tensor(ramp.astype(np.int64 if "num_batches" in name else np.float32))
    model.load_state_dict(state)
    return model


rng = np.random.default_rng(1)
x = torch.tensor(rng.normal(size=(8, 3)).astype(np.float32))
y = torch.tensor(rng.integers(0, 2, size=8))


def step(model, opt):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


model = fixed_model()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
losses = [step(model, opt) for _ in range(2)]

torch.save(model.state_dict(), "weights.pt")
torch.save({"epoch": 2, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
            "loss": losses[-1], "history": [1.5, (2, "two")], "note": "ok", "empty": None}, "checkpoint.pt")

restored = fixed_model()
result = restored.load_state_dict(torch.load("weights.pt", weights_only=True))
checkpoint = torch.load("checkpoint.pt", weights_only=True)
resumed = fixed_model()
resumed.load_state_dict(checkpoint["model_state_dict"])
resumed_opt = torch.optim.Adam(resumed.parameters(), lr=0.5)
resumed_opt.load_state_dict(checkpoint["optimizer_state_dict"])
resumed.eval()
model.eval()
same_output = (restored.eval()(x) - model(x)).abs().max().item()
model.train()
resumed.train()

report = {
    "losses": losses,
    "keys": list(torch.load("weights.pt").keys()),
    "load_result": [result.missing_keys, result.unexpected_keys],
    "max_difference_after_reload": same_output,
    "epoch": checkpoint["epoch"],
    "loss": checkpoint["loss"],
    "history": [checkpoint["history"][0], list(checkpoint["history"][1])],
    "note": checkpoint["note"],
    "empty": checkpoint["empty"],
    "lr_restored": resumed_opt.param_groups[0]["lr"],
    "optimizer_state_keys": sorted(checkpoint["optimizer_state_dict"]["state"].keys()),
    "tracked": int(checkpoint["model_state_dict"]["1.num_batches_tracked"].item()),
    "continued": [step(model, opt), step(resumed, resumed_opt)],
}
