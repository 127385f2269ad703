"""What ``neurona train`` does for an autoencoder, a VAE or a GAN, and ``neurona evaluate`` after it.

The run folder is like any other run's (config.yaml, status.json with a heartbeat, history.csv,
metrics.json, model.safetensors, a resumable checkpoint.safetensors every epoch, report.html), so
``neurona runs``, ``neurona compare`` and ``neurona train --resume`` treat it as one. Autoencoders and
VAEs train with the :class:`~neurona.train.Trainer` on ``(x, x)`` pairs; GANs with
:class:`~neurona.generative.gan_loop.GANLoop`.
"""

from __future__ import annotations

import inspect
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from neurona.config import GANConfig, RunConfig, dump_config
from neurona.errors import ConfigError, DivergenceError
from neurona.generative.prepare import Prepared, prepare_generative
from neurona.tensor import Tensor, no_grad

COVERAGE_SAMPLES = 2000


def _trainer(config: RunConfig, p: Prepared) -> Any:
    """The Trainer of an autoencoder (the config's loss) or a VAE (the negative ELBO)."""
    from neurona.experiment import build_loss, build_optimizer
    from neurona.generative.vae_trainer import VAETrainer
    from neurona.train import Trainer

    optimizer = build_optimizer(config, p.model.parameters())
    if p.kind == "vae":
        options = config.loss.options
        return VAETrainer(p.model, optimizer, beta=options.get("beta", 1.0),
                          reconstruction="bce" if p.model.likelihood == "bernoulli" else "mse")
    return Trainer(p.model, build_loss(config), optimizer, metrics=(), task="regression")


def _gan_loop(config: RunConfig, p: Prepared, epochs: int) -> Any:
    from neurona.generative.gan_loop import GANLoop

    g = config.gan or GANConfig()
    betas = tuple(config.optimizer.betas) if config.optimizer.betas is not None else (0.5, 0.999)
    return GANLoop(p.model, p.split.X_train, epochs, batch_size=config.training.batch_size, lr=config.optimizer.lr,
                   betas=betas, label_smoothing=g.label_smoothing, d_steps=g.d_steps, seed=config.seed,
                   sample_every=g.sample_every, n_samples=g.n_samples)


def _parts(split: Any) -> list[tuple[str, np.ndarray]]:
    return [(name, getattr(split, f"X_{name}")) for name in ("train", "val", "test") if len(getattr(split, f"X_{name}"))]


def reconstruction_metrics(trainer: Any, X: np.ndarray) -> dict[str, float]:
    """The loss on ``X`` and the mean squared reconstruction error per value (``mse``)."""
    from neurona.data import TensorDataset

    result = trainer.evaluate(TensorDataset(X, X))
    if "mse" not in result:
        result["mse"] = float(((trainer.predict(X) - X) ** 2).mean())
    return result


def ring_options(config: RunConfig) -> dict[str, Any] | None:
    """k, radius and sigma of a ring_of_gaussians run whose data were not rescaled (None otherwise)."""
    from neurona.datasets import ring_of_gaussians

    if config.data.dataset != "ring_of_gaussians" or config.data.scale != "none":
        return None
    defaults = {k: v.default for k, v in inspect.signature(ring_of_gaussians).parameters.items()}
    merged = {**defaults, **config.data.options}
    return {k: merged[k] for k in ("k", "radius", "sigma")}


def gan_metrics(gan: Any, X: np.ndarray, seed: int) -> dict[str, float]:
    """D(x) on real data and D(G(z)) on as many fakes, both networks in eval mode."""
    rng = np.random.default_rng(seed)
    gan.eval()
    try:
        with no_grad():
            fake = gan.generator(gan.noise(len(X), rng))
            real_logits, fake_logits = gan.discriminator(Tensor(X)).data, gan.discriminator(fake).data
    finally:
        gan.train()

    def mean_sigmoid(z: np.ndarray) -> float:
        return float((1.0 / (1.0 + np.exp(-z.astype(np.float64)))).mean())

    return {"d_real": mean_sigmoid(real_logits), "d_fake": mean_sigmoid(fake_logits)}


def coverage(config: RunConfig, gan: Any) -> dict[str, Any] | None:
    """mode_coverage of 2,000 samples (seeded) for a ring_of_gaussians run, else None."""
    from neurona.train.gan import mode_coverage

    ring = ring_options(config)
    if ring is None:
        return None
    samples = gan.sample(COVERAGE_SAMPLES, np.random.default_rng(config.seed)).numpy()
    return {**mode_coverage(samples, **ring), "samples": COVERAGE_SAMPLES}


