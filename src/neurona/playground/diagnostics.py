"""Plain-language alerts about a playground network, each tied to the layer or neuron it concerns.

The checks are those of neurona's training diagnostics (``neurona.train.callbacks.diagnostics``), per
neuron here so the page can show them on the neuron: divergence (with the learning rate to blame), dead
ReLUs (zero on every training point), saturated tanh/sigmoid units, vanishing gradients (the first
layer's gradient much smaller than the last's) and the symmetry that zero initialisation leaves.
"""

from __future__ import annotations

import math

import numpy as np

import neurona as nr

SATURATED_SHARE = 0.9  # a unit is saturated when this share of the training points sits at its flat ends


def diagnose(session) -> list[dict]:
    """Alerts as ``{"kind", "message", "layer", "neuron"}`` (``layer``/``neuron`` None for the whole net)."""
    s, alerts = session.settings, []
    if session.diverged or not math.isfinite(session.train_loss):
        alerts.append(_alert("divergence", f"The loss became NaN or infinite at epoch {session.epoch}: the learning "
                             f"rate {s.learning_rate:g} is too high for this network. Reset and try "
                             f"{s.learning_rate / 10:g}."))
        return alerts
    first = session.history[0][1] if session.history else session.train_loss
    if session.epoch >= 5 and first is not None and session.train_loss > 3 * max(first, 1e-3):
        alerts.append(_alert("divergence", f"The training loss grew from {first:.3f} to {session.train_loss:.3f}: "
                             f"the learning rate {s.learning_rate:g} is probably too high; try "
                             f"{s.learning_rate / 10:g}."))
    session.model.eval()
    with nr.no_grad():
        _, kept = session.model(nr.tensor(session.X_train), keep=True)
    session.model.train()
    for layer, (h, act) in enumerate(zip(kept, s.activations())):
        a = h.numpy()
        for j in range(a.shape[1]):
            if act == "relu" and np.all(a[:, j] <= 0):
                alerts.append(_alert("dead_relu", f"Neuron {j + 1} of layer {layer + 1} is a dead ReLU: it outputs 0 "
                                     "for every training point, so no gradient reaches its weights and it cannot "
                                     "recover. A smaller learning rate or He init helps.", layer, j))
            elif act in ("tanh", "sigmoid"):
                edge = np.abs(a[:, j]) > 0.99 if act == "tanh" else (a[:, j] < 0.01) | (a[:, j] > 0.99)
                if edge.mean() >= SATURATED_SHARE:
                    alerts.append(_alert("saturation", f"Neuron {j + 1} of layer {layer + 1} is saturated: its {act} "
                                         f"sits at its flat ends for {edge.mean():.0%} of the points, where its "
                                         "slope (and so its gradient) is almost 0.", layer, j))
    if session.grad_history and len(s.hidden) >= 3:
        norms = session.grad_history[-1][1:]
        if norms[-1] > 0 and norms[0] < 1e-3 * norms[-1]:
            alerts.append(_alert("vanishing", f"Vanishing gradients: the first layer's gradient norm {norms[0]:.1e} is "
                                 f"{norms[-1] / max(norms[0], 1e-30):.0e} times smaller than the last layer's, so "
                                 "early layers barely learn. ReLU, batch norm or fewer layers help.", 0))
    if s.init == "zeros" and s.hidden:
        for layer, linear in enumerate(session.model.linears):
            w = linear.weight.numpy()
            if w.shape[0] > 1 and np.allclose(w, w[:1]):
                alerts.append(_alert("symmetry", f"Every neuron of layer {layer + 1} has the same weights: with zeros "
                                     "init they get the same gradient and never become different. Choose another "
                                     "init.", layer))
    return alerts


def _alert(kind: str, message: str, layer: int | None = None, neuron: int | None = None) -> dict:
    return {"kind": kind, "message": message, "layer": layer, "neuron": neuron}
