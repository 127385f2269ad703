"""One trial = one ordinary neurona run in ``runs/<study>/trial-NNN/``, judged on validation data only.

A trial never sees the test split: it is dropped right after the data are loaded, so a trial's
``metrics.json`` has train and validation numbers only. With ``tune.cv: k`` the trial is a k-fold
cross-validation over the training and validation rows instead (the test rows stay out the same way).
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

import neurona as nr
from neurona.config import RunConfig, dump_config
from neurona.errors import ConfigError
from neurona.runs import RunFolder
from neurona.tune.config import TuneConfig
from neurona.tune.space import suggest


class TrialFolder(RunFolder):
    """A run folder at an exact path (``trial-007``), with a quiet console and a ``pruned`` status."""

    def __init__(self, path: str | Path) -> None:  # RunFolder's own picks a timestamped name
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        super().__init__(path.parent, path.name, Console(record=True, file=io.StringIO(), width=120), path=path,
                         info={"resume_command": None})  # a trial is retried by the study, not resumed by hand

    def __exit__(self, kind: type | None, error: BaseException | None, tb: Any) -> None:
        import optuna

        if kind is not None and issubclass(kind, optuna.TrialPruned):
            self.status("pruned", reason=str(error))
            self.save_log()
            return
        super().__exit__(kind, error, tb)


def _without_test(split: Any) -> Any:
    """The same split with an empty test part: trials must not look at it."""
    split.X_test, split.y_test = split.X_test[:0], split.y_test[:0]
    return split


def _trainer(config: RunConfig, model: Any, task: str, console: Any) -> tuple[Any, Any]:
    from neurona.experiment import build_loss, build_optimizer
    from neurona.train import Trainer

    optimizer = build_optimizer(config, model.parameters())
    trainer = Trainer(model, build_loss(config), optimizer, metrics=config.metrics, task=task)
    trainer.console = console
    return trainer, optimizer


def _callbacks(config: RunConfig, optimizer: Any, n_train: int, with_val: bool) -> tuple[list, Any]:
    from neurona.experiment import build_schedule
    from neurona.train import EarlyStopping

    callbacks = []
    steps = max(-(-n_train // config.training.batch_size), 1)
    schedule = build_schedule(config, optimizer, steps)
    if schedule is not None:
        callbacks.append(schedule)
    early = None
    if config.training.early_stopping is not None and with_val:
        es = config.training.early_stopping
        early = EarlyStopping(es.monitor, min_delta=es.min_delta, patience=es.patience)
        callbacks.append(early)
    return callbacks, early


def _check_metric(metric: str, trainer: Any) -> None:
    allowed = ["val_loss", *(f"val_{m}" for m in trainer.metrics)]
    if metric not in allowed:
        raise ConfigError(f"tune.metric: {metric!r} is not logged by this run; choose one of {', '.join(allowed)} "
                          "(add the metric to the config's metrics: list)")


def run_trial(trial: Any, tc: TuneConfig, study_dir: Path, claimed: Any = None) -> float:
    """The objective of ``neurona tune``: sample, train one run (or k folds), return the validation metric."""
    params = suggest(trial, tc.search)
    config = tc.config_for(params)
    folder = TrialFolder(Path(study_dir) / f"trial-{trial.number:03d}")
    trial.set_user_attr("run_dir", str(folder.path.resolve()))
    trial.set_user_attr("epochs_budget", config.training.epochs * (tc.tune.cv or 1))
    if claimed is not None:
        claimed(trial)
    started = time.perf_counter()
    try:
        with folder:
            folder.write_text("config.yaml", dump_config(config))
            if tc.tune.cv:
                return _cross_validate(trial, tc, config, folder)
            return _holdout(trial, tc, config, folder)
    finally:
        trial.set_user_attr("trial_seconds", round(time.perf_counter() - started, 4))


def _holdout(trial: Any, tc: TuneConfig, config: RunConfig, folder: TrialFolder) -> float:
    from neurona.experiment import prepare
    from neurona.generative.kinds import generative_kind
    from neurona.io import save
    from neurona.report.run_report import write_run_report
    from neurona.train import Diagnostics

    if generative_kind(config) is not None:  # an autoencoder or a VAE (GANs are refused by the tune config)
        return _holdout_reconstruction(trial, tc, config, folder)
    bundle, split, model = prepare(config)
    split = _without_test(split)
    if len(split.X_val) == 0:
        raise ConfigError("data.val: tuning needs a validation split (val > 0), or set tune.cv: k")
    trainer, optimizer = _trainer(config, model, bundle.task, folder.console)
    _check_metric(tc.tune.metric, trainer)
    callbacks, early = _callbacks(config, optimizer, len(split.X_train), True)
    diagnostics = Diagnostics()
    history, best_epoch = _fit_trial(trial, tc, config, folder, trainer, split.train, split.val,
                                     [diagnostics, *callbacks], early)
    metrics = {"train": trainer.evaluate(split.train), "val": trainer.evaluate(split.val),
               "epochs_run": len(history), "best_epoch": best_epoch}
    folder.write_json("metrics.json", metrics)
    save(model, folder.file("model.safetensors"), optimizer=optimizer,
         extra={"config": config.model_dump(mode="json"), "metrics": metrics})
    write_run_report(folder, config, bundle, split, model, trainer, history, metrics, diagnostics)
    return _completed(tc, folder, metrics)


def _fit_trial(trial: Any, tc: TuneConfig, config: RunConfig, folder: TrialFolder, trainer: Any, train: Any,
               val: Any, callbacks: list, early: Any) -> tuple[Any, int]:
    """Train one holdout trial, reporting to Optuna for pruning; (history, best epoch). The history and the
    timings are kept even when the trial is pruned or fails."""
    from neurona.train import OptunaPruning

    fit_started = time.perf_counter()
    try:
        history = trainer.fit(train, val=val, epochs=config.training.epochs, batch_size=config.training.batch_size,
                              callbacks=[*callbacks, OptunaPruning(trial, tc.tune.metric)], verbose=0,
                              seed=config.seed)
    finally:
        trial.set_user_attr("train_seconds", round(time.perf_counter() - fit_started, 4))
        trial.set_user_attr("epochs_run", len(trainer.history))
        folder.write_text("history.csv", trainer.history.to_csv())
    best_epoch = early.best_epoch + 1 if early is not None and early.best_epoch >= 0 else len(history)
    trial.set_user_attr("best_epoch", best_epoch)
    return history, best_epoch


def _completed(tc: TuneConfig, folder: TrialFolder, metrics: dict) -> float:
    """Mark the trial folder completed and return the value Optuna minimises or maximises."""
    value = float(metrics["val"][tc.tune.metric.removeprefix("val_")])
    folder.status("completed", metrics={"train": metrics["train"], "val": metrics["val"]}, value=value)
    return value


def _holdout_reconstruction(trial: Any, tc: TuneConfig, config: RunConfig, folder: TrialFolder) -> float:
    """One trial of an autoencoder or VAE: trained to reconstruct its inputs, judged on the validation
    split's reconstruction loss (or another logged ``val_`` metric), with its generative report."""
    from neurona.data import TensorDataset
    from neurona.generative.prepare import prepare_generative
    from neurona.generative.run import _trainer as generative_trainer
    from neurona.generative.run import reconstruction_metrics
    from neurona.io import save
    from neurona.report.generative_report import write_generative_report

    p = prepare_generative(config)
    split = _without_test(p.split)
    if len(split.X_val) == 0:
        raise ConfigError("data.val: tuning needs a validation split (val > 0)")
    trainer = generative_trainer(config, p)
    trainer.console = folder.console
    _check_metric(tc.tune.metric, trainer)
    callbacks, early = _callbacks(config, trainer.optimizer, len(split.X_train), True)
    history, best_epoch = _fit_trial(trial, tc, config, folder, trainer, TensorDataset(split.X_train, split.X_train),
                                     TensorDataset(split.X_val, split.X_val), callbacks, early)
    metrics = {"train": reconstruction_metrics(trainer, split.X_train), "val": reconstruction_metrics(trainer, split.X_val),
               "epochs_run": len(history), "best_epoch": best_epoch}
    folder.write_json("metrics.json", metrics)
    save(p.model, folder.file("model.safetensors"), extra={"config": config.model_dump(mode="json"), "metrics": metrics,
                                                          "kind": p.kind})
    write_generative_report(folder, config, p, history, metrics, trainer)
    return _completed(tc, folder, metrics)


