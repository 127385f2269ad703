"""neurona.onnx.export: every layer and every reference model, written as ONNX, passes onnx.checker and
runs in onnxruntime with the outputs of neurona (eval mode) to 1e-5, at two batch sizes; bad models and
arguments get clear errors."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import neurona as nr
from neurona import models, nn
from neurona import onnx as nxo
from neurona.tensor import Tensor, no_grad

BATCHES = (1, 3)


def _floats(*shape):
    return lambda n: Tensor(np.random.default_rng(n).standard_normal((n, *shape)).astype(np.float32))


def _ids(vocab, length):
    return lambda n: Tensor(np.random.default_rng(n).integers(0, vocab, (n, length)).astype(np.int64))


def _with_statistics(model):
    """Batch norms with running statistics far from (0, 1), so that eval mode is really tested."""
    rng = np.random.default_rng(7)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            m.running_mean.data[...] = rng.normal(0, 0.5, m.num_features)
            m.running_var.data[...] = rng.uniform(0.5, 2.0, m.num_features)
            m.weight.data[...] = rng.uniform(0.5, 1.5, m.num_features)
            m.bias.data[...] = rng.normal(0, 0.3, m.num_features)
    return model


def _outputs(value):
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in _outputs(item)]
    return [value.numpy()]


def check_export(model, make_input, path, opset=17, atol=1e-5):
    """Export, check, run in onnxruntime at every batch size and compare with neurona's eval outputs."""
    model.train()
    proto = nxo.export(model, make_input(2), path, opset=opset)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert model.training, "export must leave the model in the mode it was in"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    for n in BATCHES:
        x = make_input(n)
        got = session.run(None, {"input": x.numpy()})
        with no_grad():
            expected = _outputs(model(x))
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, atol=atol, rtol=1e-5)
    return proto


LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), _floats(5)),
    "linear_3d": (lambda: nn.Linear(5, 3), _floats(4, 5)),
    "linear_no_bias": (lambda: nn.Linear(5, 3, bias=False), _floats(5)),
    "conv1d": (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=1), _floats(2, 9)),
    "conv2d": (lambda: nn.Conv2d(2, 4, 3, stride=(1, 2), padding=(1, 0), dilation=(2, 1), groups=2), _floats(2, 7, 8)),
    "conv2d_same": (lambda: nn.Conv2d(1, 2, 4, padding="same", bias=False), _floats(1, 6, 6)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(2, 3, 4, stride=2, padding=1, output_padding=1), _floats(2, 5)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), _floats(2, 4, 4)),
    "max_pool1d": (lambda: nn.MaxPool1d(3, stride=2, padding=1), _floats(2, 9)),
    "max_pool2d": (lambda: nn.MaxPool2d(2, ceil_mode=True), _floats(2, 5, 5)),
    "avg_pool1d": (lambda: nn.AvgPool1d(2), _floats(2, 8)),
    "avg_pool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), _floats(2, 7, 7)),
    "adaptive_avg_pool1d": (lambda: nn.AdaptiveAvgPool1d(1), _floats(3, 7)),
    "adaptive_avg_pool2d": (lambda: nn.AdaptiveAvgPool2d(1), _floats(3, 5, 6)),
    "batch_norm1d": (lambda: _with_statistics(nn.Sequential(nn.BatchNorm1d(4))), _floats(4)),
    "batch_norm1d_seq": (lambda: _with_statistics(nn.Sequential(nn.BatchNorm1d(4))), _floats(4, 6)),
    "batch_norm2d": (lambda: _with_statistics(nn.Sequential(nn.BatchNorm2d(3))), _floats(3, 4, 4)),
    "layer_norm": (lambda: nn.LayerNorm((3, 4)), _floats(3, 4)),
    "dropout": (lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), _floats(4)),
    "flatten": (lambda: nn.Flatten(), _floats(2, 3, 4)),
    "flatten_2": (lambda: nn.Flatten(2), _floats(2, 3, 4)),
    "unflatten": (lambda: nn.Unflatten(1, (2, 3)), _floats(6)),
    "identity": (lambda: nn.Identity(), _floats(3)),
    "embedding": (lambda: nn.Embedding(10, 4), _ids(10, 5)),
    "relu": (lambda: nn.ReLU(), _floats(6)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), _floats(6)),
    "elu": (lambda: nn.ELU(0.7), _floats(6)),
    "selu": (lambda: nn.SELU(), _floats(6)),
    "gelu": (lambda: nn.GELU(), _floats(6)),
    "gelu_tanh": (lambda: nn.GELU("tanh"), _floats(6)),
    "silu": (lambda: nn.SiLU(), _floats(6)),
    "softplus": (lambda: nn.Softplus(beta=2.0, threshold=1.0), _floats(6)),
    "sigmoid": (lambda: nn.Sigmoid(), _floats(6)),
    "tanh": (lambda: nn.Tanh(), _floats(6)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.5), _floats(6)),
    "softmax": (lambda: nn.Softmax(dim=1), _floats(6)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), _floats(6)),
    "rnn_relu": (lambda: nn.RNN(3, 4, nonlinearity="relu"), _floats(5, 3)),  # time-major: (N=L here) fine
    "rnn_batch_first": (lambda: nn.RNN(3, 4, batch_first=True, num_layers=2), _floats(5, 3)),
    "lstm": (lambda: nn.LSTM(3, 4, batch_first=True), _floats(5, 3)),
    "lstm_deep_bidirectional": (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
                                _floats(5, 3)),
    "gru": (lambda: nn.GRU(3, 4, batch_first=True, bidirectional=True), _floats(5, 3)),
    "gru_no_bias": (lambda: nn.GRU(3, 4, bias=False), _floats(5, 3)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_layer_runs_in_onnxruntime_like_neurona(name, tmp_path):
    nr.manual_seed(0)
    build, make_input = LAYERS[name]
    check_export(build(), make_input, tmp_path / f"{name}.onnx")


MODELS = {
    "mlp": (lambda: models.MLP([6, 8, 8, 3], activation="gelu", dropout=0.2, batchnorm=True), _floats(6)),
    "mlp_images": (lambda: models.MLP([16, 5, 2]), _floats(1, 4, 4)),
    "lenet5": (lambda: models.LeNet5(input_size=8), _floats(1, 8, 8)),
    "lenet5_flat_tanh_avg": (lambda: models.LeNet5(input_size=8, activation="tanh", pooling="avg"), _floats(64)),
    "convnet": (lambda: models.ConvNet(channels=(4, 8), dropout=0.1), _floats(1, 8, 8)),
    "conv1dnet": (lambda: models.Conv1dNet(channels=(4, 6), kernel_size=3), _floats(1, 16)),
    "conv1dnet_flat": (lambda: models.Conv1dNet(channels=(4,), batchnorm=False), _floats(12)),
    "sequence_lstm": (lambda: models.SequenceClassifier(input_size=3, hidden_size=5, cell="lstm", num_layers=2),
                      _floats(4, 3)),
    "sequence_gru_bidirectional": (lambda: models.SequenceClassifier(input_size=3, hidden_size=5, cell="gru",
                                                                     bidirectional=True, dropout=0.3), _floats(4, 3)),
    "sequence_rnn_tokens": (lambda: models.SequenceClassifier(vocab_size=11, embedding_dim=4, hidden_size=5,
                                                              cell="rnn"), _ids(11, 6)),
    "seq2one": (lambda: models.Seq2One(hidden_size=5, horizon=2), _floats(7)),
    "seq2one_gru": (lambda: models.Seq2One(input_size=2, hidden_size=5, cell="gru"), _floats(7, 2)),
    "dense_autoencoder": (lambda: models.DenseAutoencoder(16, hidden=(8,), latent_dim=3), _floats(1, 4, 4)),
    "conv_autoencoder": (lambda: models.ConvAutoencoder(latent_dim=4, channels=(4, 8)), _floats(1, 8, 8)),
    "vae": (lambda: models.VAE(16, hidden=(8,), latent_dim=2), _floats(16)),
    "vae_decoder": (lambda: models.VAE(16, hidden=(8,), latent_dim=2).decoder, _floats(2)),
    "gan_generator": (lambda: models.GAN(hidden=(8,), output_activation="tanh"), _floats(2)),
    "dcgan_generator": (lambda: _with_statistics(models.DCGAN(latent_dim=4, features=4)), _floats(4)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_reference_model_runs_in_onnxruntime_like_neurona(name, tmp_path):
    nr.manual_seed(1)
    build, make_input = MODELS[name]
    check_export(_with_statistics(build()), make_input, tmp_path / f"{name}.onnx")


def test_vae_exports_its_three_outputs_and_lstm_its_states(tmp_path):
    proto = check_export(models.VAE(16, hidden=(8,), latent_dim=2), _floats(16), tmp_path / "vae.onnx")
    assert [o.name for o in proto.graph.output] == ["output0", "output1", "output2"]
    proto = check_export(nn.LSTM(3, 4, num_layers=2), _floats(5, 3), tmp_path / "lstm.onnx")
    assert len(proto.graph.output) == 3  # output, h_n, c_n
    assert sum(n.op_type == "LSTM" for n in proto.graph.node) == 2  # ONNX's recurrent op, one per layer


@pytest.mark.parametrize("opset", [14, 17, 20])
def test_opsets(opset, tmp_path):
    model = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 2))
    proto = check_export(model, _floats(4), tmp_path / "m.onnx", opset=opset)
    assert proto.opset_import[0].version == opset
    assert any(n.op_type == "Gelu" for n in proto.graph.node) == (opset >= 20)


def test_initializers_are_named_like_the_state_dict(tmp_path):
    model = models.MLP([4, 3, 2])
    proto = nxo.export(model, _floats(4)(2), tmp_path / "m.onnx", output_names=["logits"])
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
        nxo.export(model, _floats(3, 6)(2), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_bad_arguments(tmp_path):
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"opset must be an integer in \[14, 21\], got 9"):
        nxo.export(model, _floats(3)(2), tmp_path / "m.onnx", opset=9)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nxo.export(model, _floats(3)(2), tmp_path / "missing" / "m.onnx")
    with pytest.raises(TypeError, match="must be a neurona Module"):
        nxo.export(lambda x: x, _floats(3)(2), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="must be a batch"):
        nxo.export(model, np.float32(1.0), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="2 output_names"):
        nxo.export(model, _floats(3)(2), tmp_path / "m.onnx", output_names=["a", "b"])


def test_custom_layers_can_register_an_exporter(tmp_path):
    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    @nxo.register_exporter(Double)
    def _double(b, m, x, prefix):
        return nxo.Value(b.node("Add", [x.name, x.name]), x.rank)

    check_export(nn.Sequential(nn.Linear(3, 3), Double()), _floats(3), tmp_path / "m.onnx")
