"""What went wrong in a training run, in plain words: rules over the loss curves (``History``) and the
per-layer statistics that :class:`~neurona.train.Diagnostics` records on the first batch of every epoch.

Each rule looks for the *symptom that matters*, not a statistic alone:

- **divergence**: the training loss became NaN/inf, or ended far above its best and above where it started;
- **overfitting**: the network learnt its training data, and the validation loss turned and rose (by 25 % and
  by a tenth of the first epoch's loss) while the training loss kept falling, so the train/validation gap grew;
- **unstable validation loss** (when not overfitting): in the second half of training the validation loss
  jumps up and down by more than a tenth of the first epoch's loss per epoch, on average, beyond any trend;
- **dead ReLUs**: more than half of a layer's ReLU units output 0 for every sample of a batch;
- **saturation**: more than half of a tanh/sigmoid layer's outputs sit at their flat ends *and* that is a
  problem: the layer was saturated from the first epoch (inputs or initial weights too large), or training
  stalled (training accuracy never above 0.8, or the loss did not halve). Units that grow saturated while
  the network fits its training data perfectly are a sign of large weights (see overfitting), not a cause
  of vanishing gradients, and are not reported.

The labelled runs in ``tests/diagnostics_runs.py`` measure these rules' precision and recall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PROBLEMS = ("divergence", "unstable", "overfitting", "dead_relu", "saturation")


@dataclass(frozen=True)
class Finding:
    """One diagnosis: ``kind`` (one of :data:`PROBLEMS` or a gradient/learning-rate symptom) and the message."""

    kind: str
    message: str


def _finite(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def curve_findings(history: dict[str, list[float]]) -> list[Finding]:
    """Divergence, unstable validation loss and overfitting, from the per-epoch losses."""
    loss = _finite(history.get("loss", []))
    if len(loss) == 0:
        return []
    bad = np.flatnonzero(~np.isfinite(loss))
    if len(bad):
        return [Finding("divergence", f"Divergence: the training loss became {loss[bad[0]]} at epoch {bad[0] + 1}. "
                        "Lower the learning rate (try 10x smaller), standardise the inputs, or clip gradients.")]
    tail = loss[-3:].mean()
    if len(loss) >= 3 and tail > 5 * loss.min() and tail > loss[0]:
        best = int(loss.argmin())
        return [Finding("divergence", f"Divergence: the training loss rose from {loss[best]:.3g} (epoch {best + 1}) to "
                        f"{loss[-1]:.3g}, above where it started ({loss[0]:.3g}). The learning rate is too high.")]
    val = _finite(history.get("val_loss", []))
    if len(val) < 6 or not np.isfinite(val).all():
        return []
    found = []
    scale = max(loss[0], val[0])  # the loss level of a barely trained network: what "large" is measured against
    best = int(val.argmin())
    end_val, end_loss = val[-3:].mean(), loss[-3:].mean()
    rose = end_val > 1.25 * val[best] and end_val - val[best] > 0.1 * scale
    gap_grew = (end_val - end_loss) - (val[best] - loss[best]) > 0.1 * scale
    if best <= len(val) - 4 and rose and gap_grew and end_loss < loss[best] and not _stalled(history):
        found.append(Finding("overfitting", f"Overfitting: the validation loss was lowest at epoch {best + 1} "
                             f"({val[best]:.3g}) and rose to {val[-1]:.3g} while the training loss kept falling "
                             f"(to {loss[-1]:.3g}); the train/validation gap grew from {val[best] - loss[best]:.3g} to "
                             f"{val[-1] - loss[-1]:.3g}. Stop earlier (EarlyStopping would keep epoch {best + 1}'s "
                             "weights), add data, or regularise (weight decay, dropout, a smaller network)."))
    half = val[len(val) // 2:]
    steps = np.abs(np.diff(half))
    wiggle = (steps.sum() - abs(half[-1] - half[0])) / (len(half) * scale)
    if wiggle > 0.1 and not found:
        found.append(Finding("unstable", f"Unstable validation loss: in the second half of training it moved by "
                             f"{steps.mean():.3g} per epoch on average, up and down (after epoch 1 it was {val[0]:.3g}). "
                             "The steps are too large or too noisy: lower the learning rate, use larger batches or "
                             "a schedule that decays the learning rate."))
    return found


def _stalled(history: dict[str, list[float]]) -> bool:
    acc = [a for a in history.get("accuracy", []) if math.isfinite(a)]
    if acc:
        return max(acc) < 0.8
    loss = [x for x in history.get("loss", []) if math.isfinite(x)]
    return len(loss) >= 2 and loss[-1] > 0.5 * loss[0]


def layer_findings(records: list[dict], history: dict[str, list[float]], dead_threshold: float = 0.5,
                   saturation_threshold: float = 0.5) -> list[Finding]:
    """Dead ReLUs and saturation from the last record; gradient and step-size symptoms as before."""
    if not records:
        return []
    first, last, found = records[0], records[-1], []
    stalled = _stalled(history)
    for name, s in last["layers"].items():
        if s.get("dead_fraction", 0) > dead_threshold:
            found.append(Finding("dead_relu",
                f"Layer '{name}': {s['dead_fraction']:.0%} of its ReLU units output 0 for every sample of a batch "
                "('dead' units); they get no gradient and stop learning. Try a smaller learning rate, "
                "LeakyReLU or ELU, or He (kaiming) initialisation, and check the biases' initial values."))
        share = s.get("saturated_fraction", 0)
        born = first["layers"].get(name, {}).get("saturated_fraction", 0) > saturation_threshold
        if share > saturation_threshold and (born or stalled):
            why = ("from the first epoch on" if born else "and training stalled")
            found.append(Finding("saturation",
                f"Layer '{name}': {share:.0%} of its {s['type']} outputs are saturated (near their limits) {why}; "
                "there the derivative is almost 0 and gradients vanish. Standardise the inputs, use Xavier "
                "initialisation, batch normalisation, or ReLU."))
    weights = [(n, p) for n, p in last["params"].items() if n.endswith("weight") and "grad_norm" in p]
    if len(weights) >= 2:
        head, tail = weights[0][1]["grad_norm"], weights[-1][1]["grad_norm"]
        if tail > 0 and head / tail < 1e-3:
            found.append(Finding("vanishing_gradients",
                f"Vanishing gradients: the first layer's weight gradient norm ({head:.2e}) is over 1000x smaller "
                f"than the last layer's ({tail:.2e}); early layers barely learn. Use ReLU-family activations, "
                "He/Xavier initialisation, batch normalisation or residual connections."))
        if tail > 0 and head / tail > 1e3:
            found.append(Finding("exploding_gradients",
                f"Exploding gradients: the first layer's gradient norm ({head:.2e}) is over 1000x the last "
                f"layer's ({tail:.2e}). Lower the learning rate or clip gradients (nn.utils.clip_grad_norm_)."))
    for name, p in last["params"].items():
        ratio = p.get("update_ratio")
        if ratio is None or not name.endswith("weight"):
            continue
        if ratio > 1e-1:
            found.append(Finding("lr_high",
                f"'{name}': one step changed the weights by {ratio:.1%} of their size (a healthy ratio is about "
                "0.1%); the learning rate is probably too high."))
        elif 0 < ratio < 1e-6:
            found.append(Finding("lr_low",
                f"'{name}': one step changed the weights by only {ratio:.1e} of their size (a healthy ratio is "
                "about 1e-3); the learning rate is probably too low."))
    return found


def diagnose(records: list[dict], history: dict[str, list[float]], dead_threshold: float = 0.5,
             saturation_threshold: float = 0.5) -> list[Finding]:
    """Every finding for one run: the curves first (divergence hides everything else), then the layers."""
    curves = curve_findings(history)
    if any(f.kind == "divergence" for f in curves):
        return curves
    return curves + layer_findings(records, history, dead_threshold, saturation_threshold)