def _cross_validate(trial: Any, tc: TuneConfig, config: RunConfig, folder: TrialFolder) -> float:
    """k folds over train + validation; the running mean is reported after each fold, so pruning can stop
    a hopeless configuration after its first folds."""
    import optuna

    from neurona.data import fit_scaler, kfold
    from neurona.datasets.base import Split
    from neurona.experiment import build_model, load_split, n_outputs_for

    whole = config.model_copy(deep=True)
    whole.data.val, whole.data.scale = 0.0, "none"
    bundle, rest = load_split(whole)
    X, y = rest.X_train, rest.y_train
    scores, epochs_run, best_epochs = [], 0, []
    for fold, (train_idx, val_idx) in enumerate(kfold(len(X), y, k=tc.tune.cv, seed=config.seed)):
        scaler = fit_scaler(X[train_idx].reshape(len(train_idx), -1), config.data.scale) \
            if config.data.scale != "none" else None

        def scaled(rows: np.ndarray, scaler: Any = scaler) -> np.ndarray:
            if scaler is None:
                return X[rows]
            return scaler.transform(X[rows].reshape(len(rows), -1)).reshape(X[rows].shape).astype(np.float32)

        split = Split(scaled(train_idx), y[train_idx], scaled(val_idx), y[val_idx], X[:0], y[:0], scaler, bundle.task)
        nr.manual_seed(config.seed)
        model = build_model(config, tuple(X.shape[1:]), n_outputs_for(config, bundle))
        trainer, optimizer = _trainer(config, model, bundle.task, folder.console)
        _check_metric(tc.tune.metric, trainer)
        callbacks, early = _callbacks(config, optimizer, len(train_idx), True)
        history = trainer.fit(split.train, val=split.val, epochs=config.training.epochs,
                              batch_size=config.training.batch_size, callbacks=callbacks, verbose=0, seed=config.seed)
        folder.write_text(f"history-fold{fold + 1}.csv", history.to_csv())
        epochs_run += len(history)
        best_epochs.append(early.best_epoch + 1 if early is not None and early.best_epoch >= 0 else len(history))
        scores.append(float(trainer.evaluate(split.val)[tc.tune.metric.removeprefix("val_")]))
        trial.set_user_attr("epochs_run", epochs_run)
        trial.report(float(np.mean(scores)), fold)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after fold {fold + 1} of {tc.tune.cv}: mean {tc.tune.metric} = "
                                     f"{np.mean(scores):.5g}")
    best_epoch = round(float(np.mean(best_epochs)))
    trial.set_user_attr("best_epoch", best_epoch)
    value = float(np.mean(scores))
    folder.write_json("metrics.json", {"folds": scores, "mean": value, "std": float(np.std(scores)),
                                       "epochs_run": epochs_run, "best_epoch": best_epoch})
    folder.status("completed", value=value, folds=scores)
    return value
