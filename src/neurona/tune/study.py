"""``neurona tune``: create or continue a study, run its workers, then the proper protocol and the report.

After the search, the best configuration is retrained once on train + validation (for the number of
epochs its trial needed) and evaluated exactly once on the test split; ``best.yaml`` is that configuration
as an ordinary config that ``neurona train`` accepts, and ``report.html`` tells the whole story.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.live import Live
from rich.table import Table

from neurona.config import dump_config, validate_config
from neurona.errors import ConfigError
from neurona.io.atomic import atomic_write_bytes
from neurona.tune.config import TuneConfig
from neurona.tune.space import decode
from neurona.tune.storage import GRACE_S, HEARTBEAT_S, default_url, make_storage


@dataclass
class TuneResult:
    """What a ``neurona tune`` run leaves: the study folder, the best trial, the test metrics, the files."""

    study_dir: Path
    study_name: str
    storage: str
    best_value: float | None
    best_params: dict[str, Any]
    test_metrics: dict[str, float] | None
    report: Path | None
    best_config: Path | None
    final_run: Path | None
    counts: dict[str, int] = field(default_factory=dict)
    search_seconds: float = 0.0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def trials_table(study: Any, last: int = 15) -> Table:
    """The rich table of the latest trials: number, state, value, epochs, parameters."""
    trials = study.get_trials(deepcopy=False)
    finished = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED", "FAIL")]
    best = None
    try:
        best = study.best_trial.number
    except ValueError:
        pass
    table = Table(title=f"study {study.study_name}: {sum(t.state.name == 'COMPLETE' for t in trials)} complete, "
                        f"{sum(t.state.name == 'PRUNED' for t in trials)} pruned, "
                        f"{sum(t.state.name == 'RUNNING' for t in trials)} running" + (f"; best #{best}" if best is not None else ""))
    names = sorted({p for t in finished for p in t.params})
    for col in ("trial", "state", "value", "epochs", *names):
        table.add_column(col, justify="right" if col not in ("state",) else "left")
    for t in finished[-last:]:
        mark = "*" if t.number == best else ""
        epochs = f"{t.user_attrs.get('epochs_run', '-')}/{t.user_attrs.get('epochs_budget', '-')}"
        table.add_row(f"{t.number}{mark}", t.state.name.lower(), _fmt(t.value) if t.value is not None else "-",
                      epochs, *(_fmt(t.params.get(n, "-")) for n in names))
    return table


def _threads_per_worker(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def tune(tc: TuneConfig, out: str | Path = "runs", study_name: str | None = None, storage: str | None = None,
         trials: int | None = None, timeout: float | None = None, workers: int = 1, console: Console | None = None,
         heartbeat_s: int | None = None, grace_s: int | None = None, live: bool = True) -> TuneResult:
    """Run (or continue) a study from a validated tuning config.

    Parameters
    ----------
    tc : TuneConfig
        From :func:`neurona.tune.load_tune_config`.
    out : path
        The study folder is ``out/<study>/``, with ``trial-NNN/`` run folders, ``study.db``, ``best.yaml``,
        ``final-<time>/`` and ``report.html``.
    study_name, storage : str, optional
        Default: the config's ``name`` and SQLite in the study folder. ``postgresql://...`` shares one study
        between machines. The same name and storage again continue the study.
    trials, timeout : optional
        Override ``tune.trials`` (finished trials this call adds) and ``tune.timeout`` (seconds).
    workers : int
        Local worker processes; the machine's cores are divided between them (BLAS threads).
    """
    import optuna

    from neurona.tune import worker  # here, not at the top: `python -m neurona.tune.worker` imports this package first

    console = console or Console()
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if trials is not None and trials < 1:
        raise ConfigError(f"--trials must be >= 1, got {trials}")
    if timeout is not None and timeout <= 0:
        raise ConfigError(f"--timeout must be > 0 seconds, got {timeout}")
    target, timeout = trials or tc.tune.trials, timeout or tc.tune.timeout
    study_name = study_name or tc.name
    study_dir = Path(out) / study_name
    study_dir.mkdir(parents=True, exist_ok=True)
    url = storage or default_url(study_dir)
    if not url.startswith(("sqlite:", "postgres", "mysql")):
        raise ConfigError(f"--storage: {url!r} is not a database URL; use postgresql://user@host:port/db "
                          "(or sqlite:///path/study.db)")
    config_path = study_dir / "tune.yaml"
    atomic_write_bytes(config_path, yaml.safe_dump(tc.to_dict(), sort_keys=False).encode())
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = make_storage(url, heartbeat_s or HEARTBEAT_S, grace_s or GRACE_S)
    direction = tc.tune.resolved_direction
    study = optuna.create_study(study_name=study_name, storage=store, direction=direction, load_if_exists=True,
                                sampler=worker.make_sampler(tc, 0), pruner=worker.make_pruner(tc))
    if study.direction.name.lower() != direction:
        raise ConfigError(f"tune.direction: study {study_name!r} already exists and was created to "
                          f"{study.direction.name.lower()}; this config asks to {direction}")
    invocation = uuid.uuid4().hex[:12]
    before = len(study.trials)
    seed = tc.tune.seed if tc.tune.seed is not None else tc.run.seed
    console.print(f"[bold]neurona tune[/] {study_name}: {target} trials, {workers} worker(s), "
                  f"{tc.tune.sampler} sampler, {tc.tune.pruner} pruner, {direction} {tc.tune.metric}; "
                  f"storage {url}" + (f" (continuing: {before} trials so far)" if before else ""))
    started = time.time()
    with Live(trials_table(study), console=console, auto_refresh=False, transient=False) as view:
        def refresh(study: Any, _trial: Any = None) -> None:
            if live:
                view.update(trials_table(study), refresh=True)

        if workers == 1:
            worker.run_worker(tc, study_dir, url, study_name, invocation, target, seed + before, timeout, heartbeat_s,
                       grace_s, on_trial=refresh)
        else:
            _run_processes(config_path, study_dir, url, study_name, invocation, target, seed + before, timeout,
                           workers, heartbeat_s, grace_s, lambda: refresh(study))
        refresh(study)
    console.print()
    elapsed = time.time() - started
    study = optuna.load_study(study_name=study_name, storage=store)
    return finish(tc, study, study_dir, url, console, invocation, elapsed)


def _run_processes(config_path: Path, study_dir: Path, url: str, study_name: str, invocation: str, target: int,
                   seed: int, timeout: float | None, workers: int, heartbeat_s: int | None, grace_s: int | None,
                   refresh: Any) -> None:
    threads = str(_threads_per_worker(workers))
    env = {**os.environ, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    procs = []
    for i in range(workers):
        cmd = [sys.executable, "-m", "neurona.tune.worker", str(config_path), "--study-dir", str(study_dir),
               "--storage", url, "--study", study_name, "--invocation", invocation, "--target", str(target),
               "--seed", str(seed + 1000 * i)]
        cmd += ["--timeout", str(timeout)] if timeout else []
        cmd += ["--heartbeat", str(heartbeat_s)] if heartbeat_s else []
        cmd += ["--grace", str(grace_s)] if grace_s else []
        procs.append(subprocess.Popen(cmd, env=env))
    try:
        while any(p.poll() is None for p in procs):
            time.sleep(0.5)
            refresh()
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        raise
    failed = [p.returncode for p in procs if p.returncode != 0]
    if failed and all(p.returncode != 0 for p in procs):
        raise RuntimeError(f"every tune worker failed (exit codes {failed}); see the trial folders in {study_dir}")


def _epochs_saved(study: Any) -> int:
    return sum(max(t.user_attrs.get("epochs_budget", 0) - t.user_attrs.get("epochs_run", 0), 0)
               for t in study.trials if t.state.name == "PRUNED")


def final_config(tc: TuneConfig, best: Any) -> tuple[dict, dict]:
    """(best config as searched, its retraining on train + validation for the epochs the trial needed)."""
    best_cfg = tc.config_for(decode(tc.search, best.params))
    searched = best_cfg.model_dump(mode="json", exclude_none=True)
    retrain = best_cfg.model_dump(mode="json", exclude_none=True)
    retrain["name"] = f"{tc.name}-final"
    retrain["data"]["val"] = 0.0
    retrain["training"]["epochs"] = int(best.user_attrs.get("best_epoch") or best_cfg.training.epochs)
    retrain["training"].pop("early_stopping", None)
    if retrain.get("schedule", {}).get("name") == "plateau":  # it watches val_loss, which no longer exists
        retrain.pop("schedule")
    return searched, retrain


def retrain_and_test(retrain: dict, study_dir: Path) -> tuple[Path, dict]:
    """Train the final model on train + validation and evaluate it once on the test split."""
    from neurona.experiment import build_loss, build_optimizer, build_schedule, prepare
    from neurona.generative.kinds import generative_kind
    from neurona.io import save
    from neurona.report.run_report import write_run_report
    from neurona.runs import RunFolder
    from neurona.train import Diagnostics, Trainer

    config = validate_config(retrain, "final config")
    if generative_kind(config) is not None:  # an autoencoder or VAE: its own run, with its generative report
        return _retrain_generative(config, study_dir)
    folder = RunFolder(study_dir, "final", Console(record=True, file=io.StringIO()))
    with folder:
        folder.write_text("config.yaml", dump_config(config))
        bundle, split, model = prepare(config)
        optimizer = build_optimizer(config, model.parameters())
        trainer = Trainer(model, build_loss(config), optimizer, metrics=config.metrics, task=bundle.task)
        steps = max(-(-len(split.X_train) // config.training.batch_size), 1)
        callbacks, diagnostics = [Diagnostics()], None
        diagnostics = callbacks[0]
        schedule = build_schedule(config, optimizer, steps)
        if schedule is not None:
            callbacks.append(schedule)
        history = trainer.fit(split.train, epochs=config.training.epochs, batch_size=config.training.batch_size,
                              callbacks=callbacks, verbose=0, seed=config.seed)
        folder.write_text("history.csv", history.to_csv())
        test = split.test  # the one and only read of the test split
        if test is None:
            raise ConfigError("data.test: the config has no test split (test: 0), so the final model cannot be tested")
        metrics = {"train": trainer.evaluate(split.train), "test": trainer.evaluate(test), "epochs_run": len(history)}
        folder.write_json("metrics.json", metrics)
        save(model, folder.file("model.safetensors"), optimizer=optimizer,
             extra={"config": config.model_dump(mode="json"), "metrics": metrics})
        write_run_report(folder, config, bundle, split, model, trainer, history, metrics, diagnostics)
        folder.status("completed", metrics={"train": metrics["train"], "test": metrics["test"]})
    return folder.path, metrics


def _retrain_generative(config: Any, study_dir: Path) -> tuple[Path, dict]:
    from neurona.generative.run import run_generative

    if config.data.test == 0:
        raise ConfigError("data.test: the config has no test split (test: 0), so the final model cannot be tested")
    final = config.model_copy(update={"name": "final"})
    path = run_generative(final, out=study_dir, verbose=0, console=Console(record=True, file=io.StringIO()))
    metrics = json.loads((path / "metrics.json").read_text())
    return path, metrics


def finish(tc: TuneConfig, study: Any, study_dir: Path, url: str, console: Console, invocation: str,
           elapsed: float) -> TuneResult:
    from neurona.tune import worker
    from neurona.tune.report import write_study_report

    states: dict[str, int] = {}
    for t in study.trials:
        states[t.state.name.lower()] = states.get(t.state.name.lower(), 0) + 1
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    if not complete:
        raise RuntimeError(f"no trial of study {study.study_name!r} completed ({states}); see the trial folders "
                           f"in {study_dir}")
    best = study.best_trial
    searched, retrain = final_config(tc, best)
    best_path = study_dir / "best.yaml"
    atomic_write_bytes(best_path, (f"# best trial #{best.number} of study {study.study_name}: {tc.tune.metric} = {best.value:.6g}\n"
                                   + yaml.safe_dump(searched, sort_keys=False)).encode())
    final_dir, test_metrics = None, None
    if tc.tune.retrain:
        console.print(f"Retraining trial #{best.number}'s configuration on train + validation "
                      f"({retrain['training']['epochs']} epochs), then one evaluation on the test split ...")
        final_dir, metrics = retrain_and_test(retrain, study_dir)
        test_metrics = metrics["test"]
    report = write_study_report(study, tc, study_dir, best_path, final_dir, test_metrics, url,
                                epochs_saved=_epochs_saved(study), elapsed=elapsed)
    console.print(f"best trial #{best.number}: {tc.tune.metric} = {best.value:.4f}  {decode(tc.search, best.params)}")
    if test_metrics:
        console.print("test (evaluated once): " + ", ".join(f"{k} {v:.4f}" for k, v in test_metrics.items()))
    console.print(f"best config: {best_path}\n[green]Study report:[/] {report}")
    ours = sum(1 for t in study.trials if t.user_attrs.get(worker.INVOCATION) == invocation)
    states["this_run"] = ours
    return TuneResult(study_dir, study.study_name, url, best.value, decode(tc.search, best.params), test_metrics,
                      report, best_path, final_dir, states, round(elapsed, 2))
