"""A run's whole state in one checkpoint: an interrupted fit resumed from it ends bit-identical to a fit
that was never interrupted, whatever the order of the callbacks (scheduler, early stopping, model
checkpoint, diagnostics), with dropout and shuffling; checkpoints never hold a non-finite epoch."""

import itertools
import json

import numpy as np
import pytest

import neurona as nr
from neurona import datasets, nn, optim
from neurona.errors import CheckpointError, DivergenceError
from neurona.io import load
from neurona.train import (
    CSVLogger,
    Diagnostics,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    Trainer,
)

DATA = datasets.circle(n=160, noise=20, seed=1)
VAL = (DATA.X[:40], DATA.y[:40])


class Stop(Exception):
    """Stands for a crash between two epochs."""


def _build(kinds, tmp_path, tag):
    nr.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Dropout(0.3), nn.Linear(12, 2))
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt)
    make = {
        "schedule": lambda: LearningRateScheduler(optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)),
        "plateau": lambda: ReduceLROnPlateau("val_loss", patience=1, factor=0.5, min_delta=1.0),
        "early": lambda: EarlyStopping("val_loss", patience=3, min_delta=0.002),
        "ckpt": lambda: ModelCheckpoint(tmp_path / f"{tag}-mc.safetensors"),
        "diag": Diagnostics,
        "csv": lambda: CSVLogger(tmp_path / f"{tag}.csv"),
    }
    return model, opt, trainer, [make[k]() for k in kinds]


def _fit(trainer, callbacks, **kwargs):
    return trainer.fit((DATA.X, DATA.y), val=VAL, epochs=9, batch_size=16, verbose=0, seed=7,
                       callbacks=callbacks, **kwargs)


def _state(model, opt, trainer):
    weights = [p.numpy().copy() for p in model.parameters()]
    moments = [np.asarray(s["momentum_buffer"].data if hasattr(s["momentum_buffer"], "data") else s["momentum_buffer"])
               for s in opt.state_dict()["state"].values()]
    return weights, moments, json.dumps(trainer.history.to_dict(), sort_keys=True)


def _assert_same(a, b):
    for x, y in zip(a[0] + a[1], b[0] + b[1]):
        np.testing.assert_array_equal(x, y)
    assert a[2] == b[2]


def _interrupted_then_resumed(kinds, tmp_path, stop_at, source):
    model, opt, trainer, callbacks = _build(kinds, tmp_path, "broken")
    ckpt = tmp_path / "run.safetensors"

    def crash(epoch, logs):
        if epoch == stop_at:
            raise Stop

    with pytest.raises(Stop):
        _fit(trainer, [*callbacks, LambdaCallback(on_epoch_begin=crash)], checkpoint=ckpt)
    model, opt, trainer, callbacks = _build(kinds, tmp_path, "broken")
    path = ckpt if source == "run" else tmp_path / "broken-mc.safetensors"
    _fit(trainer, [*callbacks, LambdaCallback()], resume_from=path, checkpoint=ckpt)
    return _state(model, opt, trainer)


@pytest.mark.parametrize("order", list(itertools.permutations(["schedule", "early", "ckpt"])), ids="-".join)
def test_resume_is_bit_identical_in_every_callback_order(order, tmp_path):
    model, opt, trainer, callbacks = _build(order, tmp_path, "full")
    _fit(trainer, [*callbacks, LambdaCallback()])
    expected = _state(model, opt, trainer)
    for stop_at, source in ((2, "model_checkpoint"), (5, "run")):
        _assert_same(_interrupted_then_resumed(order, tmp_path, stop_at, source), expected)


@pytest.mark.parametrize("order", [("diag", "plateau", "early", "csv"), ("csv", "early", "plateau", "diag")],
                         ids="-".join)
def test_resume_keeps_diagnostics_plateau_and_csv_state(order, tmp_path):
    model, opt, trainer, callbacks = _build(order, tmp_path, "full")
    _fit(trainer, [*callbacks, LambdaCallback()])
    expected = _state(model, opt, trainer)
    diag = next(cb for cb in callbacks if isinstance(cb, Diagnostics))
    got = _interrupted_then_resumed(order, tmp_path, 4, "run")
    _assert_same(got, expected)
    assert (tmp_path / "broken.csv").read_text() == (tmp_path / "full.csv").read_text()
    assert len(diag.records) == len(json.loads(expected[2])["epoch"])


def test_early_stopping_that_fired_before_the_crash_stays_stopped(tmp_path):
    model, opt, trainer, callbacks = _build(["early"], tmp_path, "full")
    trainer.fit((DATA.X, DATA.y), val=VAL, epochs=60, batch_size=16, verbose=0, seed=7, callbacks=callbacks,
                checkpoint=tmp_path / "c.safetensors")
    ran = len(trainer.history)
    assert ran < 60, "the test needs early stopping to fire"
    expected = _state(model, opt, trainer)
    model, opt, trainer, callbacks = _build(["early"], tmp_path, "again")
    trainer.fit((DATA.X, DATA.y), val=VAL, epochs=60, batch_size=16, verbose=0, seed=7, callbacks=callbacks,
                resume_from=tmp_path / "c.safetensors")
    assert len(trainer.history) == ran
    _assert_same(_state(model, opt, trainer), expected)  # the best weights were restored again


def test_checkpoint_every_and_ctrl_c_writes_the_last_finished_epoch(tmp_path):
    model, opt, trainer, callbacks = _build([], tmp_path, "x")
    ckpt = tmp_path / "c.safetensors"

    def interrupt(epoch, logs):
        if epoch == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit(trainer, [LambdaCallback(on_epoch_begin=interrupt)], checkpoint=ckpt, checkpoint_every=3)
    assert load(ckpt).extra["epoch"] == 4  # written at 3 by the schedule, then at 4 by Ctrl-C


def test_checkpoints_never_hold_a_non_finite_epoch(tmp_path):
    nr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e6))
    ckpt = tmp_path / "c.safetensors"
    with pytest.raises(DivergenceError, match=r"epoch \d+, batch \d+.*op"):
        trainer.fit((DATA.X * 1e3, DATA.y), epochs=50, batch_size=16, verbose=0, checkpoint=ckpt, stop_on_nan=True)
    if ckpt.exists():
        state = load(ckpt).model_state
        assert all(np.isfinite(v).all() for v in state.values())


def test_resume_with_other_callbacks_is_refused(tmp_path):
    model, opt, trainer, callbacks = _build(["early", "schedule"], tmp_path, "a")
    trainer.fit((DATA.X, DATA.y), val=VAL, epochs=2, batch_size=16, verbose=0, seed=7, callbacks=callbacks,
                checkpoint=tmp_path / "c.safetensors")
    model, opt, trainer, callbacks = _build(["schedule", "early"], tmp_path, "a")
    with pytest.raises(CheckpointError, match="same callbacks in the same order"):
        _fit(trainer, callbacks, resume_from=tmp_path / "c.safetensors")
