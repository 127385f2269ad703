"""Shared studies on a real PostgreSQL server (a throwaway cluster made with initdb, on a free port of
127.0.0.1) and on the embedded SQLite file: workers on several machines share a study, and a worker killed
with SIGKILL mid-trial has its trial failed by the heartbeat and retried by the others."""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

optuna = pytest.importorskip("optuna")

SRC = str(Path(__file__).resolve().parents[1] / "src")
TRIAL = {"name": "shared", "seed": 0, "data": {"dataset": "iris", "val": 0.25, "test": 0.2},
         "model": {"name": "mlp", "hidden": [8]}, "loss": "cross_entropy", "optimizer": {"name": "adam", "lr": 0.01},
         "training": {"epochs": 3, "batch_size": 16}, "report": {"figures": []},
         "search": {"optimizer.lr": {"loguniform": [1.0e-4, 1.0e-1]}, "model.hidden": {"choice": [[8], [16]]}},
         "tune": {"sampler": "tpe", "pruner": "none", "metric": "val_accuracy"}}
SLOW_TRIAL = {**TRIAL, "data": {"dataset": "digits", "val": 0.2, "test": 0.2}, "model": {"name": "mlp", "hidden": [64]},
              "training": {"epochs": 12, "batch_size": 16}}


def _postgres_bin(name):
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _create_database(port, name):
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="neurona", dbname="postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL cluster of its own in a temporary folder; initdb and postgres refuse to run as root, so as
    root they run as the `postgres` system user (or `nobody`) who owns that folder."""
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql as root)")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="neurona-pg-"))
    if os.geteuid() == 0:
        import pwd

        for user in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(user)
                break
            except KeyError:
                entry = None
        if entry is None or shutil.which("runuser") is None:
            pytest.skip("running as root without a 'postgres' or 'nobody' user (and runuser) to start PostgreSQL")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        as_user = ["runuser", "-u", entry.pw_name, "--"]
    data, port = folder / "data", _free_port()
    subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "neurona", "--no-sync"], check=True,
                   capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "start"],
                   check=True, capture_output=True)
    try:
        _create_database(port, "studies")
        yield f"postgresql://neurona@127.0.0.1:{port}/studies"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _worker(config, study_dir, url, invocation, target, seed):
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    Path(study_dir).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "neurona.tune.worker", str(config), "--study-dir", str(study_dir),
                             "--storage", url, "--study", "shared", "--invocation", invocation, "--target", str(target),
                             "--seed", str(seed), "--heartbeat", "1", "--grace", "3"], env=env)


def _study(url, config_data, tmp_path):
    from neurona.tune.storage import make_storage

    config = tmp_path / "tune.yaml"
    config.write_text(yaml.safe_dump(config_data))
    storage = make_storage(url, 1, 3)
    optuna.create_study(study_name="shared", storage=storage, direction="maximize")
    return config, storage


def test_two_machines_share_a_postgresql_study(postgres_url, tmp_path):
    url = postgres_url
    config, storage = _study(url, TRIAL, tmp_path)
    workers = [_worker(config, tmp_path / f"machine{i}", url, f"machine{i}", 10, 100 * i) for i in (1, 2)]
    assert [w.wait(timeout=300) for w in workers] == [0, 0]
    trials = optuna.load_study(study_name="shared", storage=storage).trials
    assert len(trials) == 20 and sorted(t.number for t in trials) == list(range(20))  # none lost, none twice
    assert all(t.state.name == "COMPLETE" for t in trials)
    assert sorted(t.user_attrs["invocation"] for t in trials) == ["machine1"] * 10 + ["machine2"] * 10
    assert len({json.dumps(t.params, sort_keys=True) for t in trials}) == 20


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_a_killed_worker_s_trial_is_failed_by_heartbeat_and_retried(backend, request, tmp_path):
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'study.db'}"
    if backend == "postgresql":  # a fresh database per test
        base, port = url.rsplit("/", 1)[0], int(url.rsplit(":", 1)[1].split("/")[0])
        _create_database(port, "killed")
        url = base + "/killed"
    config, storage = _study(url, SLOW_TRIAL, tmp_path)
    study_dir = tmp_path / "study"
    victim = _worker(config, study_dir, url, "both", 3, 0)
    deadline = time.time() + 120
    victim_trial = None
    while victim_trial is None and time.time() < deadline:
        running = [t for t in optuna.load_study(study_name="shared", storage=storage).trials
                   if t.state.name == "RUNNING" and t.user_attrs.get("worker_pid") == victim.pid]
        victim_trial = running[0] if running else None
        if victim_trial is None:
            time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)  # at once: its trial lasts seconds, so it dies mid-trial
    assert victim_trial is not None, "the first worker never started a trial"
    survivor = _worker(config, study_dir, url, "both", 3, 1)
    victim.wait()
    assert survivor.wait(timeout=300) == 0

    trials = optuna.load_study(study_name="shared", storage=storage).trials
    states = {t.number: t.state.name for t in trials}
    assert states[victim_trial.number] == "FAIL"
    assert sum(s == "COMPLETE" for s in states.values()) == 3  # the requested number, despite the kill
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == victim_trial.number]
    assert len(retries) == 1 and retries[0].state.name == "COMPLETE" and retries[0].params == victim_trial.params
    same = [t for t in trials if t.params == victim_trial.params and t.state.name == "COMPLETE"]
    assert len(same) == 1  # retried once, never run twice to completion
    status = json.loads((study_dir / f"trial-{victim_trial.number:03d}" / "status.json").read_text())
    assert status["status"] == "failed" and "heartbeats" in status["error"]


def test_a_worker_whose_trials_fail_before_they_are_tagged_gives_up(tmp_path, monkeypatch):
    """A trial that fails before its claim callback carries no invocation tag; the worker still counts it and
    stops with an error naming the trial folders instead of starting trials forever."""
    from neurona.tune import objective
    from neurona.tune.config import validate_tune_config
    from neurona.tune.worker import MAX_RETRY_SLACK, run_worker

    def broken(trial, tc, study_dir, claimed):
        raise OSError("the trial folder cannot be made")

    monkeypatch.setattr(objective, "run_trial", broken)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    config, storage = _study(url, TRIAL, tmp_path)
    with pytest.raises(RuntimeError, match="trials of this run failed"):
        run_worker(validate_tune_config(TRIAL), tmp_path, url, "shared", "alone", 2, 0)
    trials = optuna.load_study(study_name="shared", storage=storage).trials
    assert len(trials) == 2 + 2 * MAX_RETRY_SLACK + 1 and all(t.state.name == "FAIL" for t in trials)
