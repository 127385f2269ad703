"""Running MPI jobs from pytest: ``mpirun`` as a subprocess with a bounded wait, killed in any case.

Without ``mpirun`` or mpi4py the MPI tests skip on a developer's machine; under CI (``CI=true``, or
``NEURONA_REQUIRE_MPI=1`` as ``.ci/run`` sets) they fail instead, because CI installs OpenMPI and must run them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JOBS = Path(__file__).resolve().parent / "distributed_jobs"
NEURONA = [sys.executable, "-c", "import sys; from neurona.cli import main; sys.argv[0] = 'neurona'; main()"]


def require_mpi() -> str:
    """The path of mpirun; skips (fails under CI) when OpenMPI or mpi4py is missing."""
    missing = []
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        missing.append("mpirun (Debian: openmpi-bin libopenmpi-dev)")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        missing.append("mpi4py (pip install 'neurona[mpi]')")
    if missing:
        message = f"MPI tests need {' and '.join(missing)}"
        if os.environ.get("CI", "").lower() == "true" or os.environ.get("NEURONA_REQUIRE_MPI") == "1":
            pytest.fail(f"{message}; .ci/run installs them, so under CI they must be present")
        pytest.skip(message)
    return mpirun


def mpi_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    # OpenMPI refuses to start as root without these; CI runs as root
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1",
               PYTHONHASHSEED="0", NEURONA_BLAS_THREADS="1")
    env.update(extra)
    return env


def mpirun_args(n: int, command: list[str]) -> list[str]:
    return [require_mpi(), "--oversubscribe", "-n", str(n), *command]


def run_mpi(n: int, command: list[str], timeout: float, cwd: Path | None = None, **env: str
            ) -> subprocess.CompletedProcess:
    """``mpirun -n n command``; fails the test with the job's output when it exits non-zero or runs too long."""
    proc = subprocess.Popen(mpirun_args(n, command), cwd=cwd, env=mpi_env(**env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, _ = proc.communicate()
        pytest.fail(f"mpirun -n {n} {' '.join(command[-3:])} ran past {timeout} s:\n{out[-3000:]}")
    finally:
        kill_group(proc)
    if proc.returncode != 0:
        pytest.fail(f"mpirun -n {n} {' '.join(command[-3:])} exited with {proc.returncode}:\n{out[-4000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


def kill_group(proc: subprocess.Popen) -> None:
    """Kill mpirun and every rank it started (they share its session)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
