"""PyTorch-style scripts (tests/compat_nn/) give the same results with ``import torch`` answered by
neurona as with real torch: modules, optimisers, data, saving, init and nn.utils (issue 22, part B).

Each script runs once per backend in a subprocess (tests/compat_nn/runner.py); the reports must agree:
the same keys, lists, strings and flags exactly, floats to float32 rounding.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["nn_modules.py", "optim_groups.py", "data_pipeline.py", "data_stream.py", "save_load.py", "init_utils.py"]


def run_scripts(backend: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "compat_nn" / "runner.py"), backend, *SCRIPTS],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert done.returncode == 0, f"{backend} runner failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def reports() -> dict:
    pytest.importorskip("torch")
    return {backend: run_scripts(backend) for backend in ("neurona", "torch")}


def assert_same(ours, theirs, where: str) -> None:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (ours, theirs))
    if numbers and float in (type(ours), type(theirs)):  # torch returns 1 where neurona returns 1.0
        assert math.isclose(ours, theirs, rel_tol=1e-5, abs_tol=1e-6), f"{where}: neurona {ours} vs torch {theirs}"
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{where}: keys {ours!r:.300} vs {theirs!r:.300}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: neurona {ours!r:.300} vs torch {theirs!r:.300}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs and type(ours) is type(theirs), f"{where}: neurona {ours!r} vs torch {theirs!r}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_gives_torchs_results(reports, script):
    ours, theirs = reports["neurona"][script], reports["torch"][script]
    assert "error" not in theirs, f"the script fails with torch itself: {theirs.get('trace')}"
    assert "error" not in ours, f"{script} fails on neurona: {ours.get('trace')}"
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert_same(ours[key], theirs[key], f"{script}:{key}")


def test_the_comparison_notices_a_difference():
    with pytest.raises(AssertionError):
        assert_same({"a": [1.0, 2.0]}, {"a": [1.0, 2.1]}, "probe")
    with pytest.raises(AssertionError):
        assert_same({"a": ["x"]}, {"a": ["y"]}, "probe")
    with pytest.raises(AssertionError):
        assert_same([1, 2], [1, 2, 3], "probe")
