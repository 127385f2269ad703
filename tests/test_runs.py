"""Runs that survive, on real processes: `kill -9` at seeded random moments then `--resume` ends
bit-identical to an uninterrupted run; SIGINT saves the last finished epoch and exits 130; a NaN loss
ends "diverged"; `neurona runs` reports a killed run as "died"; a full disk (tmpfs, as root) and a
read-only output folder fail loudly; concurrent creators never share a run folder."""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import yaml

from neurona.runs import list_runs, make_run_dir, read_status

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {
    "name": "survivor", "seed": 3,
    "data": {"dataset": "iris", "val": 0.2, "test": 0.2},
    "model": {"name": "mlp", "hidden": [32, 32], "dropout": 0.2},
    "loss": "cross_entropy",
    "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
    "schedule": {"name": "step", "options": {"step_size": 3, "gamma": 0.7}},
    "training": {"epochs": 14, "batch_size": 2, "early_stopping": {"patience": 30}},
}


def _neurona(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "neurona.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def _config(tmp_path, **changes):
    data = json.loads(json.dumps(CONFIG))
    data.update(changes)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _only_run(out):
    found = [p for p in out.iterdir() if p.is_dir()] if out.is_dir() else []
    return found[0] if len(found) == 1 else None


def _wait_for_epochs(out, epochs, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        run = _only_run(out)
        if run is not None and (run / "status.json").exists():
            try:
                done = json.loads((run / "status.json").read_text()).get("epochs_done") or 0
            except (json.JSONDecodeError, OSError):
                done = 0
            if done >= epochs:
                return run
        time.sleep(0.02)
    return _only_run(out)


def _fingerprint(run):
    """Everything that must match bit for bit: weights, optimiser state, history, metrics, report."""
    tensors = safetensors.numpy.load_file(run / "model.safetensors")
    report = (run / "report.html").read_text()
    report = re.sub(r"Written by neurona, [^<]*", "", report).replace(run.name, "RUN")
    return tensors, (run / "history.csv").read_text(), (run / "metrics.json").read_text(), report


def _assert_same(a, b):
    assert a[0].keys() == b[0].keys()
    for key in a[0]:
        np.testing.assert_array_equal(a[0][key], b[0][key], err_msg=key)
    assert a[1] == b[1]
    assert a[2] == b[2]
    assert a[3] == b[3]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    proc = _neurona("train", _config(tmp), "--out", tmp / "runs", "-v", "0")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return _only_run(tmp / "runs")


def test_kill_9_at_random_moments_then_resume_is_bit_identical(reference, tmp_path):
    rng = random.Random(16)
    expected = _fingerprint(reference)
    killed_mid_training = 0
    for trial in range(3):
        out = tmp_path / f"trial{trial}" / "runs"
        proc = _neurona("train", _config(tmp_path), "--out", out, "-v", "0")
        run = _wait_for_epochs(out, rng.randint(0, CONFIG["training"]["epochs"] - 2), proc)
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        run = run or _only_run(out)
        if proc.returncode != -signal.SIGKILL or run is None:
            continue  # it finished (or had not started) before the kill: nothing to resume
        killed_mid_training += 1
        assert read_status(run)["status"] == "died"
        assert not (run / "report.html").exists()
        listing = _neurona("runs", out)
        text, _ = listing.communicate(timeout=60)
        assert "died" in text and f"--resume {run}" in text.replace("\n", "")
        resumed = _neurona("train", "--resume", run, "-v", "0")
        _, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err
        assert read_status(run)["status"] == "completed"
        _assert_same(_fingerprint(run), expected)
    assert killed_mid_training >= 2


def test_sigint_checkpoints_the_last_epoch_exits_130_and_resumes(reference, tmp_path):
    out = tmp_path / "runs"
    proc = _neurona("train", _config(tmp_path), "--out", out, "-v", "0")
    run = _wait_for_epochs(out, 3, proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    status = read_status(run)
    assert status["status"] == "interrupted"
    from neurona.io import load

    assert load(run / "checkpoint.safetensors").extra["epoch"] >= 3
    resumed = _neurona("train", "--resume", run, "-v", "0")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    _assert_same(_fingerprint(run), _fingerprint(reference))
    again = _neurona("train", "--resume", run)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 2 and "already completed" in err


def test_nan_loss_ends_diverged_with_exit_1_and_keeps_a_finite_checkpoint(tmp_path):
    config = _config(tmp_path, optimizer={"name": "sgd", "lr": 1e12}, schedule=None,
                     training={"epochs": 5, "batch_size": 8})
    proc = _neurona("train", config, "--out", tmp_path / "runs", "-v", "0")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert re.search(r"diverged: the loss became (nan|inf) at epoch \d+, batch \d+", err), err
    assert "op" in err
    run = _only_run(tmp_path / "runs")
    status = read_status(run)
    assert status["status"] == "diverged" and "batch" in status["error"]
    assert not (run / "report.html").exists()
    if (run / "checkpoint.safetensors").exists():
        tensors = safetensors.numpy.load_file(run / "checkpoint.safetensors")
        assert all(np.isfinite(v).all() for k, v in tensors.items() if k.startswith("model."))


def test_runs_lists_status_epochs_best_and_died(tmp_path, reference):
    shutil.copytree(reference, tmp_path / reference.name)
    dead = tmp_path / "dead-run"
    dead.mkdir()
    (dead / "status.json").write_text(json.dumps({"status": "running", "pid": 2**22 + 7, "host": os.uname().nodename,
                                                  "heartbeat_unix": time.time(), "epochs_done": 2}))
    stale = tmp_path / "stale-run"
    stale.mkdir()
    (stale / "status.json").write_text(json.dumps({"status": "running", "pid": 1, "host": "elsewhere",
                                                   "heartbeat_unix": time.time() - 7200}))
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "status.json").write_bytes(b"\x00\xffnot json")
    rows = {r["name"]: r for r in list_runs(tmp_path)}
    assert rows[reference.name]["status"] == "completed" and rows[reference.name]["epochs"] == 14
    assert rows[reference.name]["best"]["metric"] == "val_loss"
    assert rows["dead-run"]["status"] == "died" and "gone" in rows["dead-run"]["problem"]
    assert rows["stale-run"]["status"] == "died" and "heartbeat" in rows["stale-run"]["problem"]
    assert rows["garbage"]["status"] == "unreadable" and "garbage/status.json" in rows["garbage"]["problem"]


def _create(root):
    return str(make_run_dir(root, "same", stamp="20260101-000000"))


def test_concurrent_run_folder_creation_never_collides(tmp_path):
    made = []
    threads = [threading.Thread(target=lambda: made.append(_create(tmp_path))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with ProcessPoolExecutor(4) as pool:
        made += list(pool.map(_create, [tmp_path] * 16))
    assert len(made) == len(set(made)) == 32
    assert len(list(tmp_path.iterdir())) == 32


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_output_folder_is_a_clear_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        proc = _neurona("train", _config(tmp_path), "--out", ro, "-v", "0")
        _, err = proc.communicate(timeout=120)
    finally:
        ro.chmod(0o755)
    assert proc.returncode == 2 and "permission denied" in err and str(ro) in err.replace("\n", "")


def test_read_only_output_folder_as_root_via_read_only_mount(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to bind-mount a folder read-only (the non-root variant runs otherwise)")
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "--bind", str(ro), str(ro)], capture_output=True).returncode != 0:
        pytest.skip("bind mounts are not allowed here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True, capture_output=True)
        proc = _neurona("train", _config(tmp_path), "--out", ro, "-v", "0")
        _, err = proc.communicate(timeout=120)
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)
    assert proc.returncode == 2 and "read-only file system" in err and str(ro) in err


def test_full_disk_fails_loudly_and_keeps_the_last_good_checkpoint(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a full disk needs a small tmpfs, which only root can mount")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("tmpfs mounts are not allowed here")
    try:
        config = _config(tmp_path, model={"name": "mlp", "hidden": [96, 96]}, training={"epochs": 40, "batch_size": 16})
        proc = _neurona("train", config, "--out", disk, "-v", "0")
        _, err = proc.communicate(timeout=300)
        assert proc.returncode != 0
        assert "No space left" in err or "status.json" in err, err
        run = _only_run(disk)
        if run is not None and (run / "status.json").exists():
            status = json.loads((run / "status.json").read_text())  # whole, never half-written
            assert status["status"] != "completed"
        if run is not None and (run / "checkpoint.safetensors").exists():
            from neurona.io import load

            load(run / "checkpoint.safetensors")  # the last good one is whole
        assert not list(disk.rglob("*.tmp"))
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_a_status_that_cannot_be_written_is_an_error_on_stderr(tmp_path, capsys):
    from neurona.runs import RunFolder, StatusWriteError

    folder = RunFolder(tmp_path, "x")
    (folder.path / "status.json").unlink()
    (folder.path / "status.json").mkdir()  # os.replace cannot put a file over a folder
    with pytest.raises(StatusWriteError, match="status.json"):
        folder.status("running")
    with pytest.raises(RuntimeError):
        with folder:
            raise RuntimeError("boom")
    assert "cannot write" in capsys.readouterr().err


def test_a_disk_that_fills_up_mid_run_is_reported_on_stderr(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a full disk needs a small tmpfs, which only root can mount")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("tmpfs mounts are not allowed here")
    try:
        config = _config(tmp_path, training={"epochs": 400, "batch_size": 2})
        proc = _neurona("train", config, "--out", disk, "-v", "0")
        run = _wait_for_epochs(disk, 2, proc)
        with open(disk / "filler", "wb", buffering=0) as f:  # take every byte left
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 1
        assert "status.json" in err and "No space left" in err, err
        status = json.loads((run / "status.json").read_text())  # the last whole one
        assert status["status"] == "running" and status["epochs_done"] >= 2
        from neurona.io import load

        assert load(run / "checkpoint.safetensors").extra["epoch"] >= status["epochs_done"]
        assert read_status(run)["status"] == "died"  # the process is gone: `neurona runs` says so
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