def _fit_reconstruction(config: RunConfig, p: Prepared, trainer: Any, folder: Any, epochs: int, verbose: int,
                        resume: bool) -> tuple[Any, dict]:
    from neurona.data import TensorDataset
    from neurona.experiment import _Heartbeat, build_schedule, check_monitors
    from neurona.train import EarlyStopping

    split, batch_size = p.split, config.training.batch_size
    has_val = len(split.X_val) > 0
    check_monitors(config, ("recon", "kl") if p.kind == "vae" else (), has_val)
    callbacks, monitor, stopper = [], ("val_loss" if has_val else "loss"), None
    steps = max(-(-len(split.X_train) // batch_size), 1)
    schedule = build_schedule(config, trainer.optimizer, steps)
    if schedule is not None:
        callbacks.append(schedule)
    if config.training.early_stopping is not None and has_val:
        es = config.training.early_stopping
        stopper = EarlyStopping(es.monitor, min_delta=es.min_delta, patience=es.patience)
        callbacks.append(stopper)
        monitor = es.monitor
    callbacks.append(_Heartbeat(folder, monitor, epochs))
    if config.report.tensorboard:
        from neurona.train.callbacks.tensorboard import TensorBoard

        callbacks.append(TensorBoard(folder.file("tensorboard"), batch_loss=config.report.tensorboard_batch_loss))
    trainer.console = folder.console
    checkpoint = folder.file("checkpoint.safetensors")
    every = config.training.checkpoint_every if config.training.checkpoint else 0
    resume_from = checkpoint if resume and checkpoint.is_file() else None
    history = trainer.fit(TensorDataset(split.X_train, split.X_train),
                          val=TensorDataset(split.X_val, split.X_val) if has_val else None, epochs=epochs,
                          batch_size=batch_size, callbacks=callbacks, verbose=verbose, seed=config.seed,
                          checkpoint=checkpoint if every else None, checkpoint_every=every, resume_from=resume_from,
                          stop_on_nan=True)
    metrics: dict[str, Any] = {name: reconstruction_metrics(trainer, X) for name, X in _parts(split)}
    metrics["epochs_run"] = len(history)
    metrics["weights_from_epoch"] = (stopper.restored_epoch if stopper is not None and stopper.restored_epoch
                                     else len(history))
    return history, metrics


def _fit_gan(config: RunConfig, p: Prepared, loop: Any, folder: Any, epochs: int, verbose: int,
             resume: bool) -> tuple[Any, dict]:
    checkpoint = folder.file("checkpoint.safetensors")
    every = config.training.checkpoint_every if config.training.checkpoint else 0
    if resume and checkpoint.is_file():
        loop.restore(checkpoint)
    board = None
    if config.report.tensorboard:  # per-epoch d_loss, g_loss, d_real, d_fake (no per-batch loss for a GAN)
        from neurona.train.callbacks.tensorboard import TensorBoard

        board = TensorBoard(folder.file("tensorboard"))
    try:
        _gan_epochs(loop, folder, epochs, every, checkpoint, board, verbose)
    finally:
        if board is not None:
            board.close()
    history = loop.history
    metrics: dict[str, Any] = {"final": {k: history[k][-1] for k in ("d_loss", "g_loss", "d_real", "d_fake")}}
    metrics.update({name: gan_metrics(p.model, X, config.seed) for name, X in _parts(p.split)})
    covered = coverage(config, p.model)
    if covered is not None:
        metrics["mode_coverage"] = covered
    metrics["epochs_run"] = len(history)
    return history, metrics


def _gan_epochs(loop: Any, folder: Any, epochs: int, every: int, checkpoint: Path, board: Any, verbose: int) -> None:
    from neurona.io.atomic import atomic_write_bytes

    last = time.time()
    while loop.epochs_done < epochs:
        logs = loop.run_epoch()
        epoch = loop.epochs_done
        if board is not None:
            board.on_epoch_end(epoch - 1, logs)
        if not all(math.isfinite(v) for k, v in logs.items() if k != "g_loss" or loop.d_steps == 1):
            raise DivergenceError(f"training diverged: a loss became non-finite in epoch {epoch} ({logs}); try a "
                                  "lower optimizer.lr")
        if every and (epoch % every == 0 or epoch == epochs):
            atomic_write_bytes(checkpoint, loop.checkpoint())
        now = time.time()
        folder.status("running", epochs_done=epoch, epochs_total=epochs, epoch_s=round(now - last, 3))
        last = now
        if verbose:
            folder.console.print(f"epoch {epoch}/{epochs}  d_loss {logs['d_loss']:.4f}  g_loss {logs['g_loss']:.4f}  "
                                 f"D(x) {logs['d_real']:.3f}  D(G(z)) {logs['d_fake']:.3f}", highlight=False)


def run_generative(config: RunConfig, out: str | Path = "runs", quick: bool = False, verbose: int = 1,
                   console: Any = None, resume: str | Path | None = None) -> Path:
    """Train an autoencoder, VAE or GAN config into a new run folder (or continue ``resume``); its path.

    Everything is checked and built before the folder exists; the report is written last.
    """
    from neurona.io import save
    from neurona.report.generative_report import write_generative_report
    from neurona.runs import RunFolder

    p = prepare_generative(config, quick)
    epochs = min(config.training.epochs, 3) if quick else config.training.epochs
    engine = _gan_loop(config, p, epochs) if p.kind == "gan" else _trainer(config, p)
    if resume is not None:
        folder = RunFolder.reopen(resume, console, info={"quick": quick, "kind": p.kind})
    else:
        folder = RunFolder(out, config.name, console, info={"quick": quick, "epochs_total": epochs, "kind": p.kind},
                           files={"config.yaml": dump_config(config)})
    with folder:
        folder.console.print(f"[bold]neurona train[/] {config.name}: {config.model.name} ({p.kind}) on "
                             f"{p.bundle.name}, {len(p.split.X_train)}/{len(p.split.X_val)}/{len(p.split.X_test)} "
                             f"train/val/test, {p.model.num_parameters():,} parameters")
        if resume is not None:
            done = "from its last checkpoint" if folder.file("checkpoint.safetensors").is_file() else "from the start"
            folder.console.print(f"Resuming {folder.path} {done}")
        fit = _fit_gan if p.kind == "gan" else _fit_reconstruction
        history, metrics = fit(config, p, engine, folder, epochs, verbose, resume is not None)
        folder.write_text("history.csv", history.to_csv())
        folder.write_json("metrics.json", metrics)
        save(p.model, folder.file("model.safetensors"),
             extra={"config": config.model_dump(mode="json"), "metrics": metrics, "kind": p.kind})
        write_generative_report(folder, config, p, history, metrics, engine)
        folder.status("completed", epochs_done=len(history),
                      metrics={k: v for k, v in metrics.items() if isinstance(v, dict) and k != "mode_coverage"})
        print_metrics(folder.console, metrics)
        folder.console.print(f"[green]Run complete:[/] {folder.path} (report: {folder.file('report.html')})",
                             soft_wrap=True, highlight=False)
    return folder.path


def print_metrics(console: Any, metrics: dict) -> None:
    from rich.table import Table

    parts = [k for k in ("final", "train", "val", "test") if isinstance(metrics.get(k), dict)]
    names = list(dict.fromkeys(n for part in parts for n in metrics[part]))
    table = Table(title=f"Final metrics ({metrics['epochs_run']} epochs)")
    table.add_column("metric")
    for part in parts:
        table.add_column(part, justify="right")
    for name in names:
        table.add_row(name, *(f"{metrics[p][name]:.4f}" if name in metrics[p] else "" for p in parts))
    console.print(table)
    if "mode_coverage" in metrics:
        c = metrics["mode_coverage"]
        console.print(f"Mode coverage: {c['modes_covered']} of {len(c['per_mode_fraction'])} modes covered, "
                      f"{c['high_quality_fraction']:.1%} of {c['samples']} samples near a mode", highlight=False)


# ---- reopening a run ------------------------------------------------------------------------------
def open_generative(config: RunConfig, run_dir: Path) -> tuple[Prepared, Any]:
    """(prepared data and model with the trained weights, its trainer or None for a GAN) of a finished run."""
    from neurona.io import load

    p = prepare_generative(config)
    load(run_dir / "model.safetensors", model=p.model)
    return p, (None if p.kind == "gan" else _trainer(config, p))


def evaluate_generative(config: RunConfig, run_dir: Path, split_name: str) -> dict[str, float]:
    """``neurona evaluate`` of a generative run: the loss and reconstruction MSE (autoencoder, VAE: also the
    ELBO's terms), or for a GAN the discriminator's mean probability on the split's real data (d_real) and
    on as many generated samples (d_fake), plus mode coverage on the ring of Gaussians."""
    p, trainer = open_generative(config, run_dir)
    X = getattr(p.split, f"X_{split_name}")
    if not len(X):
        raise ConfigError(f"--split {split_name}: this run has no {split_name} data")
    if trainer is not None:
        return reconstruction_metrics(trainer, X)
    result: dict[str, float] = dict(gan_metrics(p.model, X, config.seed))
    covered = coverage(config, p.model)
    if covered is not None:
        result["modes_covered"] = covered["modes_covered"]
        result["high_quality_fraction"] = covered["high_quality_fraction"]
    return result
