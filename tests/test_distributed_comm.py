"""The process group under real ``mpirun`` (tests/distributed_jobs/threads.py): BLAS threads per rank default to
cores divided by the ranks on the host, and a collective that waits too long ends the job with a message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from mpi_support import JOBS, kill_group, mpi_env, mpirun_args, run_mpi
from neurona import distributed as dist
from neurona.errors import ConfigError


def test_blas_threads_default_to_cores_per_local_rank(tmp_path):
    out = tmp_path / "threads.json"
    run_mpi(2, [sys.executable, str(JOBS / "threads.py"), str(out)], timeout=120)
    r = json.loads(out.read_text())
    assert r["local_size"] == [2, 2]
    expected = max(1, min(r["affinity"], r["cores"] // 2))
    assert r["threads"] == [expected, expected], r


def test_a_rank_that_never_joins_stops_the_job_within_the_timeout(tmp_path):
    proc = subprocess.Popen(mpirun_args(2, [sys.executable, str(JOBS / "threads.py"), str(tmp_path / "x"), "hang"]),
                            env=mpi_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    start = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=50)  # 3 s watchdog; rank 1 alone would sleep 60 s
    finally:
        kill_group(proc)
    assert time.monotonic() - start < 50
    assert proc.returncode != 0
    assert "rank 0 waited 3 s in all_reduce" in out and "--resume" in out, out


def test_blas_threads_setting_is_checked(monkeypatch):
    monkeypatch.setenv("NEURONA_BLAS_THREADS", "zero")
    with pytest.raises(ConfigError, match="NEURONA_BLAS_THREADS must be an integer >= 1, got 'zero'"):
        dist.set_blas_threads()
    with pytest.raises(ConfigError, match="blas_threads must be an integer >= 1"):
        dist.set_blas_threads(0)


def test_timeout_setting_is_checked(monkeypatch):
    from neurona.distributed.comm import _timeout_from_env

    monkeypatch.setenv("NEURONA_DIST_TIMEOUT", "-1")
    with pytest.raises(ConfigError, match="NEURONA_DIST_TIMEOUT must be a number of seconds > 0, got '-1'"):
        _timeout_from_env()
    monkeypatch.setenv("NEURONA_DIST_TIMEOUT", "12.5")
    assert _timeout_from_env() == 12.5


def test_mpirun_without_mpi4py_says_what_to_install(monkeypatch):
    """Started by mpirun (its variables set) in a Python without mpi4py: a clear error, not an ImportError."""
    code = ("import sys, builtins; real = builtins.__import__\n"
            "def no_mpi(name, *a, **k):\n"
            "    if name.startswith('mpi4py'): raise ImportError(name)\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = no_mpi\n"
            "from neurona import distributed\n"
            "try:\n    distributed.init()\nexcept Exception as e:\n    print(type(e).__name__, e)\n")
    env = {**os.environ, "OMPI_COMM_WORLD_SIZE": "2", "PYTHONPATH": str(JOBS.parent.parent / "src")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120).stdout
    assert "ConfigError" in out and "pip install 'neurona[mpi]'" in out and "openmpi-bin" in out, out
