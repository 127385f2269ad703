"""Diagnostics: look inside the network while it trains, and say in plain words what looks wrong.

On the first batch of every epoch it records, per layer: activation mean and standard deviation, the
fraction of dead ReLU units (zero for every sample of the batch), the fraction of saturated tanh/sigmoid
units, the gradient norm of each weight, and the update/weight ratio ||W_new - W_old|| / ||W_old||
(a healthy ratio is around 1e-3).
"""

from __future__ import annotations

import numpy as np

from neurona.train.callbacks.base import Callback


class Diagnostics(Callback):
    """Record per-layer statistics (``records``) and plain-language ``warnings``; the last epoch's
    activations, gradients and weights are kept for histograms."""

    def __init__(self, dead_threshold: float = 0.5, saturation_threshold: float = 0.5) -> None:
        self.dead_threshold, self.saturation_threshold = dead_threshold, saturation_threshold
        self.records: list[dict] = []
        self.warnings: list[str] = []
        self.findings: list = []
        self.activations: dict[str, np.ndarray] = {}
        self.gradients: dict[str, np.ndarray] = {}
        self.weights: dict[str, np.ndarray] = {}
        self._handles: list = []
        self._before: dict[str, np.ndarray] = {}
        self._epoch = 0
        self._layer_stats: dict[str, dict] = {}

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        if batch != 0:
            return
        model = self.trainer.model
        self._layer_stats, self.activations = {}, {}
        for name, module in model.named_modules():
            if name and not list(module.children()):
                self._handles.append(module.register_forward_hook(self._hook(name or type(module).__name__)))
        self._before = {n: p.numpy().copy() for n, p in model.named_parameters()}

    def _hook(self, name: str):
        def record(module, args, out) -> None:
            data = getattr(out, "data", None)
            if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
                return
            stats = {"type": type(module).__name__, "act_mean": float(data.mean()), "act_std": float(data.std())}
            kind = type(module).__name__
            if kind == "ReLU" and data.ndim >= 2:
                stats["dead_fraction"] = float(np.all(data.reshape(len(data), -1) == 0, axis=0).mean())
            elif kind in ("Tanh", "Sigmoid"):
                edge = np.abs(data) > 0.99 if kind == "Tanh" else (data < 0.01) | (data > 0.99)
                stats["saturated_fraction"] = float(edge.mean())
            self._layer_stats[name] = stats
            self.activations[name] = data.copy()

        return record

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if batch != 0:
            return
        for h in self._handles:
            h.remove()
        self._handles = []
        params = {}
        for name, p in self.trainer.model.named_parameters():
            old = self._before.get(name)
            entry = {"weight_norm": float(np.linalg.norm(p.numpy()))}
            if p.grad is not None:
                entry["grad_norm"] = float(np.linalg.norm(p.grad.numpy()))
                self.gradients[name] = p.grad.numpy().copy()
            if old is not None:
                entry["update_ratio"] = float(np.linalg.norm(p.numpy() - old) / (np.linalg.norm(old) + 1e-12))
            params[name] = entry
            self.weights[name] = p.numpy().copy()
        self.records.append({"epoch": self._epoch + 1, "layers": self._layer_stats, "params": params})

    def on_train_end(self, logs=None) -> None:
        self.warnings = self.diagnose()

    def state_dict(self) -> dict:
        """Every record and the last histograms' arrays, so a resumed run reports the same diagnostics."""
        return {"epoch": self._epoch, "records": self.records, "activations": self.activations,
                "gradients": self.gradients, "weights": self.weights}

    def load_state_dict(self, state: dict) -> None:
        self._epoch, self.records = int(state.get("epoch", 0)), list(state.get("records", []))
        self.activations = dict(state.get("activations", {}))
        self.gradients = dict(state.get("gradients", {}))
        self.weights = dict(state.get("weights", {}))

    def diagnose(self) -> list[str]:
        """Plain-language warnings from the records and the loss curves (rules in :mod:`neurona.train.diagnosis`);
        the structured findings are kept in ``findings``."""
        from neurona.train.diagnosis import diagnose

        history = getattr(getattr(self, "trainer", None), "history", None)
        curves = history.history if history is not None else {}
        self.findings = diagnose(self.records, curves, self.dead_threshold, self.saturation_threshold)
        return [f.message for f in self.findings]
