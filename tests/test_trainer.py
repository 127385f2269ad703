"""Trainer end to end on real data (fixed seeds), bad-input errors, and kill-and-resume bit-identity."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score, roc_auc_score

import neurona as nr
from neurona import datasets, nn, optim
from neurona.errors import ShapeError
from neurona.train import Trainer
from neurona.train.metrics import compute_metrics


def test_softmax_regression_on_iris():
    nr.manual_seed(0)
    split = datasets.iris().split(val=0.0, test=0.3, seed=0, scale="standard")
    model = nn.Linear(4, 3)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5))
    history = trainer.fit(split.train, epochs=60, batch_size=16, verbose=0, seed=0)
    assert history["loss"][-1] < history["loss"][0]
    assert trainer.evaluate(split.test)["accuracy"] >= 0.93


def test_mlp_on_digits():
    nr.manual_seed(0)
    split = datasets.digits().split(val=0.1, test=0.2, seed=0, scale="standard")
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3))
    trainer.fit(split.train, val=split.val, epochs=20, batch_size=32, verbose=0, seed=0)
    assert trainer.evaluate(split.test)["accuracy"] >= 0.96


def test_linear_regression_on_boston_matches_closed_form():
    nr.manual_seed(0)
    split = datasets.boston_housing().split(val=0.0, test=0.2, seed=0, scale="standard")
    model = nn.Linear(13, 1)
    trainer = Trainer(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), metrics=("rmse",))
    n_train = len(split.y_train)
    trainer.fit(split.train, epochs=1500, batch_size=n_train, verbose=0, shuffle=False)
    ours = trainer.evaluate(split.test)["rmse"]
    reference = LinearRegression().fit(split.X_train, split.y_train)
    sk_rmse = np.sqrt(mean_squared_error(split.y_test, reference.predict(split.X_test)))
    assert abs(ours - sk_rmse) / sk_rmse < 0.02


def test_two_hidden_layers_fit_the_spiral():
    nr.manual_seed(0)
    data = datasets.spiral(n=400, noise=0, seed=0)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01))
    trainer.fit((data.X, data.y), epochs=200, batch_size=32, verbose=0, seed=0)
    assert trainer.evaluate((data.X, data.y))["accuracy"] >= 0.95


def test_val_split_is_stratified_and_shuffled():
    X = np.arange(200, dtype=np.float32).reshape(100, 2)
    y = np.array([0] * 80 + [1] * 20)
    model = nn.Linear(2, 2)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0))
    _, val = trainer._split_validation((X, y), 0.2, seed=0)
    val_labels = np.array([int(val[i][1]) for i in range(len(val))])
    assert len(val) == 20 and (val_labels == 1).sum() == 4  # class proportions kept
    val_rows = np.array([int(val[i][0][0]) for i in range(len(val))]) // 2
    assert not np.array_equal(val_rows, np.arange(80, 100))  # never "the last rows"


def test_metrics_equal_sklearn_on_the_same_predictions():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((50, 3))
    y = rng.integers(0, 3, 50)
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    m = compute_metrics(("accuracy", "f1", "roc_auc"), y, logits, "classification")
    assert m["accuracy"] == accuracy_score(y, logits.argmax(1))
    assert m["f1"] == pytest.approx(f1_score(y, logits.argmax(1), average="macro"))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, probs, multi_class="ovr"))
    target, pred = rng.standard_normal(30), rng.standard_normal(30)
    r = compute_metrics(("mse", "rmse", "r2"), target, pred, "regression")
    assert r["mse"] == pytest.approx(mean_squared_error(target, pred))
    assert r["rmse"] == pytest.approx(np.sqrt(mean_squared_error(target, pred)))
    assert r["r2"] == pytest.approx(r2_score(target, pred))


def test_predict_and_predict_proba():
    nr.manual_seed(0)
    model = nn.Linear(4, 3)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    X = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    logits = trainer.predict(X)
    np.testing.assert_allclose(logits, model(nr.tensor(X)).numpy(), rtol=1e-6)
    proba = trainer.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)


# ---- bad input: a clear error before any training starts ------------------------------------------
def _trainer(n_in=4, n_out=3):
    model = nn.Linear(n_in, n_out)
    return Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1)), model


def test_labels_out_of_range_for_cross_entropy():
    trainer, model = _trainer()
    before = model.weight.numpy().copy()
    X, y = np.zeros((10, 4), np.float32), np.array([0, 1, 2, 3, 0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match=r"label 3 is out of range.*\[0, 2\]"):
        trainer.fit((X, y), epochs=1, verbose=0)
    np.testing.assert_array_equal(model.weight.numpy(), before)


def test_nan_in_x_length_mismatch_and_wrong_feature_count():
    trainer, _ = _trainer()
    X = np.zeros((10, 4), np.float32)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        trainer.fit((X, np.zeros(10, int)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="10.*9|9.*10"):
        trainer.fit((np.zeros((10, 4), np.float32), np.zeros(9, int)), epochs=1, verbose=0)
    with pytest.raises(ShapeError, match=r"Linear\(in_features=4.*\(.*, 5\)"):
        trainer.fit((np.zeros((10, 5), np.float32), np.zeros(10, int)), epochs=1, verbose=0)


def test_non_finite_loss_is_explained_with_op_and_layer(capsys):
    nr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    model[2].weight.data[...] = 1e38
    trainer = Trainer(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), metrics=())
    X = np.full((8, 2), 1e3, np.float32)
    from neurona.train import TerminateOnNaN

    history = trainer.fit((X, np.zeros(8, np.float32)), epochs=5, batch_size=8, verbose=0, callbacks=[TerminateOnNaN()])
    out = capsys.readouterr().out
    assert len(history) == 1
    assert "layer '2'" in out and "learning rate" in out


def test_verbose_levels(capsys):
    trainer, _ = _trainer()
    X, y = np.random.default_rng(0).standard_normal((20, 4)).astype(np.float32), np.arange(20) % 3
    trainer.fit((X, y), epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    trainer.fit((X, y), epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "accuracy" in out


# ---- reproducibility and resume -------------------------------------------------------------------
def _seeded_run(epochs=3):
    nr.manual_seed(5)
    data = datasets.circle(n=200, noise=10, seed=1)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01))
    trainer.fit((data.X, data.y), epochs=epochs, batch_size=16, verbose=0)
    return [p.numpy().copy() for p in model.parameters()]


def test_seeded_runs_are_bit_identical():
    for a, b in zip(_seeded_run(), _seeded_run()):
        np.testing.assert_array_equal(a, b)


RESUME_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import neurona as nr
    from neurona import datasets, nn, optim
    from neurona.train import Trainer, ModelCheckpoint, LambdaCallback

    out, kill_at, resume = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "resume"
    nr.manual_seed(5)
    data = datasets.circle(n=200, noise=10, seed=1)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01))

    def maybe_die(epoch, logs):
        if epoch == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # a hard kill in the middle of the run

    callbacks = [ModelCheckpoint(out + "/last.safetensors"), LambdaCallback(on_epoch_begin=maybe_die)]
    trainer.fit((data.X, data.y), val=(data.X[:50], data.y[:50]), epochs=6, batch_size=16, verbose=0,
                callbacks=callbacks, resume_from=out + "/last.safetensors" if resume else None)
    np.savez(out + "/final.npz", *[p.numpy() for p in model.parameters()])
""")


def test_killed_run_resumes_bit_identically(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RESUME_SCRIPT)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    full, broken = tmp_path / "full", tmp_path / "broken"
    full.mkdir()
    broken.mkdir()
    subprocess.run([sys.executable, str(script), str(full), "-1", "fresh"], check=True, env=env)
    killed = subprocess.run([sys.executable, str(script), str(broken), "3", "fresh"], env=env)
    assert killed.returncode == -signal.SIGKILL
    assert not (broken / "final.npz").exists()
    subprocess.run([sys.executable, str(script), str(broken), "-1", "resume"], check=True, env=env)
    a, b = np.load(full / "final.npz"), np.load(broken / "final.npz")
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
