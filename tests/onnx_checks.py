"""Shared by the ONNX export tests: inputs, batch-norm statistics, and the export -> onnx.checker ->
onnxruntime -> compare-with-neurona check."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

from neurona import nn
from neurona import onnx as nxo
from neurona.tensor import Tensor, no_grad

BATCHES = (1, 3)


def floats(*shape):
    return lambda n: Tensor(np.random.default_rng(n).standard_normal((n, *shape)).astype(np.float32))


def ids(vocab, length):
    return lambda n: Tensor(np.random.default_rng(n).integers(0, vocab, (n, length)).astype(np.int64))


def with_statistics(model):
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
