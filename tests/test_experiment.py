"""`neurona train` runs: the epoch whose weights the final numbers describe is stated everywhere."""

import json
import re

import numpy as np
import yaml
from typer.testing import CliRunner

from neurona.cli import app

RUN = {"name": "es", "seed": 0, "data": {"dataset": "iris", "val": 0.3, "test": 0.2},
       "model": {"name": "mlp", "hidden": [64, 64]}, "loss": "cross_entropy",
       "optimizer": {"name": "adam", "lr": 0.05}, "report": {"figures": ["learning_curves"]},
       "training": {"epochs": 60, "batch_size": 8, "early_stopping": {"patience": 3}}}


def _train(tmp_path, data):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["train", str(config), "--out", str(tmp_path / "runs"), "-v", "2"])
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    return run_dir, result.output


def test_early_stopping_names_the_restored_epoch_in_terminal_metrics_and_report(tmp_path):
    run_dir, out = _train(tmp_path, RUN)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    history = np.genfromtxt(run_dir / "history.csv", delimiter=",", names=True)
    ran, restored = metrics["epochs_run"], metrics["weights_from_epoch"]
    assert restored < ran == len(history)  # this config stops early
    assert restored == int(np.argmin(history["val_loss"])) + 1  # the best epoch's weights
    flat = " ".join(out.split())
    assert f"restored the weights of epoch {restored}" in flat
    assert f"Final metrics ({ran} epochs; weights of epoch {restored}, restored by early stopping)" in flat
    html = (run_dir / "report.html").read_text()
    assert f"restored the weights of epoch {restored} (dashed line)" in html
    assert f"Measured with the weights of epoch {restored} of {ran} (restored by early stopping)." in html


def test_without_early_stopping_the_numbers_describe_the_last_epoch(tmp_path):
    data = {**RUN, "training": {"epochs": 3, "batch_size": 16}}
    run_dir, out = _train(tmp_path, data)
    assert json.loads((run_dir / "metrics.json").read_text())["weights_from_epoch"] == 3
    assert "Final metrics (3 epochs)" in out and not re.search(r"restored", out)
    assert "Measured with the weights of epoch 3 of 3." in (run_dir / "report.html").read_text()
