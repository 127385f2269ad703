"""EarlyStopping says which epoch's weights the model holds and why; the model really holds them."""

import io

import numpy as np
from rich.console import Console

import neurona as nr
from neurona import datasets, nn, optim
from neurona.models import MLP
from neurona.train import EarlyStopping, Trainer


def _overfitting_run(verbose: int, patience: int = 5, epochs: int = 120):
    s = datasets.xor(n=80, noise=40, seed=0).split(val=0.3, test=0.0, seed=0, scale="standard")
    nr.manual_seed(0)
    model = MLP([2, 64, 64, 2], activation="relu")
    out = io.StringIO()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01))
    trainer.console = Console(file=out, width=200)
    early = EarlyStopping("val_loss", patience=patience)
    history = trainer.fit(s.train, val=s.val, epochs=epochs, batch_size=16, verbose=verbose, seed=0, callbacks=[early])
    return trainer, early, history, s, out.getvalue()


def test_terminal_names_the_restored_epoch_and_the_reason():
    trainer, early, history, s, text = _overfitting_run(verbose=1)
    best = int(np.argmin(history["val_loss"])) + 1
    assert early.restored_epoch == best
    assert len(history) < 120  # it stopped early...
    assert f"stopped after epoch {len(history)}" in text and "had not improved for 5 epochs" in text
    assert f"restored the weights of epoch {best}" in text  # ...and says whose weights the model holds
    np.testing.assert_allclose(trainer.evaluate(s.val)["loss"], history["val_loss"][best - 1], rtol=1e-5)


def test_silent_fit_stays_silent_but_keeps_the_summary():
    _, early, history, _, text = _overfitting_run(verbose=0, patience=1000, epochs=12)
    assert text == ""
    assert early.summary().startswith("EarlyStopping: ran all 12 epochs; restored the weights of epoch")
