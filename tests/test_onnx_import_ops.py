"""neurona.onnx.import_ops: every op handler, on a one-node graph built with onnx.helper, gives what
onnxruntime gives (to 1e-5); what neurona cannot compute is refused with the op and the node named."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper, shape_inference

from neurona import onnx as nxo

RNG = np.random.default_rng(0)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


# op -> (graph inputs {name: array}, constant inputs {name: array}, input order, attributes, outputs)
CASES = {
    "Relu": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Sigmoid": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Tanh": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Exp": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Log": ({"x": np.abs(f32(2, 3)) + 0.1}, {}, ["x"], {}, 1),
    "Neg": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Sqrt": ({"x": np.abs(f32(2, 3))}, {}, ["x"], {}, 1),
    "Abs": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Erf": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Add": ({"x": f32(2, 3)}, {"c": f32(3)}, ["x", "c"], {}, 1),
    "Sub": ({"x": f32(2, 3)}, {"c": f32(2, 1)}, ["x", "c"], {}, 1),
    "Mul": ({"x": f32(2, 3)}, {"c": f32(3)}, ["x", "c"], {}, 1),
    "Div": ({"x": f32(2, 3)}, {"c": np.abs(f32(3)) + 0.5}, ["x", "c"], {}, 1),
    "Pow": ({"x": np.abs(f32(2, 3)) + 0.1}, {"c": np.array(2.5, np.float32)}, ["x", "c"], {}, 1),
    "LeakyRelu": ({"x": f32(2, 3)}, {}, ["x"], {"alpha": 0.2}, 1),
    "Elu": ({"x": f32(2, 3)}, {}, ["x"], {"alpha": 0.5}, 1),
    "Selu": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Softplus": ({"x": f32(2, 3) * 5}, {}, ["x"], {}, 1),
    "Softmax": ({"x": f32(2, 3, 4)}, {}, ["x"], {"axis": 1}, 1),
    "LogSoftmax": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Clip": ({"x": f32(2, 3)}, {"lo": np.array(-0.5, np.float32), "hi": np.array(0.3, np.float32)},
             ["x", "lo", "hi"], {}, 1),
    "Identity": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Dropout": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "MatMul": ({"x": f32(2, 4, 3)}, {"w": f32(3, 5)}, ["x", "w"], {}, 1),
    "Gemm": ({"x": f32(3, 2)}, {"w": f32(3, 4), "c": f32(4)}, ["x", "w", "c"],
             {"transA": 1, "alpha": 0.5, "beta": 2.0}, 1),
    "Conv": ({"x": f32(2, 3, 7, 6)}, {"w": f32(4, 3, 3, 2), "b": f32(4)}, ["x", "w", "b"],
             {"strides": [2, 1], "pads": [1, 0, 1, 0], "dilations": [1, 2]}, 1),
    "ConvTranspose": ({"x": f32(2, 3, 5)}, {"w": f32(3, 2, 4)}, ["x", "w"],
                      {"strides": [2], "pads": [1, 1], "output_padding": [1]}, 1),
    "MaxPool": ({"x": f32(2, 3, 7, 7)}, {}, ["x"], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, 1),
    "AveragePool": ({"x": f32(2, 3, 9)}, {}, ["x"], {"kernel_shape": [3], "strides": [2], "ceil_mode": 1}, 1),
    "GlobalAveragePool": ({"x": f32(2, 3, 4, 5)}, {}, ["x"], {}, 1),
    "BatchNormalization": ({"x": f32(2, 3, 4)}, {"s": f32(3), "b": f32(3), "m": f32(3), "v": np.abs(f32(3)) + 0.5},
                           ["x", "s", "b", "m", "v"], {"epsilon": 1e-3}, 1),
    "LayerNormalization": ({"x": f32(2, 3, 4)}, {"s": f32(3, 4), "b": f32(3, 4)}, ["x", "s", "b"], {"axis": 1}, 1),
    "Flatten": ({"x": f32(2, 3, 4)}, {}, ["x"], {"axis": 2}, 1),
    "Reshape": ({"x": f32(2, 3, 4)}, {"s": i64(0, -1, 2)}, ["x", "s"], {}, 1),
    "Transpose": ({"x": f32(2, 3, 4)}, {}, ["x"], {"perm": [2, 0, 1]}, 1),
    "Squeeze": ({"x": f32(2, 1, 4)}, {"a": i64(1)}, ["x", "a"], {}, 1),
    "Unsqueeze": ({"x": f32(2, 4)}, {"a": i64(0, -1)}, ["x", "a"], {}, 1),
    "Concat": ({"x": f32(2, 3)}, {"c": f32(2, 2)}, ["x", "c"], {"axis": 1}, 1),
    "Gather": ({"x": f32(5, 3)}, {"i": i64(4, 0, 4)}, ["x", "i"], {"axis": 0}, 1),
    "Slice": ({"x": f32(4, 6)}, {"s": i64(1, -1), "e": i64(100, 0), "a": i64(0, 1), "t": i64(1, -2)},
              ["x", "s", "e", "a", "t"], {}, 1),
    "Expand": ({"x": f32(3, 1)}, {"s": i64(2, 3, 4)}, ["x", "s"], {}, 1),
    "Where": ({"x": f32(2, 3)}, {"k": RNG.random((2, 3)) > 0.5, "y": f32(3)}, ["k", "x", "y"], {}, 1),
    "Cast": ({"x": f32(2, 3) * 4}, {}, ["x"], {"to": TensorProto.INT64}, 1),
    "Shape": ({"x": f32(2, 3)}, {}, ["x"], {}, 1),
    "Greater": ({"x": f32(2, 3)}, {"c": f32(3)}, ["x", "c"], {}, 1),
    "Equal": ({"x": np.round(f32(2, 3))}, {"c": np.zeros(3, np.float32)}, ["x", "c"], {}, 1),
    "Less": ({"x": f32(2, 3)}, {"c": f32(3)}, ["x", "c"], {}, 1),
    "Constant": ({}, {}, [], {"value": numpy_helper.from_array(f32(2, 2))}, 1),
    "ConstantOfShape": ({}, {"s": i64(2, 3)}, ["s"], {"value": numpy_helper.from_array(np.array([1.5], np.float32))},
                        1),
    "LSTM": ({"x": f32(5, 2, 3)}, {"w": f32(2, 16, 3), "r": f32(2, 16, 4), "b": f32(2, 32), "h": f32(2, 2, 4),
                                   "c": f32(2, 2, 4)},
             ["x", "w", "r", "b", "", "h", "c"], {"hidden_size": 4, "direction": "bidirectional"}, 3),
    "GRU": ({"x": f32(5, 2, 3)}, {"w": f32(1, 12, 3), "r": f32(1, 12, 4), "b": f32(1, 24)}, ["x", "w", "r", "b"],
            {"hidden_size": 4, "linear_before_reset": 1, "direction": "reverse"}, 2),
    "RNN": ({"x": f32(5, 2, 3)}, {"w": f32(1, 4, 3), "r": f32(1, 4, 4)}, ["x", "w", "r"],
            {"hidden_size": 4, "activations": ["Relu"]}, 2),
}


def one_node_model(op, inputs, constants, order, attrs, n_outputs, opset=17):
    dtype = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}
    graph_inputs = [helper.make_tensor_value_info(n, dtype[a.dtype], a.shape) for n, a in inputs.items()]
    outputs = [f"y{i}" for i in range(n_outputs)]
    node = helper.make_node(op, order, outputs, name=f"the_{op.lower()}", **attrs)
    graph = helper.make_graph([node], op, graph_inputs, [helper.make_empty_tensor_value_info(o) for o in outputs],
                              [numpy_helper.from_array(np.asarray(a), n) for n, a in constants.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    return shape_inference.infer_shapes(model, strict_mode=True)  # fills in the outputs' types and shapes


@pytest.mark.parametrize("op", list(CASES))
def test_op_matches_onnxruntime(op, tmp_path):
    inputs, constants, order, attrs, n_outputs = CASES[op]
    proto = one_node_model(op, inputs, constants, order, attrs, n_outputs)
    path = tmp_path / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    expected = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, inputs)
    got = nxo.load(path)(*inputs.values())
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g.numpy(), e, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("op, outputs", [("LSTM", 3), ("GRU", 2)])
def test_batch_first_layout_equals_time_major(op, outputs, tmp_path):
    """layout=1 (batch first; onnxruntime's CPU provider refuses it) gives layout=0's results, transposed."""
    inputs, constants, order, attrs, _ = CASES[op]
    x = inputs["x"]
    results = []
    for layout, data in ((0, x), (1, np.ascontiguousarray(x.transpose(1, 0, 2)))):
        proto = one_node_model(op, {"x": data}, constants, order, {**attrs, "layout": layout}, outputs)
        path = tmp_path / f"m{layout}.onnx"
        path.write_bytes(proto.SerializeToString())
        results.append([t.numpy() for t in nxo.load(path)(data)])
    (y0, h0, *c0), (y1, h1, *c1) = results
    np.testing.assert_allclose(y1, y0.transpose(2, 0, 1, 3), atol=1e-6)
    np.testing.assert_allclose(h1, h0.transpose(1, 0, 2), atol=1e-6)
    for a, b in zip(c1, c0):
        np.testing.assert_allclose(a, b.transpose(1, 0, 2), atol=1e-6)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_of_opset_20(approximate, tmp_path):
    x = f32(2, 5) * 3
    proto = one_node_model("Gelu", {"x": x}, {}, ["x"], {"approximate": approximate}, 1, opset=20)
    path = tmp_path / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    (expected,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(nxo.load(path)(x).numpy(), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("op, attrs, message", [
    ("LSTM", {"hidden_size": 4, "clip": 1.0}, "cell clipping"),
    ("LSTM", {"hidden_size": 4, "input_forget": 1}, "input_forget=1"),
    ("LSTM", {"hidden_size": 4, "activations": ["Sigmoid", "Relu", "Tanh"]}, "activations"),
])
def test_recurrent_variants_neurona_lacks_are_refused(op, attrs, message, tmp_path):
    case = CASES[op]
    proto = one_node_model(op, case[0], {k: v[:1] for k, v in case[1].items() if k in "wrb"}, ["x", "w", "r", "b"],
                           attrs, 3)
    path = tmp_path / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(nxo.UnsupportedOpError, match=rf"'LSTM' \(node 'the_lstm'\): .*{message}"):
        nxo.load(path)


def test_asymmetric_pads_are_refused_with_the_node_named(tmp_path):
    proto = one_node_model("MaxPool", {"x": f32(1, 1, 4, 4)}, {}, ["x"], {"kernel_shape": [2, 2],
                                                                          "pads": [0, 0, 1, 1]}, 1)
    path = tmp_path / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    model = nxo.load(path)
    with pytest.raises(nxo.UnsupportedOpError, match=r"'MaxPool' \(node 'the_maxpool'\): asymmetric pads"):
        model(f32(1, 1, 4, 4))
