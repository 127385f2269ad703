"""OptunaPruning: per-epoch reports reach the trial, and a pruned trial stops training and says so."""

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

import neurona as nr  # noqa: E402
from neurona import datasets, nn, optim  # noqa: E402
from neurona.models import MLP  # noqa: E402
from neurona.train import OptunaPruning, Trainer  # noqa: E402


def _fit(trial, lr, epochs=6):
    split = datasets.iris().split(val=0.3, test=0.0, scale="standard", seed=0)
    nr.manual_seed(0)
    model = MLP([4, 8, 3])
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr))
    callback = OptunaPruning(trial, "val_accuracy")
    try:
        trainer.fit(split.train, val=split.val, epochs=epochs, batch_size=16, verbose=0, seed=0, callbacks=[callback])
    finally:
        trial.set_user_attr("epochs", len(trainer.history))
    return callback, trainer


def test_reports_every_epoch_and_prunes_a_bad_trial():
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    good = study.ask()
    callback, trainer = _fit(good, lr=0.5)
    study.tell(good, trainer.history["val_accuracy"][-1])
    assert callback.pruned_epoch is None and callback.last_epoch == 6
    np.testing.assert_allclose(list(study.trials[0].intermediate_values.values()), trainer.history["val_accuracy"])
    assert sorted(study.trials[0].intermediate_values) == list(range(6))

    bad = study.ask()
    with pytest.raises(optuna.TrialPruned, match="pruned after epoch 1: val_accuracy"):
        _fit(bad, lr=1e-6)
    study.tell(bad, state=optuna.trial.TrialState.PRUNED)
    assert study.trials[1].state == optuna.trial.TrialState.PRUNED
    assert study.trials[1].user_attrs["epochs"] == 1  # stopped after the first epoch instead of running six


def test_missing_monitor_names_what_is_logged():
    study = optuna.create_study()
    trial = study.ask()
    split = datasets.iris().split(val=0.3, test=0.0, scale="standard", seed=0)
    model = MLP([4, 8, 3])
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(KeyError, match="OptunaPruning: monitored quantity 'val_f1' is not in the logs"):
        trainer.fit(split.train, val=split.val, epochs=1, verbose=0, callbacks=[OptunaPruning(trial, "val_f1")])
