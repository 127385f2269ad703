"""``mpirun -n 2 neurona train`` end to end: one run folder written by rank 0 that states the world size; a
killed rank stops the job within a bounded time, naming the rank, with the last checkpoint intact; ``--resume``
under MPI ends identical to an uninterrupted run; accuracy as one process with the same global batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from mpi_support import NEURONA, kill_group, mpi_env, mpirun_args, run_mpi
from neurona.runs import read_status

MLP = """name: digits-mlp
seed: 0
data: {dataset: digits, val: 0.1, test: 0.2, scale: standard}
model: {name: mlp, hidden: [64], activation: relu, dropout: 0.1}
loss: cross_entropy
optimizer: {name: adam, lr: 0.002}
schedule: {name: cosine}
training: {epochs: 12, batch_size: 16}
metrics: [accuracy]
report: {figures: []}
"""

ACCURACY = {
    "mlp": """name: digits-mlp
seed: 0
data: {dataset: digits, val: 0.1, test: 0.2, scale: standard}
model: {name: mlp, hidden: [64], activation: relu}
loss: cross_entropy
optimizer: {name: adam, lr: 0.003}
training: {epochs: 15, batch_size: 32}
metrics: [accuracy]
report: {figures: []}
""",
    "convnet": """name: digits-convnet
seed: 0
data: {dataset: digits, val: 0.1, test: 0.2, scale: standard, options: {as_images: true}}
model: {name: convnet}
loss: cross_entropy
optimizer: {name: adam, lr: 0.002}
training: {epochs: 12, batch_size: 32}
metrics: [accuracy]
report: {figures: []}
""",
}


def only_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, f"expected one run folder (rank 0 writes), found {runs}"
    return runs[0]


def rank_pid(rank: int, marker: str, timeout: float = 60) -> int:
    """The pid of MPI rank ``rank`` of the job whose command line contains ``marker``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if marker not in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    continue
                env = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
                return int(entry.name)
        time.sleep(0.05)
    pytest.fail(f"rank {rank} of the job did not start within {timeout} s")


def wait_for_epochs(out: Path, epochs: int, proc: subprocess.Popen, timeout: float = 180) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for status in out.glob("*/status.json"):
            try:
                if json.loads(status.read_text()).get("epochs_done", 0) >= epochs:
                    return status.parent
            except (OSError, ValueError):
                pass  # being replaced
        if proc.poll() is not None:
            pytest.fail(f"the job ended before epoch {epochs}:\n{proc.communicate()[0][-3000:]}")
        time.sleep(0.02)
    pytest.fail(f"no checkpoint of epoch {epochs} within {timeout} s")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the ranks' pids in /proc (Linux)")
def test_killed_rank_stops_the_job_and_resume_ends_identical_to_an_uninterrupted_run(tmp_path):
    config = tmp_path / "killme.yaml"
    config.write_text(MLP)
    proc = subprocess.Popen(mpirun_args(2, [*NEURONA, "train", str(config), "--out", str(tmp_path / "killed"),
                                            "-v", "0"]), env=mpi_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        run_dir = wait_for_epochs(tmp_path / "killed", 2, proc)
        os.kill(rank_pid(1, str(config)), signal.SIGKILL)
        killed_at = time.monotonic()
        out, _ = proc.communicate(timeout=60)
        stopped_after = time.monotonic() - killed_at
    finally:
        kill_group(proc)
    assert proc.returncode != 0
    assert stopped_after < 60
    assert "rank 1" in out and "signal 9" in out, out  # mpirun names the rank that died
    deadline = time.monotonic() + 30  # mpirun has stopped rank 0 too (it may take a moment to be reaped)
    while read_status(run_dir)["status"] != "died" and time.monotonic() < deadline:
        time.sleep(0.1)
    status = read_status(run_dir)
    assert status["status"] == "died" and 2 <= status["epochs_done"] < 12, status
    assert status["world_size"] == 2 and status["global_batch_size"] == 32
    ckpt = load_file(str(run_dir / "checkpoint.safetensors"))  # whole: written atomically by rank 0
    assert ckpt and all(np.isfinite(v).all() for v in ckpt.values() if v.dtype.kind == "f")

    resumed = run_mpi(2, [*NEURONA, "train", "--resume", str(run_dir), "-v", "0"], timeout=300)
    assert "Resuming" in resumed.stdout
    assert read_status(run_dir)["status"] == "completed"
    run_mpi(2, [*NEURONA, "train", str(config), "--out", str(tmp_path / "straight"), "-v", "0"], timeout=300)
    straight = only_run(tmp_path / "straight")
    assert only_run(tmp_path / "killed") == run_dir
    a, b = load_file(str(run_dir / "model.safetensors")), load_file(str(straight / "model.safetensors"))
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)  # bit-identical
    assert (run_dir / "history.csv").read_text() == (straight / "history.csv").read_text()
    report = (straight / "report.html").read_text()
    assert "Data-parallel training (MPI)" in report and "global_batch_size" in report


def accuracy_matches_one_process(tmp_path: Path, name: str) -> None:
    config = tmp_path / f"{name}.yaml"
    config.write_text(ACCURACY[name])
    run_mpi(2, [*NEURONA, "train", str(config), "--out", str(tmp_path / "two"), "-v", "0"], timeout=500)
    one = subprocess.run([*NEURONA, "train", str(config), "--out", str(tmp_path / "one"), "-v", "0",
                          "--set", "training.batch_size=64"], env=mpi_env(), capture_output=True, text=True,
                         timeout=500)
    assert one.returncode == 0, one.stdout + one.stderr
    two_metrics = json.loads((only_run(tmp_path / "two") / "metrics.json").read_text())
    one_metrics = json.loads((only_run(tmp_path / "one") / "metrics.json").read_text())
    assert two_metrics["test"]["accuracy"] > 0.9
    assert abs(two_metrics["test"]["accuracy"] - one_metrics["test"]["accuracy"]) <= 0.005, (two_metrics, one_metrics)


def test_two_ranks_reach_the_accuracy_of_one_process_with_the_same_global_batch_mlp(tmp_path):
    accuracy_matches_one_process(tmp_path, "mlp")


@pytest.mark.slow
def test_two_ranks_reach_the_accuracy_of_one_process_with_the_same_global_batch_convnet(tmp_path):
    accuracy_matches_one_process(tmp_path, "convnet")
