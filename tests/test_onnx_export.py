"""neurona.onnx.export: every reference model, written as ONNX, passes onnx.checker and runs in
onnxruntime with the outputs of neurona (eval mode) to 1e-5, at two batch sizes; bad models and
arguments get clear errors. (Layer by layer: test_onnx_export_layers.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import neurona as nr
from neurona import models, nn
from neurona import onnx as nxo
from onnx_checks import check_export, floats, ids, with_statistics

MODELS = {
    "mlp": (lambda: models.MLP([6, 8, 8, 3], activation="gelu", dropout=0.2, batchnorm=True), floats(6)),
    "mlp_images": (lambda: models.MLP([16, 5, 2]), floats(1, 4, 4)),
    "lenet5": (lambda: models.LeNet5(input_size=8), floats(1, 8, 8)),
    "lenet5_flat_tanh_avg": (lambda: models.LeNet5(input_size=8, activation="tanh", pooling="avg"), floats(64)),
    "convnet": (lambda: models.ConvNet(channels=(4, 8), dropout=0.1), floats(1, 8, 8)),
    "conv1dnet": (lambda: models.Conv1dNet(channels=(4, 6), kernel_size=3), floats(1, 16)),
    "conv1dnet_flat": (lambda: models.Conv1dNet(channels=(4,), batchnorm=False), floats(12)),
    "sequence_lstm": (lambda: models.SequenceClassifier(input_size=3, hidden_size=5, cell="lstm", num_layers=2),
                      floats(4, 3)),
    "sequence_gru_bidirectional": (lambda: models.SequenceClassifier(input_size=3, hidden_size=5, cell="gru",
                                                                     bidirectional=True, dropout=0.3), floats(4, 3)),
    "sequence_rnn_tokens": (lambda: models.SequenceClassifier(vocab_size=11, embedding_dim=4, hidden_size=5,
                                                              cell="rnn"), ids(11, 6)),
    "seq2one": (lambda: models.Seq2One(hidden_size=5, horizon=2), floats(7)),
    "seq2one_gru": (lambda: models.Seq2One(input_size=2, hidden_size=5, cell="gru"), floats(7, 2)),
    "dense_autoencoder": (lambda: models.DenseAutoencoder(16, hidden=(8,), latent_dim=3), floats(1, 4, 4)),
    "conv_autoencoder": (lambda: models.ConvAutoencoder(latent_dim=4, channels=(4, 8)), floats(1, 8, 8)),
    "vae": (lambda: models.VAE(16, hidden=(8,), latent_dim=2), floats(16)),
    "vae_decoder": (lambda: models.VAE(16, hidden=(8,), latent_dim=2).decoder, floats(2)),
    "gan_generator": (lambda: models.GAN(hidden=(8,), output_activation="tanh"), floats(2)),
    "dcgan_generator": (lambda: with_statistics(models.DCGAN(latent_dim=4, features=4)), floats(4)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_reference_model_runs_in_onnxruntime_like_neurona(name, tmp_path):
    nr.manual_seed(1)
    build, make_input = MODELS[name]
    check_export(with_statistics(build()), make_input, tmp_path / f"{name}.onnx")


def test_vae_exports_its_three_outputs_and_lstm_its_states(tmp_path):
    proto = check_export(models.VAE(16, hidden=(8,), latent_dim=2), floats(16), tmp_path / "vae.onnx")
    assert [o.name for o in proto.graph.output] == ["output0", "output1", "output2"]
    proto = check_export(nn.LSTM(3, 4, num_layers=2), floats(5, 3), tmp_path / "lstm.onnx")
    assert len(proto.graph.output) == 3  # output, h_n, c_n
    assert sum(n.op_type == "LSTM" for n in proto.graph.node) == 2  # ONNX's recurrent op, one per layer


def test_initializers_are_named_like_the_state_dict(tmp_path):
    model = models.MLP([4, 3, 2])
    proto = nxo.export(model, floats(4)(2), tmp_path / "m.onnx", output_names=["logits"])
    assert [i.name for i in proto.graph.initializer] == list(model.state_dict())
    assert proto.graph.output[0].name == "logits"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # written atomically, no temporary left


class Custom(nn.Module):
    def forward(self, x):
        return x * 2


@pytest.mark.parametrize("model, message", [
    (nn.Sequential(nn.Linear(6, 3), Custom()), "no ONNX exporter for Custom (at '1')"),
    (nn.MaxPool1d(2, return_indices=True), "return_indices=True"),
    (nn.Conv1d(3, 3, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
    (nn.AdaptiveAvgPool1d(2), "output_size=1"),
])
def test_unsupported_layers_are_named(model, message, tmp_path):
    with pytest.raises(nxo.ExportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nxo.export(model, floats(3, 6)(2), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_bad_arguments(tmp_path):
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"opset must be an integer in \[14, 21\], got 9"):
        nxo.export(model, floats(3)(2), tmp_path / "m.onnx", opset=9)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nxo.export(model, floats(3)(2), tmp_path / "missing" / "m.onnx")
    with pytest.raises(TypeError, match="must be a neurona Module"):
        nxo.export(lambda x: x, floats(3)(2), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="must be a batch"):
        nxo.export(model, np.float32(1.0), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="2 output_names"):
        nxo.export(model, floats(3)(2), tmp_path / "m.onnx", output_names=["a", "b"])
