"""`neurona export RUN_DIR --format onnx`: a finished run's model as ONNX, run in onnxruntime with the
outputs of the trained neurona model; bad formats and folders exit 2 with a message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from typer.testing import CliRunner

from neurona.cli import app
from neurona.experiment import open_run
from neurona.tensor import Tensor, no_grad

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    code, text = invoke("train", ROOT / "examples" / "iris.yaml", "--quick", "--out", out, "-v", "0")
    assert code == 0, text
    (folder,) = out.iterdir()
    return folder


def test_export_writes_a_model_onnxruntime_runs_like_neurona(run_dir):
    code, out = invoke("export", run_dir, "--format", "onnx")
    assert code == 0, out
    path = run_dir / "model.onnx"
    assert f"wrote {path}" in out and "onnxruntime reproduces" in out
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    _, _, split, model, _ = open_run(run_dir)
    model.eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for rows in (split.X_test[:1], split.X_test[:7]):
        (got,) = session.run(None, {"input": np.ascontiguousarray(rows)})
        with no_grad():
            expected = model(Tensor(rows)).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_output_and_opset_options(run_dir, tmp_path):
    code, out = invoke("export", run_dir, "--output", tmp_path / "iris.onnx", "--opset", "20")
    assert code == 0, out
    assert onnx.load(str(tmp_path / "iris.onnx")).opset_import[0].version == 20


@pytest.mark.parametrize("args, message", [
    (["--format", "tflite"], "--format: 'tflite' is not supported; formats: onnx"),
    (["--opset", "9"], "opset must be an integer in [14, 21], got 9"),
])
def test_bad_options_exit_2_or_1_with_a_message(run_dir, args, message):
    code, out = invoke("export", run_dir, *args)
    assert code in (1, 2) and message in out


def test_not_a_run_folder(tmp_path):
    code, out = invoke("export", tmp_path)
    assert code == 2 and "is not a run folder" in out
