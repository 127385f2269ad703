"""nn.init and nn.utils the PyTorch way: gains, fans, deterministic fills, clipping, vectors, padding."""

import math

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
from torch.nn.utils.rnn import pad_sequence

gains = [nn.init.calculate_gain(n) for n in ("linear", "sigmoid", "tanh", "relu", "selu", "conv2d")]
gains.append(nn.init.calculate_gain("leaky_relu", 0.2))

w = torch.empty(30, 20) if hasattr(torch, "empty") else torch.zeros(30, 20)
xavier_bound = math.sqrt(6 / (20 + 30))
nn.init.xavier_uniform_(w)
xavier_ok = w.abs().max().item() <= xavier_bound
conv = torch.zeros(8, 4, 3, 3)
nn.init.kaiming_uniform_(conv, mode="fan_out", nonlinearity="relu")
kaiming_ok = conv.abs().max().item() <= math.sqrt(2) * math.sqrt(3 / (8 * 9)) + 1e-6
nn.init.kaiming_normal_(torch.zeros(5, 5))
nn.init.trunc_normal_(torch.zeros(5, 5), std=0.02)
ortho = torch.zeros(4, 6)
nn.init.orthogonal_(ortho)
gram = (ortho @ ortho.transpose(0, 1)).tolist()
eye = torch.zeros(3, 4)
nn.init.eye_(eye)
dirac = torch.zeros(2, 2, 3)
nn.init.dirac_(dirac)
const = torch.zeros(2, 2)
nn.init.constant_(const, 0.3)
layer = nn.Linear(3, 2)
nn.init.ones_(layer.weight)
nn.init.zeros_(layer.bias)
still_leaf = layer.weight.requires_grad

model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
vector = torch.tensor(np.linspace(-1, 1, 11, dtype=np.float32))
vector_to_parameters(vector, model.parameters())
back = parameters_to_vector(model.parameters()).tolist()
x = torch.tensor(np.array([[1.0, -2.0, 3.0]], dtype=np.float32))
model(x).sum().backward()
norm = clip_grad_norm_(model.parameters(), max_norm=0.5)
clipped_norm = math.sqrt(sum((p.grad * p.grad).sum().item() for p in model.parameters()))
model.zero_grad()
model(x).sum().backward()
clip_grad_value_(model.parameters(), clip_value=0.1)
max_grad = max(p.grad.abs().max().item() for p in model.parameters())
inf_norm = clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type=float("inf")).item()

a, b = torch.ones(2, 3), torch.zeros(4, 3)
padded = pad_sequence([a, b], batch_first=True, padding_value=-1.0)
left = pad_sequence([a, b], padding_side="left")

report = {
    "gains": gains,
    "xavier_within_bound": xavier_ok,
    "kaiming_within_bound": kaiming_ok,
    "orthogonal_rows": gram,
    "eye": eye.tolist(),
    "dirac": dirac.tolist(),
    "constant": const.tolist(),
    "ones_zeros": [layer.weight.sum().item(), layer.bias.sum().item(), still_leaf],
    "vector_roundtrip": back,
    "clip_norm_returned": norm.item(),
    "clip_norm_after": clipped_norm,
    "clip_value_max": max_grad,
    "inf_norm": inf_norm,
    "padded_shape": list(padded.shape),
    "padded": padded.tolist(),
    "left_shape": list(left.shape),
    "left_first": left[:, 0].tolist(),
}
