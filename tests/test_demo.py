"""The engine-only demo (`make demo`): softmax regression on Iris with raw Tensors and backward()."""

from neurona import demo


def test_demo_loss_falls_and_accuracy_above_090(capsys):
    accuracy = demo.main(epochs=60)
    out = capsys.readouterr().out
    losses = [float(line.split()[-1]) for line in out.splitlines() if line.startswith("epoch")]
    assert losses[-1] < losses[0] * 0.5
    assert accuracy > 0.9 and "test accuracy" in out
