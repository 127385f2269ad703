"""The playground's network, built from :class:`~neurona.playground.protocol.Settings` with neurona's own
layers, and the views computed from it: every neuron's heat map, one sample's forward values and
backward deltas, per-layer gradient norms.

The network is a plain stack: ``[Linear -> (BatchNorm1d) -> activation -> (Dropout)] * hidden`` then a
``Linear`` head (1 output for binary classification with a sigmoid read-out and for regression, ``k``
for ``k`` classes with softmax). It keeps each hidden layer's output when asked, so all neuron heat maps
come from one batched forward pass over the grid.
"""

from __future__ import annotations

import base64

import numpy as np

import neurona as nr
import neurona.functional as F
from neurona import nn
from neurona.datasets.playground import FEATURES, derive_features
from neurona.playground.protocol import Settings

GRID = 50  # heat maps are GRID x GRID samples of [-6, 6]^2
EXTENT = 6.0
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


def grid_points(size: int = GRID) -> np.ndarray:
    """(size*size, 2) points of the plotting square, row by row from the top (x2 = +6) down."""
    axis = np.linspace(-EXTENT, EXTENT, size, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def encode(values: np.ndarray, low: float = -1.0, high: float = 1.0) -> str:
    """Values clipped to [low, high] as one byte each (0..255), base64: a heat map in a few kB."""
    scaled = (np.clip(np.nan_to_num(values, nan=0.0), low, high) - low) / (high - low) * 255.0
    return base64.b64encode(np.round(scaled).astype(np.uint8).tobytes()).decode("ascii")


class PlaygroundNet(nn.Module):
    """The network of one session; ``forward(x, keep=True)`` also returns every hidden layer's output."""

    def __init__(self, settings: Settings, n_inputs: int, n_outputs: int) -> None:
        super().__init__()
        widths = [n_inputs, *settings.hidden]
        self.linears = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])
        self.norms = nn.ModuleList([nn.BatchNorm1d(b) for b in settings.hidden] if settings.batchnorm else [])
        self.acts = nn.ModuleList([ACTIVATIONS[a]() for a in settings.activations()])
        self.dropout = nn.Dropout(settings.dropout) if settings.dropout > 0 else None
        self.head = nn.Linear(widths[-1], n_outputs)
        initialise(self, settings.init)

    def forward(self, x, keep: bool = False):
        kept = []
        for i, linear in enumerate(self.linears):
            x = linear(x)
            if len(self.norms):
                x = self.norms[i](x)
            x = self.acts[i](x)
            kept.append(x)
            if self.dropout is not None:
                x = self.dropout(x)
        out = self.head(x)
        return (out, kept) if keep else out

    def all_linears(self) -> list[nn.Linear]:
        return [*self.linears, self.head]


def initialise(model: PlaygroundNet, scheme: str) -> None:
    """Re-initialise every Linear: ``default`` keeps neurona's (PyTorch's Kaiming-uniform); ``zeros``
    makes every neuron of a layer the same (the symmetry that random init exists to break)."""
    if scheme == "default":
        return
    for linear in model.all_linears():
        if scheme == "xavier":
            nn.init.xavier_uniform_(linear.weight)
        elif scheme == "he":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        elif scheme == "normal":
            nn.init.normal_(linear.weight, 0.0, 1.0)
        elif scheme == "zeros":
            nn.init.zeros_(linear.weight)
        nn.init.zeros_(linear.bias)


def loss_of(out, y, task: str, n_classes: int):
    """Binary: BCE on the logit; k classes: softmax cross-entropy; regression: mean squared error."""
    if task == "regression":
        return F.mse_loss(out.reshape(-1), y)
    if n_classes == 2:
        return F.binary_cross_entropy_with_logits(out.reshape(-1), y)
    return F.cross_entropy(out, y)


def heat_maps(model: PlaygroundNet, settings: Settings, task: str, n_classes: int, size: int = GRID) -> dict:
    """Every hidden neuron's output and the network's output over the grid, from one forward pass.

    Binary classification maps the probability p to 2p - 1 (so -1/+1 are the two classes, as in the
    playground); k classes give the winning class per pixel and its probability, and each class's
    probability (0..1) for the output neurons; regression gives the
    value. Hidden neurons are shown in [-1, 1] like the playground (ReLU outputs above 1 saturate).
    """
    points = grid_points(size)
    was_training = model.training
    model.eval()
    with nr.no_grad():
        out, kept = model(nr.tensor(derive_features(points, settings.features)), keep=True)
    model.train(was_training)
    logits = out.numpy()
    maps: dict = {"size": size, "neurons": [[encode(h.numpy()[:, j]) for j in range(h.shape[1])] for h in kept]}
    if task == "regression":
        maps["output"] = encode(logits[:, 0])
    elif n_classes == 2:
        maps["output"] = encode(2.0 / (1.0 + np.exp(-np.clip(logits[:, 0], -30, 30))) - 1.0)
    else:
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        maps["classes"] = base64.b64encode(probs.argmax(axis=1).astype(np.uint8).tobytes()).decode("ascii")
        maps["output"] = encode(probs.max(axis=1), 0.0, 1.0)
        maps["class_probs"] = [encode(probs[:, c], 0.0, 1.0) for c in range(probs.shape[1])]
    return maps


def input_maps(size: int = GRID) -> dict[str, str]:
    """The heat map of every input feature by name (fixed: they depend on the point only), in [-1, 1]."""
    values = derive_features(grid_points(size), list(FEATURES))
    scale = np.maximum(np.abs(values).max(axis=0), 1e-6)
    return {name: encode(values[:, j] / scale[j]) for j, name in enumerate(FEATURES)}


def backprop_view(model: PlaygroundNet, x: np.ndarray, y: np.ndarray, task: str, n_classes: int) -> dict:
    """One sample through the network: each neuron's forward value, its delta dL/dz (z the neuron's
    pre-activation) and each link's gradient dL/dW, computed by neurona's backward pass."""
    was_training = model.training
    model.eval()
    model.zero_grad()
    h = nr.tensor(x[None, :])
    values, deltas = [], []
    pre = []
    for i, linear in enumerate(model.linears):
        z = linear(h)
        z.retain_grad()
        pre.append(z)
        a = model.norms[i](z) if len(model.norms) else z
        h = model.acts[i](a)
        values.append(h)
    out = model.head(h)
    out.retain_grad()
    loss = loss_of(out, nr.tensor(y), task, n_classes)
    loss.backward()
    model.train(was_training)
    deltas = [z.grad.numpy()[0].tolist() for z in pre] + [out.grad.numpy()[0].tolist()]
    return {
        "input": x.tolist(),
        "values": [v.numpy()[0].tolist() for v in values] + [out.numpy()[0].tolist()],
        "deltas": deltas,
        "weight_grads": [lin.weight.grad.numpy().tolist() for lin in model.all_linears()],
        "bias_grads": [lin.bias.grad.numpy().tolist() for lin in model.all_linears()],
        "loss": float(loss.item()),
    }


def gradient_norms(model: PlaygroundNet) -> list[float]:
    """||dL/dW|| of each Linear layer (hidden layers, then the head), 0 where no gradient is there yet."""
    return [float(np.linalg.norm(lin.weight.grad.numpy())) if lin.weight.grad is not None else 0.0
            for lin in model.all_linears()]


def decode_map(text: str) -> np.ndarray:
    """The bytes of an encoded heat map (what the page's ``decode`` reads), as uint8 values."""
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8)
