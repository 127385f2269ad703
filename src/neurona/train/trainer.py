"""``Trainer``: the Keras-style training loop — ``fit``, ``evaluate``, ``predict`` — on neurona models.

One epoch is the loop every course teaches, written out plainly in :meth:`Trainer._train_epoch`:
forward, loss, ``zero_grad``, ``backward``, ``step``. Everything else (progress, early stopping,
checkpoints, logging) is a callback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from neurona._malloc import tune_malloc
from neurona.errors import ConfigError, DivergenceError, ShapeError, fmt_shape
from neurona.tensor import Tensor, no_grad
from neurona.train.callbacks.base import Callback, CallbackList
from neurona.train.callbacks.progress import ProgressBar
from neurona.train.callbacks.terminate_on_nan import NAN_ADVICE
from neurona.train.history import History
from neurona.train.metrics import check_metric_names, compute_metrics, probabilities

_CLASSIFICATION_LOSSES = {"CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "cross_entropy",
                          "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"}
_BINARY_LOSSES = {"BCELoss", "BCEWithLogitsLoss", "binary_cross_entropy", "binary_cross_entropy_with_logits"}


def _loss_name(loss: Any) -> str:
    return getattr(loss, "__name__", type(loss).__name__)


class Trainer:
    """Train and evaluate a model.

    Parameters
    ----------
    model : Module
    loss : a loss Module (``nn.CrossEntropyLoss()``) or function (``F.mse_loss``)
    optimizer : an ``optim`` optimiser over ``model.parameters()``
    metrics : names from ``accuracy precision recall f1 roc_auc log_loss`` (classification) or
        ``mse rmse mae r2`` (regression); None picks ``("accuracy",)`` or ``("rmse", "r2")`` by task.
    task : 'classification' or 'regression'; inferred from the loss when None.

    Examples
    --------
    >>> trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3))
    >>> history = trainer.fit((X_train, y_train), val_split=0.2, epochs=20, batch_size=32)
    >>> trainer.evaluate((X_test, y_test))
    {'loss': 0.08, 'accuracy': 0.97}
    """

    def __init__(self, model: Any, loss: Any, optimizer: Any, metrics: Any = None, device: Any = None,
                 task: str | None = None) -> None:
        if device not in (None, "cpu"):
            raise ConfigError(f"device: only 'cpu' is supported by the NumPy engine, got {device!r}")
        self.model, self.loss_fn, self.optimizer = model, loss, optimizer
        name = _loss_name(loss)
        self.task = task or ("classification" if name in _CLASSIFICATION_LOSSES else "regression")
        if self.task not in ("classification", "regression"):
            raise ConfigError(f"task must be 'classification' or 'regression', got {self.task!r}")
        self.binary_targets = name in _BINARY_LOSSES
        if metrics is None:
            metrics = ("accuracy",) if self.task == "classification" else ("rmse", "r2")
        self.metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
        check_metric_names(self.metrics, self.task)
        self.history = History()
        self.stop_training = False
        self.epochs = 0
        self.steps_per_epoch = 0
        self.running_loss = math.nan
        self.console = Console()
        self.train_loader: Any = None
        self._callbacks: CallbackList | None = None
        self._nan_reported = False
        tune_malloc()  # keep freed activation memory between steps (opt-in for the process: neurona._malloc)
        self.stop_on_nan, self.divergence, self._epoch_finite = False, None, True
        self._checkpoint: tuple[Path, int] | None = None
        self._pending_saves: list[Path] = []
        self._unsaved: tuple[Path, bytes] | None = None
        self.distributed: Any = None  # under mpirun: the data-parallel link (neurona.distributed.training)

    # ---- data -------------------------------------------------------------------------------
    def _as_dataset(self, data: Any, what: str):
        from neurona.data import Dataset, TensorDataset, validate_xy

        if isinstance(data, Dataset):
            return data
        if isinstance(data, tuple | list) and len(data) == 2:
            X, y = (d.numpy() if isinstance(d, Tensor) else np.asarray(d) for d in data)
            validate_xy(X, y, task=None if self.binary_targets else self.task)
            if self.task == "classification" and not self.binary_targets:
                y = y.astype(np.int64)
            return TensorDataset(X.astype(np.float32) if X.dtype.kind == "f" else X, y)
        raise TypeError(f"{what} must be a DataLoader, a Dataset or an (X, y) pair, got {type(data).__name__}")

    def _as_loader(self, data: Any, batch_size: int, shuffle: bool, what: str, seed: int | None = None):
        from neurona.data import DataLoader

        if isinstance(data, DataLoader):
            return data
        return DataLoader(self._as_dataset(data, what), batch_size=batch_size, shuffle=shuffle, seed=seed)

    def _split_validation(self, train: Any, val_split: float, seed: int):
        from sklearn.model_selection import train_test_split

        from neurona.data import Subset

        if not 0.0 < val_split < 1.0:
            raise ConfigError(f"val_split must be in (0, 1), got {val_split}")
        dataset = self._as_dataset(train, "train")
        indices = np.arange(len(dataset))
        stratify = None
        if self.task == "classification":
            labels = np.asarray([int(np.asarray(dataset[i][1]).reshape(-1)[0]) for i in indices])
            counts = np.bincount(labels)
            stratify = labels if counts[counts > 0].min() >= 2 else None
        train_idx, val_idx = train_test_split(indices, test_size=val_split, shuffle=True, stratify=stratify,
                                              random_state=seed)
        return Subset(dataset, np.sort(train_idx)), Subset(dataset, np.sort(val_idx))

    def _target(self, y: Tensor, out: Tensor) -> Tensor:
        """Targets shaped the way the loss expects: (N,) labels become (N, 1) for one-output models."""
        if y.ndim == out.ndim - 1 and out.ndim >= 2 and out.shape[-1] == 1 and (
            self.task == "regression" or self.binary_targets
        ):
            y = y.reshape(*y.shape, 1)
        if (self.binary_targets or self.task == "regression") and y.data.dtype != out.data.dtype:
            y = y.astype(out.dtype)
        return y

    def _compute_loss(self, out: Tensor, y: Tensor) -> Tensor:
        return self.loss_fn(out, self._target(y, out))

    def _check_first_batch(self, loader: Any) -> None:
        """Fail before training, with a message about the data, when it cannot fit the model."""
        x, _ = next(iter(loader))
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                out = self.model(x)
        except ShapeError as e:
            raise ShapeError(f"the training data (batches of shape {fmt_shape(x.shape)}) do not fit the model: {e}") from None
        finally:
            self.model.train(was_training)
        if self.task == "classification" and not self.binary_targets:
            n_classes = out.shape[1] if out.ndim >= 2 else 1
            labels = self._all_labels(loader)
            if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
                bad = labels[(labels < 0) | (labels >= n_classes)][0]
                raise ValueError(
                    f"label {int(bad)} is out of range: the model has {n_classes} outputs, so class labels must be "
                    f"in [0, {n_classes - 1}]. Check the labels, or give the last layer more outputs."
                )

    @staticmethod
    def _all_labels(loader: Any) -> np.ndarray:
        dataset = loader.dataset
        tensors = getattr(dataset, "tensors", None)
        if tensors is not None:
            return np.asarray(tensors[-1].data if isinstance(tensors[-1], Tensor) else tensors[-1])
        return np.asarray([np.asarray(dataset[i][1].data if isinstance(dataset[i][1], Tensor) else dataset[i][1])
                           for i in range(len(dataset))])

    # ---- training -----------------------------------------------------------------------------
    def fit(self, train: Any, val: Any = None, epochs: int = 1, batch_size: int = 32,
            callbacks: list[Callback] | None = None, verbose: int = 1, val_split: float | None = None,
            shuffle: bool = True, seed: int | None = None, resume_from: str | Path | None = None,
            checkpoint: str | Path | None = None, checkpoint_every: int = 1, stop_on_nan: bool = False) -> History:
        """Train for ``epochs`` epochs; returns the :class:`History` (also kept as ``self.history``).

        ``train``/``val``: DataLoader, Dataset or (X, y). ``val_split`` holds out a shuffled, stratified
        fraction of ``train`` instead. ``checkpoint`` is a file that receives, atomically, a resumable
        checkpoint every ``checkpoint_every`` epochs (and the last finished epoch on Ctrl-C).
        ``resume_from`` continues a run from such a file (or a ModelCheckpoint file): with the same seed
        and callbacks it ends bit-identical to a run that was never interrupted. ``stop_on_nan`` raises
        :class:`~neurona.errors.DivergenceError` at the first non-finite loss, naming the epoch, the
        batch and the op that produced it; checkpoints never hold a non-finite epoch.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
            raise ConfigError(f"epochs must be an integer >= 1, got {epochs!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int) or checkpoint_every < 0:
            raise ConfigError(f"checkpoint_every must be an integer >= 0 (0: never), got {checkpoint_every!r}")
        if val_split is not None:
            if val is not None:
                raise ConfigError("give either val or val_split, not both")
            train, val = self._split_validation(train, val_split, seed or 0)
        from neurona.distributed.training import attach

        self.distributed = attach(self)  # None unless launched by mpirun with several ranks
        if self.distributed is not None:
            self.train_loader = self.distributed.loader(train, batch_size, shuffle, seed)
            verbose = verbose if self.distributed.is_writer else 0
        else:
            self.train_loader = self._as_loader(train, batch_size, shuffle, "train", seed)
        val_loader = None if val is None else self._as_loader(val, max(batch_size, 256), False, "val")
        self._check_first_batch(self.train_loader)
        self.epochs, self.steps_per_epoch = epochs, len(self.train_loader)
        self.stop_on_nan, self.divergence = stop_on_nan, None
        callbacks = list(callbacks or [])
        if verbose:
            callbacks.append(ProgressBar(verbose, self.console))
        self._callbacks = CallbackList(callbacks, self)
        self._checkpoint = (Path(checkpoint), checkpoint_every) if checkpoint is not None and checkpoint_every else None
        self._pending_saves, self._unsaved = [], None
        self.stop_training = False
        start_epoch = 0
        if resume_from is not None:
            from neurona.train.checkpointing import restore

            start_epoch = self.distributed.restore(resume_from) if self.distributed else restore(self, resume_from)
        self._callbacks.on_train_begin()
        try:
            for epoch in range(start_epoch, epochs):
                if self.stop_training:
                    break
                self._callbacks.on_epoch_begin(epoch, {})
                self._epoch_finite = True
                logs = self._train_epoch(epoch)
                if val_loader is not None:
                    logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
                logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
                self.history.append(epoch + 1, logs)
                self._callbacks.on_epoch_end(epoch, logs)
                self._end_of_epoch(epoch, last=epoch == epochs - 1)
        except BaseException:
            self._write_unsaved()
            raise
        self._callbacks.on_train_end({"epochs_run": len(self.history)})
        return self.history

    def request_checkpoint(self, path: str | Path) -> None:
        """Ask for a checkpoint of this epoch at ``path``; it is taken once every callback's
        ``on_epoch_end`` has run, so it holds one consistent state (ModelCheckpoint uses this)."""
        self._pending_saves.append(Path(path))

    def _end_of_epoch(self, epoch: int, last: bool) -> None:
        """Write the checkpoints this epoch asked for, from one snapshot taken after all hooks."""
        from neurona.io.atomic import atomic_write_bytes
        from neurona.train.checkpointing import snapshot

        requests, self._pending_saves = self._pending_saves, []
        if self.distributed is not None and not self.distributed.is_writer:  # only rank 0 writes
            return
        if not self._epoch_finite:  # keep the last finite checkpoint
            return
        if self._checkpoint is None and not requests:
            return
        blob = snapshot(self, epoch + 1)
        for path in requests:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, blob)
        if self._checkpoint is not None:
            path, every = self._checkpoint
            self._unsaved = (path, blob)
            if (epoch + 1) % every == 0 or last or self.stop_training:
                self._write_unsaved()

    def _write_unsaved(self) -> None:
        """Write the snapshot of the last finished epoch if it is not on disk yet (Ctrl-C, a failure)."""
        if getattr(self, "_unsaved", None) is None:
            return
        if getattr(self, "distributed", None) is not None and not self.distributed.is_writer:
            return
        from neurona.io.atomic import atomic_write_bytes

        path, blob = self._unsaved
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, blob)
        self._unsaved = None  # only once written: a Ctrl-C during the write tries again

    def _train_epoch(self, epoch: int = 0) -> dict[str, float]:
        self.model.train()
        total, count = 0.0, 0
        outputs, targets = [], []
        model = self.model
        if self.distributed is not None:  # this rank's share of the epoch; gradients averaged over ranks
            self.distributed.begin_epoch(epoch)
            model = self.distributed.ddp.train()
        for batch, (x, y) in enumerate(self.train_loader):
            self._callbacks.on_train_batch_begin(batch, {})
            out = model(x)
            loss = self._compute_loss(out, y)
            value = loss.item()
            if not math.isfinite(value):
                self._epoch_finite = False
                self._report_nan(x, y, epoch, batch, value)  # before the step: the weights that failed
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total, count = total + value * len(x), count + len(x)
            self.running_loss = total / count
            if self.metrics:
                outputs.append(out.data)
                targets.append(y.data)
            self._callbacks.on_train_batch_end(batch, {"loss": value})
            if self.stop_training:
                break
        if self.distributed is not None:  # loss and metrics over every rank's samples
            total, count, outputs, targets = self.distributed.reduce_epoch(total, count, outputs, targets)
        logs = {"loss": total / max(count, 1)}
        if self.metrics and outputs and math.isfinite(logs["loss"]):
            logs.update(compute_metrics(self.metrics, np.concatenate(targets), np.concatenate(outputs), self.task))
        return logs

    def _report_nan(self, x: Tensor, y: Tensor, epoch: int, batch: int, value: float) -> None:
        """Find the op and layer that first produced a non-finite value, and explain it once."""
        if self._nan_reported and not self.stop_on_nan:
            return
        self._nan_reported = True
        from neurona.autograd import find_anomaly

        where = find_anomaly(lambda: self._compute_loss(self.model(x), y), self.model)
        self.divergence = f"the loss became {value} at epoch {epoch + 1}, batch {batch + 1}. {where}"
        if self.stop_on_nan:
            raise DivergenceError(f"training diverged: {self.divergence} {NAN_ADVICE}")
        self.log(f"[bold red]The loss became non-finite.[/] {where} {NAN_ADVICE}")

    # ---- evaluation ---------------------------------------------------------------------------
    def _collect(self, data: Any, batch_size: int, with_loss: bool = True) -> tuple[np.ndarray, np.ndarray, float]:
        """Model outputs, targets and mean loss over ``data``, in eval mode without building a graph."""
        if isinstance(data, np.ndarray | Tensor):  # bare inputs, for predict()
            X = data.numpy() if isinstance(data, Tensor) else data
            data, with_loss = (X, np.zeros(len(X), dtype=np.float32 if self.task == "regression" else np.int64)), False
        loader = self._as_loader(data, batch_size, False, "data")
        was_training = self.model.training
        self.model.eval()
        outputs, targets, total, count = [], [], 0.0, 0
        try:
            with no_grad():
                for x, y in loader:
                    out = self.model(x)
                    if with_loss:
                        total += self._compute_loss(out, y).item() * len(x)
                    count += len(x)
                    outputs.append(out.data)
                    targets.append(y.data)
        finally:
            self.model.train(was_training)
        return np.concatenate(outputs), np.concatenate(targets), total / max(count, 1)

    def evaluate(self, data: Any, batch_size: int = 256) -> dict[str, float]:
        """Loss and metrics on ``data`` (eval mode, no graph)."""
        outputs, targets, loss = self._collect(data, batch_size)
        result = {"loss": loss}
        if math.isfinite(loss):
            result.update(compute_metrics(self.metrics, targets, outputs, self.task))
        return result

    def predict(self, data: Any, batch_size: int = 256) -> np.ndarray:
        """Raw model outputs (logits for classification) for X (array or Tensor), a Dataset or a DataLoader."""
        return self._collect(data, batch_size, with_loss=False)[0]

    def predict_proba(self, data: Any, batch_size: int = 256) -> np.ndarray:
        """Class probabilities (softmax of the logits; sigmoid for one-output binary models)."""
        if self.task != "classification":
            raise ConfigError("predict_proba needs a classification model")
        return probabilities(self.predict(data, batch_size))

    def predict_classes(self, data: Any, batch_size: int = 256) -> np.ndarray:
        return self.predict_proba(data, batch_size).argmax(axis=1)

    # ---- checkpoints ----------------------------------------------------------------------------
    def save_checkpoint(self, path: str | Path, epoch: int) -> None:
        """Write a resumable checkpoint of the state after ``epoch`` (0-based) to ``path``, now."""
        from neurona.io.atomic import atomic_write_bytes
        from neurona.train.checkpointing import snapshot

        if self.distributed is not None and not self.distributed.is_writer:
            return
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, snapshot(self, epoch + 1))

    def log(self, message: str) -> None:
        self.console.print(message)
