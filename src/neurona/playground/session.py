"""One user's playground: data, network, optimiser and training state, driven by the server's messages.

A session trains with neurona's engine exactly as a lab script would (forward, loss, ``backward``,
``optimizer.step()``), in slices of a few milliseconds so that one server can serve many pages.
Nothing here knows about HTTP or websockets: the server turns messages into method calls and the
returned dictionaries into JSON frames, and the tests drive sessions directly too.
"""

from __future__ import annotations

import csv
import io
import math
import time

import numpy as np

import neurona as nr
from neurona import optim
from neurona.datasets.playground import derive_features, playground
from neurona.errors import ConfigError
from neurona.playground import network
from neurona.playground.protocol import MAX_POINTS, Settings

HISTORY_POINTS = 400  # the loss chart keeps at most this many points (older ones thinned out)


class Session:
    """The state behind one page. ``settings`` is the validated state of the controls."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.uploaded: np.ndarray | None = None  # (n, 3) rows x1, x2, label once the user uploads data
        self.playing = False
        self.alerts_sent: set[str] = set()
        self.rebuild_data()

    # ---- building ------------------------------------------------------------------------------
    @property
    def task(self) -> str:
        return self.settings.problem

    @property
    def n_classes(self) -> int:
        if self.task == "regression":
            return 0
        if self.settings.dataset == "upload" and self.uploaded is not None:
            return max(int(self.uploaded[:, 2].max()) + 1, 2)
        return self.settings.n_classes()

    def rebuild_data(self) -> None:
        """Generate (or take the uploaded) points, split them by ``ratio``, then build a fresh network."""
        s = self.settings
        if s.dataset == "upload":
            if self.uploaded is None:
                raise ConfigError("dataset 'upload': upload a CSV of points first")
            rows = self.uploaded
        else:
            bundle = playground(s.dataset, n=s.n_points, noise=s.noise, seed=s.seed, k_arms=s.classes,
                                k=s.classes, fn=s.curve)
            rows = np.column_stack([bundle.X, bundle.y.astype(np.float64)])
        n_train = min(max(round(len(rows) * s.ratio / 100), 1), len(rows) - 1)
        self.points_train, self.points_test = rows[:n_train], rows[n_train:]
        label_type = np.float32 if self.task == "regression" or self.n_classes == 2 else np.int64
        self.X_train = derive_features(self.points_train[:, :2], s.features)
        self.X_test = derive_features(self.points_test[:, :2], s.features)
        self.y_train = self.points_train[:, 2].astype(label_type)
        self.y_test = self.points_test[:, 2].astype(label_type)
        self.reset()

    def reset(self) -> None:
        """New weights from the seed, epoch 0, empty history (the data stays)."""
        s = self.settings
        nr.manual_seed(s.seed)
        n_out = 1 if self.task == "regression" or self.n_classes == 2 else self.n_classes
        self.model = network.PlaygroundNet(s, len(s.features), n_out)
        self.optimizer = self._make_optimizer()
        self.rng = np.random.default_rng(s.seed)
        self.epoch, self.steps, self._pos = 0, 0, 0
        self._order = self.rng.permutation(len(self.X_train))
        self._norm_sum, self._norm_count = np.zeros(len(s.hidden) + 1), 0
        self.history: list[list[float]] = []  # [epoch, train loss, test loss]
        self.grad_history: list[list[float]] = []  # [epoch, ||dL/dW|| per layer...]
        self._record_every, self.diverged = 1, False
        self.alerts_sent = set()
        self.train_loss, self.test_loss = self.losses()
        self._record()

    def _make_optimizer(self) -> optim.Optimizer:
        s, params = self.settings, list(self.model.parameters())
        if s.optimizer == "sgd":
            return optim.SGD(params, lr=s.learning_rate)
        if s.optimizer in ("momentum", "nesterov"):
            return optim.SGD(params, lr=s.learning_rate, momentum=0.9, nesterov=s.optimizer == "nesterov")
        if s.optimizer == "rmsprop":
            return optim.RMSprop(params, lr=s.learning_rate)
        return optim.Adam(params, lr=s.learning_rate)

    def configure(self, settings: Settings) -> bool:
        """Apply new settings. Learning rate, regularisation, batch size and the view options change
        live (as in the playground); anything else rebuilds. Returns True when data or network changed."""
        old, self.settings = self.settings, settings
        live = {"learning_rate", "regularization", "reg_rate", "batch_size", "discretize", "show_test",
                "schedule_epochs"}
        changed = {k for k in Settings.model_fields if getattr(old, k) != getattr(settings, k)}
        if settings.dataset == "upload" and self.uploaded is None:
            self.settings = old
            raise ConfigError("settings.dataset: 'upload' needs a CSV of points: use the upload button first")
        if settings.batchnorm and settings.batch_size < 2:
            self.settings = old
            raise ConfigError("settings.batch_size: batch normalisation needs batches of at least 2 points")
        if changed - live:
            self.rebuild_data()
            return True
        self._set_lr()
        return False

    # ---- training ------------------------------------------------------------------------------
    def _set_lr(self) -> None:
        """The learning rate of this epoch: the base rate times the schedule's factor."""
        s, e, horizon = self.settings, self.epoch, self.settings.schedule_epochs
        factor = {"none": 1.0, "step": 0.5 ** (e // horizon), "exponential": 0.5 ** (e / horizon),
                  "cosine": 0.5 * (1 + math.cos(math.pi * min(e, horizon) / horizon))}[s.schedule]
        for group in self.optimizer.param_groups:
            group["lr"] = s.learning_rate * factor

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def train_step(self) -> None:
        """One mini-batch: forward, loss, backward, regularisation gradient, optimiser step."""
        s = self.settings
        if self._pos >= len(self._order):
            self._end_epoch()
        batch = self._order[self._pos:self._pos + s.batch_size]
        self._pos += s.batch_size
        if s.batchnorm and len(batch) < 2:  # a one-point batch has no variance to normalise by
            return
        out = self.model(nr.tensor(self.X_train[batch]))  # the model is in train mode between views
        loss = network.loss_of(out, nr.tensor(self.y_train[batch]), self.task, self.n_classes)
        self.optimizer.zero_grad()
        loss.backward()
        if s.regularization != "none" and s.reg_rate > 0:
            for linear in self.model.all_linears():  # the penalty's gradient: rate * w (L2) or rate * sign(w) (L1)
                w = linear.weight.data
                linear.weight.grad.data += s.reg_rate * (w if s.regularization == "l2" else np.sign(w))
        self._norm_sum += network.gradient_norms(self.model)
        self._norm_count += 1
        self.optimizer.step()
        self.steps += 1
        if self._pos >= len(self._order):
            self._end_epoch()

    def _end_epoch(self) -> None:
        self.epoch += 1
        self._pos = 0
        self._order = self.rng.permutation(len(self.X_train))
        self.train_loss, self.test_loss = self.losses()
        if not (math.isfinite(self.train_loss) and math.isfinite(self.test_loss)):
            self.diverged, self.playing = True, False
        self._record()
        self._set_lr()

    def train(self, epochs: int | None = None, budget_s: float | None = None, max_steps: int | None = None) -> None:
        """Train whole ``epochs``, or mini-batches for about ``budget_s`` seconds and at most ``max_steps``."""
        if self.diverged or max_steps == 0:
            return
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned about
            self._train(epochs, budget_s, max_steps)

    def _train(self, epochs: int | None, budget_s: float | None, max_steps: int | None) -> None:
        if epochs is not None:
            target = self.epoch + epochs
            while self.epoch < target and not self.diverged:
                self.train_step()
            return
        deadline, last = time.perf_counter() + (budget_s or 0.0), self.steps + (max_steps or 2**62)
        while not self.diverged:
            self.train_step()
            if time.perf_counter() >= deadline or self.steps >= last:
                break

    def losses(self) -> tuple[float, float]:
        """Train and test loss of the whole sets (evaluation mode: no dropout, running batch-norm stats)."""
        self.model.eval()
        with nr.no_grad(), np.errstate(over="ignore", invalid="ignore"):
            result = []
            for X, y in ((self.X_train, self.y_train), (self.X_test, self.y_test)):
                out = self.model(nr.tensor(X))
                result.append(float(network.loss_of(out, nr.tensor(y), self.task, self.n_classes).item()))
        self.model.train()
        return result[0], result[1]

    def _record(self) -> None:
        """Append to the loss and gradient-norm histories, thinning both to at most HISTORY_POINTS."""
        norms = (self._norm_sum / self._norm_count).tolist() if self._norm_count else [0.0] * len(self._norm_sum)
        self._norm_sum[:], self._norm_count = 0.0, 0
        if self.epoch % self._record_every:
            return
        self.history.append([self.epoch, self.train_loss, self.test_loss])
        self.grad_history.append([self.epoch, *norms])
        if len(self.history) > HISTORY_POINTS:
            self.history, self.grad_history = self.history[::2], self.grad_history[::2]
            self._record_every *= 2

    # ---- editing -------------------------------------------------------------------------------
    def set_weight(self, layer: int, to: int, from_: int | None, value: float) -> None:
        """Set one weight (``from_`` the source neuron) or one bias (``from_=None``) by hand."""
        linears = self.model.all_linears()
        if layer >= len(linears):
            raise ConfigError(f"set_weight.layer: the network has layers 0..{len(linears) - 1}, got {layer}")
        w = linears[layer].weight
        if to >= w.shape[0] or (from_ is not None and from_ >= w.shape[1]):
            raise ConfigError(f"set_weight: layer {layer} has weights of shape {tuple(w.shape)} (to, from), "
                              f"got to={to}, from={from_}")
        if from_ is None:
            linears[layer].bias.data[to] = value
        else:
            w.data[to, from_] = value

    def upload(self, text: str, task: str) -> None:
        """Use the user's points: CSV rows ``x1,x2,label`` (a header line is allowed), validated, scaled
        into the [-6, 6] square (one scale for both axes, so shapes keep their proportions)."""
        lines = [row for row in csv.reader(io.StringIO(text)) if row and any(c.strip() for c in row)]
        if lines and not _is_number(lines[0][0]):
            lines = lines[1:]
        if not 2 <= len(lines) <= MAX_POINTS:
            raise ConfigError(f"upload: expected 2..{MAX_POINTS} rows of x1,x2,label, got {len(lines)}")
        bad = next((i for i, row in enumerate(lines) if len(row) != 3), None)
        if bad is not None:
            raise ConfigError(f"upload: row {bad + 1} has {len(lines[bad])} columns; expected 3: x1,x2,label")
        try:
            rows = np.array([[float(c) for c in row] for row in lines], dtype=np.float64)
        except ValueError as e:
            raise ConfigError(f"upload: every cell must be a number ({e})") from None
        if not np.isfinite(rows).all() or np.abs(rows).max() > 1e9:
            raise ConfigError("upload: values must be finite numbers below 1e9 in size")
        if task == "classification":
            labels = rows[:, 2]
            if (labels != np.round(labels)).any():
                raise ConfigError("upload: class labels (third column) must be integers")
            classes = np.unique(labels)
            if not 2 <= len(classes) <= 6:
                raise ConfigError(f"upload: expected 2..6 classes in the third column, got {len(classes)}")
            rows[:, 2] = np.searchsorted(classes, labels)
        centre = (rows[:, :2].max(axis=0) + rows[:, :2].min(axis=0)) / 2
        half = max(float(np.abs(rows[:, :2] - centre).max()), 1e-12)
        rows[:, :2] = (rows[:, :2] - centre) / half * 5.5
        self.uploaded = np.random.default_rng(self.settings.seed).permutation(rows)
        self.settings = self.settings.model_copy(update={"dataset": "upload", "problem": task})
        self.rebuild_data()

    # ---- views ---------------------------------------------------------------------------------
    def points(self) -> dict:
        """Train and test points as [x1, x2, label] rows, for drawing."""
        return {"train": np.round(self.points_train, 4).tolist(), "test": np.round(self.points_test, 4).tolist()}

    def weights(self) -> dict:
        linears = self.model.all_linears()
        return {"weights": [np.round(lin.weight.numpy(), 5).tolist() for lin in linears],
                "biases": [np.round(lin.bias.numpy(), 5).tolist() for lin in linears]}

    def state(self) -> dict:
        """Everything the page draws after training: a ``state`` frame."""
        return {"type": "state", "epoch": self.epoch, "steps": self.steps, "lr": self.lr,
                "train_loss": _finite(self.train_loss), "test_loss": _finite(self.test_loss),
                "playing": self.playing, "history": [[e, _finite(a), _finite(b)] for e, a, b in self.history],
                "grad_norms": self.grad_history, **self.weights(),
                "maps": network.heat_maps(self.model, self.settings, self.task, self.n_classes),
                "alerts": self.alerts()}

    def describe(self) -> dict:
        """The ``settings`` frame: normalised settings, points, input feature maps, classes."""
        return {"type": "settings", "settings": self.settings.model_dump(), "points": self.points(),
                "inputs": network.input_maps(), "n_classes": self.n_classes, "task": self.task}

    def backprop(self, index: int, apply: bool) -> dict:
        if index >= len(self.X_train):
            raise ConfigError(f"backprop.index: there are {len(self.X_train)} training points, got {index}")
        view = network.backprop_view(self.model, self.X_train[index], self.y_train[index:index + 1], self.task,
                                     self.n_classes)
        if apply:
            self.optimizer.step()
            self.steps += 1
        return {"type": "backprop", "index": index, "point": self.points_train[index].tolist(), **view}

    def alerts(self) -> list[dict]:
        """Plain-language warnings about the network as it is now, each tied to where it happens."""
        from neurona.playground.diagnostics import diagnose

        return diagnose(self)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _finite(value: float) -> float | None:
    """JSON has no NaN or infinity: those become null (the page shows them as 'NaN')."""
    return float(value) if math.isfinite(value) else None
