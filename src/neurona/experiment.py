"""From a validated config to a finished run: data, model, loss, optimiser, schedule, training, report.

``run(config)`` is what ``neurona train CONFIG.yaml`` does; ``evaluate_run`` and ``predict_run`` reopen
a run folder (rebuilding the same split and scaler from the saved config and seed: nothing is pickled).
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

import numpy as np

import neurona as nr
from neurona import nn, optim
from neurona.config import RunConfig, dump_config, validate_config
from neurona.errors import ConfigError, DatasetError, ShapeError, fmt_shape
from neurona.generative.kinds import generative_kind
from neurona.train.callbacks.base import Callback, monitor_mode

LOSS_CLASSES = {
    "cross_entropy": nn.CrossEntropyLoss, "nll": nn.NLLLoss, "bce": nn.BCELoss, "bce_with_logits": nn.BCEWithLogitsLoss,
    "mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.HuberLoss, "smooth_l1": nn.SmoothL1Loss,
}
OPTIMIZER_CLASSES = {
    "sgd": optim.SGD, "adagrad": optim.Adagrad, "rmsprop": optim.RMSprop, "adadelta": optim.Adadelta,
    "adam": optim.Adam, "adamw": optim.AdamW, "nadam": optim.NAdam,
}
LAYER_CLASSES = {name.lower(): getattr(nn, name) for name in dir(nn)
                 if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.Module)
                 and not name.endswith("Loss") and name not in ("Module", "ModuleList", "ModuleDict", "Sequential")}


def _construct(cls: type, options: dict[str, Any], where: str) -> Any:
    try:
        return cls(**options)
    except TypeError as e:
        params = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "args", "kwargs")]
        raise ConfigError(f"{where}: {e}; {cls.__name__} takes {', '.join(params)}") from None
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


# ---- model -------------------------------------------------------------------------------------
def _infer(kind: str, spec: dict, shape: tuple[int, ...], n_outputs: int) -> dict:
    """Fill in sizes a layers list may leave out, from the shape flowing into the layer."""
    spec = dict(spec)
    if kind == "linear":
        spec.setdefault("in_features", shape[-1])
        if spec.get("out_features") in (None, "auto"):
            spec["out_features"] = n_outputs
    elif kind in ("conv1d", "conv2d", "convtranspose1d", "convtranspose2d"):
        spec.setdefault("in_channels", shape[1])
    elif kind in ("batchnorm1d", "batchnorm2d"):
        spec.setdefault("num_features", shape[1])
    elif kind == "layernorm":
        spec.setdefault("normalized_shape", shape[-1])
    return spec


def build_layers(layers: list[dict[str, Any]], input_shape: tuple[int, ...], n_outputs: int) -> nn.Sequential:
    """A Sequential from a ``layers:`` list, checking each layer against the shape that reaches it."""
    modules, x = [], nr.zeros(2, *input_shape)
    for i, raw in enumerate(layers):
        spec = dict(raw)
        kind = str(spec.pop("type")).lower().replace("_", "")
        if kind not in LAYER_CLASSES:
            raise ConfigError(f"model.layers[{i}].type: {raw['type']!r} is not one of {', '.join(sorted(LAYER_CLASSES))}")
        module = _construct(LAYER_CLASSES[kind], _infer(kind, spec, x.shape, n_outputs), f"model.layers[{i}]")
        try:
            with nr.no_grad():
                x = module.eval()(x)
        except ShapeError as e:
            raise ConfigError(f"model.layers[{i}] ({raw['type']}) does not fit the shape {fmt_shape(x.shape)} "
                              f"reaching it: {e}") from None
        modules.append(module.train())
    if x.ndim != 2 or x.shape[1] != n_outputs:
        raise ConfigError(f"model.layers: the network outputs shape {fmt_shape(x.shape)} per batch of 2, but the task "
                          f"needs {n_outputs} outputs per sample; end with a linear layer (out_features: auto)")
    return nn.Sequential(*modules)


def build_model(config: RunConfig, input_shape: tuple[int, ...], n_outputs: int) -> nn.Module:
    spec = config.model
    if spec.layers is not None:
        return build_layers(spec.layers, input_shape, n_outputs)
    args = spec.args
    if spec.name == "mlp":
        from neurona.models import MLP

        hidden = list(args.pop("hidden", [32]))
        widths = [int(np.prod(input_shape)), *hidden, n_outputs]
        return _construct(MLP, {"widths": widths, **args}, "model")
    from neurona.models import MODELS

    if spec.name not in MODELS:
        raise ConfigError(f"model.name: {spec.name!r} is not one of {', '.join(sorted(MODELS))}")
    cls = MODELS[spec.name]
    accepted = inspect.signature(cls.__init__).parameters
    guesses = {"num_classes": n_outputs, "in_channels": input_shape[0] if len(input_shape) > 1 else 1,
               "input_size": input_shape[-1], "input_dim": int(np.prod(input_shape)), "input_features": input_shape[-1]}
    for key, value in guesses.items():
        if key in accepted and key not in args:
            args[key] = value
    return _construct(cls, args, "model")


def build_loss(config: RunConfig) -> nn.Module:
    return _construct(LOSS_CLASSES[config.loss.name], dict(config.loss.options), "loss")


def build_optimizer(config: RunConfig, params: Any) -> optim.Optimizer:
    o = config.optimizer
    options = {"lr": o.lr, "weight_decay": o.weight_decay, **o.options}
    for key in ("momentum", "nesterov", "betas"):
        if getattr(o, key) is not None:
            options[key] = tuple(o.betas) if key == "betas" else getattr(o, key)
    return _construct(OPTIMIZER_CLASSES[o.name], {"params": params, **options}, "optimizer")


def build_schedule(config: RunConfig, optimizer: Any, steps_per_epoch: int) -> Any:
    """The schedule as a training callback (per epoch, or per batch for one-cycle)."""
    from neurona.train import LearningRateScheduler, ReduceLROnPlateau

    s, epochs = config.schedule, config.training.epochs
    if s is None:
        return None
    options = dict(s.options)
    sched = optim.lr_scheduler
    if s.name == "plateau":
        return _construct(ReduceLROnPlateau, options, "schedule")
    if s.name == "onecycle":
        options.setdefault("max_lr", config.optimizer.lr)
        options.setdefault("total_steps", epochs * steps_per_epoch)
        return LearningRateScheduler(_construct(sched.OneCycleLR, {"optimizer": optimizer, **options}, "schedule"),
                                     per_batch=True)
    defaults = {"step": (sched.StepLR, {"step_size": max(epochs // 3, 1)}),
                "multistep": (sched.MultiStepLR, {"milestones": [epochs // 2, 3 * epochs // 4]}),
                "exponential": (sched.ExponentialLR, {"gamma": 0.95}),
                "cosine": (sched.CosineAnnealingLR, {"T_max": epochs}),
                "cosine_warm_restarts": (sched.CosineAnnealingWarmRestarts, {"T_0": max(epochs // 4, 1)}),
                "linear": (sched.LinearLR, {"total_iters": epochs})}
    cls, fill = defaults[s.name]
    return LearningRateScheduler(_construct(cls, {"optimizer": optimizer, **fill, **options}, "schedule"))


# ---- data --------------------------------------------------------------------------------------
def load_split(config: RunConfig, quick: bool = False):
    """(bundle, split) exactly as the run saw them: same options, seed and fitted scaler."""
    from neurona import datasets

    options = dict(config.data.options)
    try:
        bundle = datasets.load(config.data.dataset, **options)
    except (ConfigError, TypeError) as e:
        raise ConfigError(f"data.options: {e}") from None
    except DatasetError as e:
        raise DatasetError(f"data: {e}") from None
    if quick and bundle.n_samples > 600:  # CI-sized: a stratified-enough random subset
        keep = np.random.default_rng(config.seed).permutation(bundle.n_samples)[:600]
        bundle.X, bundle.y = bundle.X[np.sort(keep)], bundle.y[np.sort(keep)]
    scale = None if config.data.scale == "none" else config.data.scale
    split = bundle.split(val=config.data.val, test=config.data.test, stratify=config.data.stratify,
                         seed=config.seed, scale=scale)
    return bundle, split


def n_outputs_for(config: RunConfig, bundle: Any) -> int:
    if bundle.task == "classification":
        return 1 if config.loss.name in ("bce", "bce_with_logits") else int(bundle.n_classes)
    return 1 if bundle.y.ndim == 1 else int(bundle.y.shape[1])


def prepare(config: RunConfig, quick: bool = False):
    """Everything a run needs, built and cross-checked before any training starts."""
    if generative_kind(config) is not None:  # autoencoders, VAEs and GANs: neurona.generative
        from neurona.generative.prepare import prepare_generative

        p = prepare_generative(config, quick)
        return p.bundle, p.split, p.model
    if config.loss.name in ("elbo", "gan"):
        raise ConfigError(f"loss: {config.loss.name!r} is the loss of a VAE or a GAN, not of model "
                          f"{config.model.name or 'layers'}; use cross_entropy or mse")
    nr.manual_seed(config.seed)
    bundle, split = load_split(config, quick)
    if config.loss.name in ("mse", "l1", "huber", "smooth_l1") and bundle.task == "classification":
        raise ConfigError(f"loss: {config.loss.name!r} is a regression loss but dataset {bundle.name!r} is a "
                          "classification task; use cross_entropy")
    if config.loss.name in ("bce", "bce_with_logits"):
        if bundle.task == "regression":
            raise ConfigError(f"loss: {config.loss.name!r} needs 0/1 labels but dataset {bundle.name!r} is a "
                              "regression task; use mse")
        if int(bundle.n_classes) > 2:
            raise ConfigError(f"loss: {config.loss.name!r} is a binary loss but dataset {bundle.name!r} has "
                              f"{int(bundle.n_classes)} classes; use cross_entropy")
    if config.loss.name in ("cross_entropy", "nll") and bundle.task == "regression":
        raise ConfigError(f"loss: {config.loss.name!r} needs class labels but dataset {bundle.name!r} is a "
                          "regression task; use mse")
    model = build_model(config, tuple(split.X_train.shape[1:]), n_outputs_for(config, bundle))
    return bundle, split, model


class _Heartbeat(Callback):
    """Refreshes status.json once an epoch's checkpoint is on disk (at the next epoch's start, and at the
    end): epochs done, the best value so far, the epoch time. So status.json never claims an epoch the
    checkpoint does not hold."""

    def __init__(self, folder: Any, monitor: str, epochs: int) -> None:
        self.folder, self.monitor, self.epochs = folder, monitor, epochs
        self.last: float | None = None

    def _beat(self) -> None:
        values = self.trainer.history.history.get(self.monitor) or []
        finite = [v for v in values if np.isfinite(v)]
        best = None
        if finite:
            value = (min if monitor_mode(self.monitor, "auto") == "min" else max)(finite)
            best = {"metric": self.monitor, "value": value, "epoch": values.index(value) + 1}
        now = time.time()
        epoch_s = None if self.last is None else round(now - self.last, 3)
        self.last = now
        self.folder.status("running", epochs_done=len(self.trainer.history), epochs_total=self.epochs, best=best,
                           **({"epoch_s": epoch_s} if epoch_s is not None else {}))

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._beat()

    def on_train_end(self, logs=None) -> None:
        self._beat()


def resume_target(run_dir: str | Path) -> tuple[Path, RunConfig, bool]:
    """(folder, config, quick) of a run that ``--resume`` may continue; ConfigError saying why not."""
    from neurona.runs import read_status
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"--resume: {run_dir} is not a folder; give a run folder such as runs/<name>-<time>")
    if not (run_dir / "config.yaml").is_file():
        raise ConfigError(f"--resume: {run_dir} is not a run folder (no config.yaml)")
    status = read_status(run_dir)
    if status["status"] == "completed":
        raise ConfigError(f"--resume: {run_dir} already completed; nothing to resume (train again for a new run)")
    if status["status"] == "running":
        raise ConfigError(f"--resume: {run_dir} is still running (pid {status.get('pid')} on "
                          f"{status.get('host')}); stop it first")
    config = validate_config(_read_yaml(run_dir / "config.yaml"), str(run_dir / "config.yaml"))
    return run_dir, config, bool(status.get("quick", False))


def _read_yaml(path: Path) -> Any:
    from neurona.config import parse_config_text, read_config_text

    return parse_config_text(read_config_text(path), str(path))


def check_monitors(config: RunConfig, metrics: tuple[str, ...], has_val: bool) -> None:
    """Fail before training when early stopping or a plateau schedule watches a quantity never logged."""
    logged = ["loss", "lr", *metrics]
    if has_val:
        logged += ["val_loss", *(f"val_{m}" for m in metrics)]
    watched = []
    if config.training.early_stopping is not None:
        watched.append(("training.early_stopping.monitor", config.training.early_stopping.monitor))
    if config.schedule is not None and config.schedule.name == "plateau":
        watched.append(("schedule.options.monitor", config.schedule.options.get("monitor", "val_loss")))
    for where, name in watched:
        if name not in logged:
            hint = " (this run has no validation split: set data.val > 0)" if name.startswith("val_") else ""
            raise ConfigError(f"{where}: {name!r} is never logged by this run; it logs {', '.join(logged)}{hint}")


def run(config: RunConfig | dict | None, out: str | Path = "runs", quick: bool = False, verbose: int = 1,
        console: Any = None, resume: str | Path | None = None) -> Path:
    """Train from a config into a new run folder (or continue the run in ``resume``); returns its path.

    Everything is built and checked before the folder is created. A resumable checkpoint is written to
    ``checkpoint.safetensors`` every ``training.checkpoint_every`` epochs; the report is written last, and
    only when everything else succeeded.
    """
    from neurona.distributed.training import active as data_parallel
    from neurona.io import save
    from neurona.runs import RunFolder
    from neurona.train import Diagnostics, EarlyStopping, Trainer

    world = _world() if data_parallel() else None  # under mpirun: (rank, world size)
    if resume is not None and world is not None and world[0] != 0:  # the run folder lives on rank 0's host
        shared = _shared_resume(None)
        run_dir, config, quick = Path(shared["path"]), validate_config(shared["config"]), shared["quick"]
    elif resume is not None:
        run_dir, config, quick = resume_target(resume)
        if world is not None:
            _shared_resume({"path": str(run_dir), "config": config.model_dump(mode="json"), "quick": quick})
    else:
        config = validate_config(config) if isinstance(config, dict) else config
    if generative_kind(config) is not None:  # autoencoders, VAEs and GANs have their own loop and report
        if world is not None:
            raise ConfigError(f"model.name: {config.model.name!r} trains in one process; data-parallel training "
                              "(mpirun) covers supervised models only")
        from neurona.generative.run import run_generative

        return run_generative(config, out, quick, verbose, console, resume=run_dir if resume is not None else None)
    bundle, split, model = prepare(config, quick)
    loss = build_loss(config)
    optimizer = build_optimizer(config, model.parameters())
    try:
        trainer = Trainer(model, loss, optimizer, metrics=config.metrics, task=bundle.task)
    except ValueError as e:
        raise ConfigError(f"metrics: {e}") from None
    epochs = min(config.training.epochs, 3) if quick else config.training.epochs
    batch_size = config.training.batch_size
    n_train = len(split.X_train) if world is None else -(-len(split.X_train) // world[1])  # this rank's share
    steps = max(n_train // batch_size + (n_train % batch_size > 0), 1)
    schedule = build_schedule(config, optimizer, steps)
    check_monitors(config, trainer.metrics, split.val is not None)
    parallel = {} if world is None else {"world_size": world[1], "global_batch_size": world[1] * batch_size}
    if world is not None and world[0] != 0:  # only rank 0 writes the run
        from neurona.distributed import broadcast_json
        from neurona.distributed.training import QuietFolder

        folder = QuietFolder(Path(broadcast_json(None)))
    elif resume is not None:
        folder = RunFolder.reopen(run_dir, console, info={"quick": quick, **parallel})
    else:
        folder = RunFolder(out, config.name, console, info={"quick": quick, "epochs_total": epochs, **parallel},
                           files={"config.yaml": dump_config(config)})
    if world is not None and world[0] == 0:
        from neurona.distributed import broadcast_json

        broadcast_json(str(folder.path))
    with folder:
        trainer.console = folder.console
        callbacks, diagnostics = [], Diagnostics()
        callbacks.append(diagnostics)
        if schedule is not None:
            callbacks.append(schedule)
        monitor, stopper = ("val_loss" if split.val is not None else "loss"), None
        if config.training.early_stopping is not None and split.val is not None:
            es = config.training.early_stopping
            stopper = EarlyStopping(es.monitor, min_delta=es.min_delta, patience=es.patience)
            callbacks.append(stopper)
            monitor = es.monitor
        callbacks.append(_Heartbeat(folder, monitor, epochs))
        if config.report.tensorboard and (world is None or world[0] == 0):
            from neurona.train.callbacks.tensorboard import TensorBoard

            callbacks.append(TensorBoard(folder.file("tensorboard"), batch_loss=config.report.tensorboard_batch_loss))
        checkpoint = folder.file("checkpoint.safetensors")
        every = config.training.checkpoint_every if config.training.checkpoint else 0
        resume_from = checkpoint if resume is not None and checkpoint.is_file() else None
        if world is not None:  # rank 0 has the file; it broadcasts its bytes when fit() resumes
            from neurona.distributed import broadcast_json

            resume_from = checkpoint if broadcast_json(resume_from is not None) else None
        folder.console.print(f"[bold]neurona train[/] {config.name}: {bundle.name} ({bundle.task}), "
                             f"{len(split.X_train)}/{len(split.X_val)}/{len(split.X_test)} train/val/test, "
                             f"{model.num_parameters():,} parameters")
        if world is not None:
            folder.console.print(f"Data-parallel over {world[1]} MPI ranks: batch {batch_size} per rank, "
                                 f"global batch {world[1] * batch_size}")
        if resume is not None:
            done = "from its last checkpoint" if resume_from else "from the start (it had no checkpoint yet)"
            folder.console.print(f"Resuming {folder.path} {done}")
        history = trainer.fit(split.train, val=split.val, epochs=epochs, batch_size=batch_size, callbacks=callbacks,
                              verbose=verbose, seed=config.seed, checkpoint=checkpoint if every else None,
                              checkpoint_every=every, resume_from=resume_from, stop_on_nan=True)
        if world is not None and world[0] != 0:
            return folder.path  # rank 0 evaluates and writes the run
        folder.write_text("history.csv", history.to_csv())
        metrics = {"train": trainer.evaluate(split.train)}
        if split.val is not None:
            metrics["val"] = trainer.evaluate(split.val)
        if split.test is not None:
            metrics["test"] = trainer.evaluate(split.test)
        metrics["epochs_run"] = len(history)
        # the epoch whose weights the model holds (early stopping may have restored an earlier one)
        metrics["weights_from_epoch"] = (stopper.restored_epoch if stopper is not None and stopper.restored_epoch
                                         else len(history))
        folder.write_json("metrics.json", metrics)
        save(model, folder.file("model.safetensors"), optimizer=optimizer,
             extra={"config": config.model_dump(mode="json"), "metrics": metrics})
        from neurona.report.run_report import write_run_report

        write_run_report(folder, config, bundle, split, model, trainer, history, metrics, diagnostics)
        folder.status("completed", epochs_done=len(history),
                      metrics={k: v for k, v in metrics.items() if isinstance(v, dict)})
        _print_metrics(folder.console, metrics)
        folder.console.print(f"Figures: {folder.path / 'figures'}", soft_wrap=True, highlight=False)
        folder.console.print(f"[green]Run complete:[/] {folder.path} (report: {folder.file('report.html')})",
                             soft_wrap=True, highlight=False)
    return folder.path


def _print_metrics(console: Any, metrics: dict) -> None:
    from rich.table import Table

    parts = [p for p in ("train", "val", "test") if p in metrics]
    title = f"Final metrics ({metrics['epochs_run']} epochs"
    restored = metrics.get("weights_from_epoch", metrics["epochs_run"])
    title += f"; weights of epoch {restored}, restored by early stopping)" if restored != metrics["epochs_run"] else ")"
    table = Table(title=title)
    table.add_column("metric")
    for part in parts:
        table.add_column(part, justify="right")
    for name in metrics[parts[0]]:
        table.add_row(name, *(f"{metrics[p][name]:.4f}" for p in parts))
    console.print(table)


def _world() -> tuple[int, int]:
    from neurona.distributed import rank, world_size

    return rank(), world_size()


def _shared_resume(value: dict | None) -> dict:
    """What rank 0 read from the run folder (path, config, quick), on every rank."""
    from neurona.distributed import broadcast_json

    return broadcast_json(value)


# ---- reopening a run ------------------------------------------------------------------------------
def open_run(run_dir: str | Path):
    """(config, bundle, split, model with trained weights, trainer) of a finished run folder."""
    from neurona.io import load
    from neurona.train import Trainer

    run_dir = Path(run_dir)
    if not (run_dir / "config.yaml").is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no config.yaml); runs live under runs/<name>-<time>/")
    from neurona.runs import read_status

    status = read_status(run_dir)
    if status["status"] != "completed" or not (run_dir / "model.safetensors").is_file():
        hint = f"; continue it with: neurona train --resume {run_dir}" if status["status"] in (
            "died", "interrupted", "failed") else "; train it again"
        raise ConfigError(f"{run_dir} did not complete (status: {status['status']}){hint}")
    config = validate_config(_read_yaml(run_dir / "config.yaml"), str(run_dir / "config.yaml"))
    if generative_kind(config) is not None:
        from neurona.generative.run import open_generative

        p, generative_trainer = open_generative(config, run_dir)
        return config, p.bundle, p.split, p.model, generative_trainer
    bundle, split, model = prepare(config)
    load(run_dir / "model.safetensors", model=model)
    trainer = Trainer(model, build_loss(config), build_optimizer(config, model.parameters()),
                      metrics=config.metrics, task=bundle.task)
    return config, bundle, split, model, trainer


def evaluate_run(run_dir: str | Path, split_name: str = "test") -> dict[str, float]:
    config, _, split, _, trainer = open_run(run_dir)
    if generative_kind(config) is not None:
        from neurona.generative.run import evaluate_generative

        return evaluate_generative(config, Path(run_dir), split_name)
    data = getattr(split, split_name, None)
    if data is None:
        raise ConfigError(f"--split {split_name}: this run has no {split_name} data")
    return trainer.evaluate(data)


TARGET_LABELS = {"boston": "MEDV (median home value, $1000s)",
                 "diabetes": "disease progression one year after baseline (score)"}


def predict_run(run_dir: str | Path, csv_path: str | Path, header: bool | None = None) -> tuple[np.ndarray, Any]:
    """Predictions for the rows of a CSV file (one sample per row, the dataset's features in order; a
    header line is recognised by the feature names, or forced with ``header``). Returns (predictions,
    bundle)."""
    from neurona.data.csvfile import read_feature_csv

    csv_path = Path(csv_path)
    if not csv_path.exists():
        raise FileNotFoundError(f"input file {csv_path} does not exist")
    config, bundle, split, _, trainer = open_run(run_dir)
    if generative_kind(config) is not None:
        raise ConfigError(f"predict: {run_dir} is a {config.model.name} run, which has no predictions to print; "
                          "use neurona evaluate (and its report.html)")
    expected = int(np.prod(split.X_train.shape[1:]))
    X = read_feature_csv(csv_path, expected, bundle.feature_names, header)
    if split.scaler is not None:
        X = split.scaler.transform(X)
    X = X.reshape(len(X), *split.X_train.shape[1:]).astype(np.float32)
    if bundle.task == "classification":
        return trainer.predict_proba(X), bundle
    return trainer.predict(X), bundle


def prediction_columns(bundle: Any, n_outputs: int) -> list[str]:
    """The header line of ``neurona predict``: what each printed column is."""
    if bundle.task == "classification":
        return ["class", "probability"]
    label = TARGET_LABELS.get(bundle.name, f"predicted {bundle.name} target")
    return [label] if n_outputs == 1 else [f"{label} [{i}]" for i in range(n_outputs)]
