"""`neurona tune` throughput and Optuna's overhead, and the embedded storage measured both ways.

1. Trials per minute of `neurona tune` with 1 and 2 local workers on the same study (Digits MLP,
   random sampler, no pruning, so both runs train the same amount).
2. Where a trial's time goes: training (``Trainer.fit``), the rest of the trial (data, folder, checkpoint,
   report) and what is left of the wall time per trial (Optuna's sampling and storage, process start-up).
3. Optuna's own cost per trial on each storage, with an objective that does nothing but report 10
   epochs: in-memory, SQLite (what `neurona tune` uses by default) and the journal file, 1 and 2 workers.

    python benchmarks/bench_tune.py [--trials 8] [--epochs 10]
"""

from __future__ import annotations

import argparse
import copy
import io
import multiprocessing as mp
import os
import statistics
import tempfile
import time
import warnings

import optuna
from rich.console import Console

from neurona.tune import tune, validate_tune_config
from neurona.tune.storage import make_storage

CONFIG = {"name": "bench", "seed": 0, "data": {"dataset": "digits", "val": 0.2, "test": 0.2},
          "model": {"name": "mlp", "hidden": [128]}, "loss": "cross_entropy", "optimizer": {"name": "adam"},
          "training": {"epochs": 10, "batch_size": 32}, "report": {"figures": ["learning_curves"]},
          "search": {"optimizer.lr": {"loguniform": [1.0e-4, 1.0e-2]}, "model.dropout": {"uniform": [0.0, 0.4]}},
          "tune": {"sampler": "random", "pruner": "none", "metric": "val_accuracy", "retrain": False}}


def neurona_tune(trials: int, epochs: int) -> None:
    config = copy.deepcopy(CONFIG)
    config["training"]["epochs"] = epochs
    print(f"neurona tune: Digits MLP 64-128-10, {epochs} epochs per trial, {trials} trials, cpu_count={os.cpu_count()}")
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            result = tune(validate_tune_config(config), out=out, trials=trials, workers=workers,
                          console=Console(file=io.StringIO()), live=False)
            study = optuna.load_study(study_name=result.study_name, storage=result.storage)
            done = [t for t in study.trials if t.state.name == "COMPLETE"]
            train = statistics.mean(t.user_attrs["train_seconds"] for t in done)
            trial = statistics.mean(t.user_attrs["trial_seconds"] for t in done)
            wall = result.search_seconds
            rest = (wall * workers - sum(t.user_attrs["trial_seconds"] for t in done)) / len(done)
            print(f"  {workers} worker(s): {len(done)} trials in {wall:.1f} s = {60 * len(done) / wall:.1f} trials/min; "
                  f"per trial: training {train:.2f} s, whole trial {trial:.2f} s (data, checkpoint, report: "
                  f"{trial - train:.2f} s), outside the trial {rest:.2f} s per trial and worker "
                  f"(Optuna sampling + storage, worker start-up)")


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    for epoch in range(10):
        trial.report(x * x + epoch, epoch)
    return x * x


def _storage(kind: str, folder: str):
    if kind == "sqlite":
        return make_storage(f"sqlite:///{folder}/study.db")
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(f"{folder}/journal.log"))


def _worker(kind: str, folder: str, trials: int, seed: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    study = optuna.load_study(study_name="s", storage=_storage(kind, folder),
                              sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(_objective, n_trials=trials)


def storages(trials: int = 100) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    print(f"Optuna's cost per trial (TPE, 10 reports per trial, {trials} trials per worker):")
    start = time.perf_counter()
    optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0)).optimize(_objective, n_trials=trials)
    print(f"  in memory, 1 worker: {1000 * (time.perf_counter() - start) / trials:.1f} ms")
    for kind in ("sqlite", "journal"):
        for workers in (1, 2, 4):
            with tempfile.TemporaryDirectory() as folder:
                optuna.create_study(study_name="s", storage=_storage(kind, folder))
                start = time.perf_counter()
                procs = [mp.get_context("spawn").Process(target=_worker, args=(kind, folder, trials, i))
                         for i in range(workers)]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join()
                wall = time.perf_counter() - start
                study = optuna.load_study(study_name="s", storage=_storage(kind, folder))
                states = sorted({t.state.name for t in study.trials})
                print(f"  {kind:8s} {workers} worker(s): {1000 * wall * workers / (trials * workers):.1f} ms per trial "
                      f"and worker, {len(study.trials)} trials, states {states}, exit codes "
                      f"{[p.exitcode for p in procs]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    neurona_tune(args.trials, args.epochs)
    storages()
