"""The progress display: piped output is one whole line per epoch, terminal lines wrap between pairs."""

import io

import numpy as np
from rich.console import Console

import neurona as nr
from neurona import nn, optim
from neurona.train import Trainer
from neurona.train.callbacks.progress import wrap_pairs


def _fit(console, verbose=1):
    nr.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.Linear(3, 2)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      metrics=["accuracy", "f1", "precision", "recall"])
    trainer.console = console
    return trainer.fit((X, y), val=(X[:16], y[:16]), epochs=3, batch_size=16, verbose=verbose)


def test_piped_output_is_one_unwrapped_line_per_epoch_and_no_leftover_bar():
    out = io.StringIO()
    history = _fit(Console(file=out, width=60, force_terminal=False))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(line.startswith(f"epoch {i}/3  loss ") for i, line in enumerate(lines, 1))
    assert all(len(line) > 60 for line in lines)  # longer than the console: not wrapped
    last = lines[-1]
    for name in ("loss", "accuracy", "f1", "precision", "recall", "val_loss", "val_recall"):
        assert f"  {name} {history.history[name][-1]:.4g}" in last
    assert "…" not in out.getvalue()


def test_terminal_epoch_lines_break_between_pairs_only():
    pairs = [f"{name} {value}" for name, value in
             [("loss", 0.5123), ("accuracy", 0.8), ("f1", 0.7962), ("val_loss", 0.6211), ("val_accuracy", 0.75),
              ("val_f1", 0.7409), ("lr", 0.0009891)]]
    for width in (30, 40, 80, 200):
        text = wrap_pairs("epoch 3/30", pairs, width)
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines)
        assert text.split() == "epoch 3/30".split() + " ".join(pairs).split()  # nothing lost or reordered
        for line in lines:  # every line holds whole pairs: names and values alternate
            words = line.split()
            words = words[2:] if words[0] == "epoch" else words
            assert len(words) % 2 == 0 and all(not w[0].isdigit() for w in words[::2])
    assert len(wrap_pairs("epoch 3/30", pairs, 200).splitlines()) == 1



def test_terminal_bar_keeps_its_width_from_80_columns_up():
    import re

    for width in (80, 100, 160):
        out = io.StringIO()
        _fit(Console(file=out, width=width, force_terminal=True, color_system=None))
        plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())  # drop cursor movements of the live display
        bars = [line for line in re.split(r"[\r\n]", plain) if "━" in line]
        assert bars, "the live bar was never drawn"
        for line in bars:
            assert len(line) <= width and line.count("━") == 24, (width, line)
            assert re.search(r"epoch \d/3 ━+ \d/4 loss \d\.\d{4}", line)
