"""neurona.onnx.export_layers: every layer, written as ONNX, passes onnx.checker and runs in onnxruntime
with neurona's outputs (eval mode) to 1e-5 at two batch sizes; every activation, both recurrent layouts,
opsets 14 to 20, and custom exporters."""

from __future__ import annotations

import pytest

import neurona as nr
from neurona import nn
from neurona import onnx as nxo
from onnx_checks import check_export, floats, ids, with_statistics

LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), floats(5)),
    "linear_3d": (lambda: nn.Linear(5, 3), floats(4, 5)),
    "linear_no_bias": (lambda: nn.Linear(5, 3, bias=False), floats(5)),
    "conv1d": (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=1), floats(2, 9)),
    "conv2d": (lambda: nn.Conv2d(2, 4, 3, stride=(1, 2), padding=(1, 0), dilation=(2, 1), groups=2), floats(2, 7, 8)),
    "conv2d_same": (lambda: nn.Conv2d(1, 2, 4, padding="same", bias=False), floats(1, 6, 6)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(2, 3, 4, stride=2, padding=1, output_padding=1), floats(2, 5)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), floats(2, 4, 4)),
    "max_pool1d": (lambda: nn.MaxPool1d(3, stride=2, padding=1), floats(2, 9)),
    "max_pool2d": (lambda: nn.MaxPool2d(2, ceil_mode=True), floats(2, 5, 5)),
    "avg_pool1d": (lambda: nn.AvgPool1d(2), floats(2, 8)),
    "avg_pool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), floats(2, 7, 7)),
    "adaptive_avg_pool1d": (lambda: nn.AdaptiveAvgPool1d(1), floats(3, 7)),
    "adaptive_avg_pool2d": (lambda: nn.AdaptiveAvgPool2d(1), floats(3, 5, 6)),
    "batch_norm1d": (lambda: with_statistics(nn.Sequential(nn.BatchNorm1d(4))), floats(4)),
    "batch_norm1d_seq": (lambda: with_statistics(nn.Sequential(nn.BatchNorm1d(4))), floats(4, 6)),
    "batch_norm2d": (lambda: with_statistics(nn.Sequential(nn.BatchNorm2d(3))), floats(3, 4, 4)),
    "layer_norm": (lambda: nn.LayerNorm((3, 4)), floats(3, 4)),
    "dropout": (lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), floats(4)),
    "flatten": (lambda: nn.Flatten(), floats(2, 3, 4)),
    "flatten_2": (lambda: nn.Flatten(2), floats(2, 3, 4)),
    "unflatten": (lambda: nn.Unflatten(1, (2, 3)), floats(6)),
    "identity": (lambda: nn.Identity(), floats(3)),
    "embedding": (lambda: nn.Embedding(10, 4), ids(10, 5)),
    "relu": (lambda: nn.ReLU(), floats(6)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), floats(6)),
    "elu": (lambda: nn.ELU(0.7), floats(6)),
    "selu": (lambda: nn.SELU(), floats(6)),
    "gelu": (lambda: nn.GELU(), floats(6)),
    "gelu_tanh": (lambda: nn.GELU("tanh"), floats(6)),
    "silu": (lambda: nn.SiLU(), floats(6)),
    "softplus": (lambda: nn.Softplus(beta=2.0, threshold=1.0), floats(6)),
    "sigmoid": (lambda: nn.Sigmoid(), floats(6)),
    "tanh": (lambda: nn.Tanh(), floats(6)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.5), floats(6)),
    "softmax": (lambda: nn.Softmax(dim=1), floats(6)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), floats(6)),
    "rnn_relu": (lambda: nn.RNN(3, 4, nonlinearity="relu"), floats(5, 3)),  # time-major: (N=L here) fine
    "rnn_batch_first": (lambda: nn.RNN(3, 4, batch_first=True, num_layers=2), floats(5, 3)),
    "lstm": (lambda: nn.LSTM(3, 4, batch_first=True), floats(5, 3)),
    "lstm_deep_bidirectional": (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
                                floats(5, 3)),
    "gru": (lambda: nn.GRU(3, 4, batch_first=True, bidirectional=True), floats(5, 3)),
    "gru_no_bias": (lambda: nn.GRU(3, 4, bias=False), floats(5, 3)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_layer_runs_in_onnxruntime_like_neurona(name, tmp_path):
    nr.manual_seed(0)
    build, make_input = LAYERS[name]
    check_export(build(), make_input, tmp_path / f"{name}.onnx")


@pytest.mark.parametrize("opset", [14, 17, 20])
def test_opsets(opset, tmp_path):
    model = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 2))
    proto = check_export(model, floats(4), tmp_path / "m.onnx", opset=opset)
    assert proto.opset_import[0].version == opset
    assert any(n.op_type == "Gelu" for n in proto.graph.node) == (opset >= 20)


def test_custom_layers_can_register_an_exporter(tmp_path):
    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    @nxo.register_exporter(Double)
    def _double(b, m, x, prefix):
        return nxo.Value(b.node("Add", [x.name, x.name]), x.rank)

    check_export(nn.Sequential(nn.Linear(3, 3), Double()), floats(3), tmp_path / "m.onnx")
