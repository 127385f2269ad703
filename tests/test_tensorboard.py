"""The TensorBoard callback: event files read back with TensorBoard's own reader match the run's history."""

import csv
import math

import numpy as np
import pytest
import yaml
from tensorboard.backend.event_processing import event_accumulator
from typer.testing import CliRunner

from neurona import nn, optim
from neurona.cli import app
from neurona.config import validate_config
from neurona.train import TensorBoard, Trainer

RUN = {"name": "tb", "seed": 0, "data": {"dataset": "iris", "val": 0.3, "test": 0.2},
       "model": {"name": "mlp", "hidden": [16]}, "loss": "cross_entropy", "metrics": ["accuracy"],
       "optimizer": {"name": "adam", "lr": 0.02}, "report": {"figures": ["learning_curves"], "tensorboard": True},
       "training": {"epochs": 3, "batch_size": 16}}


def _scalars(log_dir):
    acc = event_accumulator.EventAccumulator(str(log_dir), size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_train_with_report_tensorboard_writes_every_history_column(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(RUN))
    result = CliRunner().invoke(app, ["train", str(config), "--out", str(tmp_path / "runs"), "-v", "0"])
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    scalars = _scalars(run_dir / "tensorboard")
    with open(run_dir / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [k for k in rows[0] if k != "epoch"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(columns)
    assert sorted(scalars) == sorted(columns)
    for key in columns:
        steps = [int(r["epoch"]) for r in rows]
        assert [s for s, _ in scalars[key]] == steps
        # event files store float32
        np.testing.assert_allclose([v for _, v in scalars[key]], [float(r[key]) for r in rows], rtol=1e-6)


def test_tensorboard_is_off_by_default_and_validated():
    assert validate_config({k: v for k, v in RUN.items() if k != "report"}).report.tensorboard is False
    with pytest.raises(Exception, match="tensorboard"):
        validate_config({**RUN, "report": {"tensorboard": "maybe"}})


def test_callback_writes_batch_loss_and_skips_non_finite(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)).astype(np.float32), rng.integers(0, 2, size=40)
    model = nn.Sequential(nn.Linear(3, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    board = TensorBoard(tmp_path / "tb", batch_loss=True)
    history = trainer.fit((X, y), epochs=2, batch_size=10, callbacks=[board], verbose=0, seed=0)
    scalars = _scalars(tmp_path / "tb")
    assert [s for s, _ in scalars["batch/loss"]] == list(range(1, 9))  # 4 batches x 2 epochs
    np.testing.assert_allclose([v for _, v in scalars["loss"]], history["loss"], rtol=1e-6)
    # a NaN value is left out rather than written
    board2 = TensorBoard(tmp_path / "tb2")
    board2.on_epoch_end(0, {"loss": 1.5, "bad": math.nan, "name": "text"})
    board2.close()
    assert _scalars(tmp_path / "tb2") == {"loss": [(1, 1.5)]}
