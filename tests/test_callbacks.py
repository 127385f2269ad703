"""Callbacks: early stopping restores the best weights, LR reduction at the right epoch, CSV logs parse."""

import csv

import numpy as np
import pytest

import neurona as nr
from neurona import nn, optim
from neurona.train import (
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    Trainer,
)


def _setup(lr=0.1):
    nr.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.Linear(3, 2)
    return Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr)), model, (X, y)


def scripted(key, values):
    """A callback that overwrites ``logs[key]`` with a scripted sequence (runs before the callback under test)."""
    return LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(key, values[epoch]))


def test_early_stopping_restores_best_weights():
    trainer, model, data = _setup()
    snapshots = []
    val_losses = [1.0, 0.8, 0.5, 0.7, 0.9, 0.6, 0.95, 0.99]
    keep = LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.weight.numpy().copy()))
    stopper = EarlyStopping("val_loss", patience=3)
    history = trainer.fit(data, val=data, epochs=8, verbose=0, callbacks=[scripted("val_loss", val_losses), keep, stopper])
    assert len(history) == 6  # best at epoch 3 (index 2), three epochs without improvement, stop
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 5
    np.testing.assert_array_equal(model.weight.numpy(), snapshots[2])


def test_early_stopping_min_delta_mode_and_start_epoch():
    trainer, _, data = _setup()
    stopper = EarlyStopping("val_accuracy", min_delta=0.05, patience=1, start_from_epoch=2)
    assert stopper.mode == "max"
    trainer.fit(data, val=data, epochs=10, verbose=0,
                callbacks=[scripted("val_accuracy", [0.1, 0.2, 0.5, 0.52, 0.53, 0.9, 0.9, 0.9, 0.9, 0.9]), stopper])
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 3


def test_early_stopping_names_missing_monitor():
    trainer, _, data = _setup()
    with pytest.raises(KeyError, match="val_loss.*validation data"):
        trainer.fit(data, epochs=2, verbose=0, callbacks=[EarlyStopping()])


def test_reduce_lr_on_plateau_lowers_at_the_right_epoch():
    trainer, _, data = _setup(lr=0.1)
    lrs = []
    record = LambdaCallback(on_epoch_end=lambda e, logs: lrs.append(trainer.optimizer.param_groups[0]["lr"]))
    plateau = ReduceLROnPlateau("val_loss", factor=0.5, patience=2, min_delta=0.0)
    trainer.fit(data, val=data, epochs=7, verbose=0,
                callbacks=[scripted("val_loss", [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]), plateau, record])
    # epochs 3 and 4 do not improve on 0.9 -> halve after epoch 4; again two epochs later
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_learning_rate_scheduler_wraps_lr_scheduler_and_functions():
    trainer, _, data = _setup(lr=1.0)
    trainer.fit(data, epochs=4, verbose=0,
                callbacks=[LearningRateScheduler(optim.lr_scheduler.StepLR(trainer.optimizer, step_size=2, gamma=0.1))])
    assert trainer.history["lr"] == pytest.approx([1.0, 1.0, 0.1, 0.1])
    trainer2, _, data = _setup(lr=1.0)
    trainer2.fit(data, epochs=3, verbose=0, callbacks=[LearningRateScheduler(lambda epoch, lr: 0.5**epoch)])
    assert trainer2.history["lr"] == pytest.approx([1.0, 0.5, 0.25])


def test_csv_logger_output_parses(tmp_path):
    trainer, _, data = _setup()
    path = tmp_path / "log.csv"
    trainer.fit(data, val=data, epochs=3, verbose=0, callbacks=[CSVLogger(path)])
    rows = list(csv.DictReader(path.open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(rows[0])
    assert float(rows[-1]["loss"]) == pytest.approx(trainer.history["loss"][-1])


def test_model_checkpoint_best_only(tmp_path):
    trainer, model, data = _setup()
    path = tmp_path / "best.safetensors"
    saved = []
    trainer.fit(data, val=data, epochs=4, verbose=0,
                callbacks=[scripted("val_loss", [0.5, 0.4, 0.6, 0.7]), ModelCheckpoint(path, save_best_only=True),
                           LambdaCallback(on_epoch_end=lambda e, logs: saved.append(model.weight.numpy().copy()))])
    fresh = nn.Linear(3, 2)
    from neurona.io import load

    load(path, model=fresh)
    np.testing.assert_array_equal(fresh.weight.numpy(), saved[1])
