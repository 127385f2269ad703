"""What each ONNX op means in neurona: one handler per op type, built from neurona's differentiable ops.

A handler is ``fn(node, inputs) -> list of outputs``. ``node`` gives the op's ``name``, ``op_type``
and ``attrs`` (a dict with ONNX's defaults unfilled); ``inputs`` holds, per input, a
:class:`~neurona.tensor.Tensor` (what flows from the graph's inputs and the trainable weights, so
gradients reach them), a NumPy array (constants and shape arithmetic, computed in NumPy) or None (an
optional input left out). Graphs of inference are read as such: ``BatchNormalization`` uses its stored
statistics and ``Dropout`` passes its input through, in ``train()`` mode too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from neurona import ops
from neurona.onnx._graph import UnsupportedOpError
from neurona.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from neurona.ops.normalization import batch_norm, layer_norm
from neurona.ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from neurona.ops.rnn import gru_layer, lstm_layer, rnn_layer
from neurona.tensor import Tensor

Handler = Callable[[Any, list], list]
HANDLERS: dict[str, Handler] = {}


def handles(*op_types: str) -> Callable[[Handler], Handler]:
    def add(fn: Handler) -> Handler:
        for op in op_types:
            HANDLERS[op] = fn
        return fn
    return add


def unsupported(node: Any, why: str) -> UnsupportedOpError:
    return UnsupportedOpError(f"ONNX op {node.op_type!r} (node {node.name!r}): {why}")


def as_tensor(v: Any) -> Tensor:
    return v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v))


def as_array(v: Any) -> np.ndarray:
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def _ints(v: Any) -> list[int]:
    return [int(i) for i in as_array(v).reshape(-1)]


# ---- elementwise ----------------------------------------------------------------------------------
_UNARY = {"Relu": (ops.relu, lambda a: np.maximum(a, 0)), "Sigmoid": (ops.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
          "Tanh": (ops.tanh, np.tanh), "Exp": (ops.exp, np.exp), "Log": (ops.log, np.log),
          "Neg": (ops.neg, np.negative), "Sqrt": (ops.sqrt, np.sqrt), "Abs": (ops.abs, np.abs),
          "Erf": (ops.erf, None)}
_BINARY = {"Add": (ops.add, np.add), "Sub": (ops.sub, np.subtract), "Mul": (ops.mul, np.multiply),
           "Div": (ops.div, None), "Pow": (ops.pow, np.power)}


@handles(*_UNARY)
def _unary(node, inputs):
    tensor_fn, array_fn = _UNARY[node.op_type]
    (x,) = inputs[:1]
    if isinstance(x, np.ndarray) and array_fn is not None:
        return [array_fn(x)]
    return [tensor_fn(as_tensor(x))]


@handles(*_BINARY)
def _binary(node, inputs):
    tensor_fn, array_fn = _BINARY[node.op_type]
    a, b = inputs[:2]
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if node.op_type == "Div":
            return [a // b if a.dtype.kind in "iu" else a / b]
        return [array_fn(a, b)]
    return [tensor_fn(as_tensor(a), as_tensor(b))]


@handles("Mod")
def _mod(node, inputs):
    a, b = inputs
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        raise unsupported(node, "Mod of tensors that flow from the graph's inputs (only shape arithmetic is supported)")
    return [np.fmod(a, b) if node.attrs.get("fmod", 0) else np.mod(a, b)]


@handles("LeakyRelu")
def _leaky_relu(node, inputs):
    return [ops.leaky_relu(as_tensor(inputs[0]), node.attrs.get("alpha", 0.01))]


@handles("Elu")
def _elu(node, inputs):
    return [ops.elu(as_tensor(inputs[0]), node.attrs.get("alpha", 1.0))]


@handles("Selu")
def _selu(node, inputs):
    alpha, gamma = node.attrs.get("alpha", 1.67326319217681884765625), node.attrs.get("gamma", 1.05070102214813232421875)
    return [ops.elu(as_tensor(inputs[0]), alpha) * gamma]


@handles("Softplus")
def _softplus(node, inputs):
    return [ops.softplus(as_tensor(inputs[0]), 1.0, 30.0)]


@handles("Gelu")
def _gelu(node, inputs):
    return [ops.gelu(as_tensor(inputs[0]), node.attrs.get("approximate", "none"))]


@handles("Softmax", "LogSoftmax")
def _softmax(node, inputs):
    fn = ops.softmax if node.op_type == "Softmax" else ops.log_softmax
    return [fn(as_tensor(inputs[0]), node.attrs.get("axis", -1))]


@handles("Clip")
def _clip(node, inputs):
    low, high = (None if v is None else float(as_array(v)) for v in ([*inputs, None, None])[1:3])
    return [ops.clamp(as_tensor(inputs[0]), low, high)]


@handles("Greater", "Less", "Equal")
def _compare(node, inputs):
    fn = {"Greater": np.greater, "Less": np.less, "Equal": np.equal}[node.op_type]
    return [fn(as_array(inputs[0]), as_array(inputs[1]))]


@handles("Where")
def _where(node, inputs):
    cond, a, b = inputs
    if all(isinstance(v, np.ndarray) for v in inputs):
        return [np.where(cond, a, b)]
    return [ops.where(as_array(cond), as_tensor(a), as_tensor(b))]


@handles("Identity", "Dropout")
def _identity(node, inputs):
    return [inputs[0]]  # Dropout of an inference graph passes its input through


@handles("Cast")
def _cast(node, inputs):
    from onnx import helper

    dtype = helper.tensor_dtype_to_np_dtype(node.attrs["to"])
    x = inputs[0]
    return [x.astype(dtype) if isinstance(x, np.ndarray) else ops.cast(x, dtype)]


# ---- linear algebra, convolution, pooling, normalisation ------------------------------------------------
@handles("MatMul")
def _matmul(node, inputs):
    a, b = inputs
    return [ops.matmul(as_tensor(a), as_tensor(b))]


@handles("Gemm")
def _gemm(node, inputs):
    """Y = alpha A' B' + beta C, with A' = A^T if transA and B' = B^T if transB."""
    a, b, c = ([*inputs, None])[:3]
    alpha, beta = node.attrs.get("alpha", 1.0), node.attrs.get("beta", 1.0)
    a, b = as_tensor(a), as_tensor(b)
    if node.attrs.get("transA", 0):
        a = ops.transpose(a, 0, 1)
    if node.attrs.get("transB", 0) and alpha == 1.0 and beta == 1.0:  # torch's Linear: x W^T + b
        return [ops.linear(a, b, None if c is None else as_tensor(c))]
    y = ops.matmul(a, ops.transpose(b, 0, 1) if node.attrs.get("transB", 0) else b)
    y = y * alpha if alpha != 1.0 else y
    if c is not None:
        y = y + (as_tensor(c) * beta if beta != 1.0 else as_tensor(c))
    return [y]


def _spatial(node: Any, x: Any, what: str) -> int:
    nd = as_tensor(x).ndim - 2
    if nd not in (1, 2):
        raise unsupported(node, f"{what} over {nd} spatial dimension(s); neurona has 1-D and 2-D {what}")
    if node.attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise unsupported(node, f"auto_pad={node.attrs['auto_pad']!r}; export with explicit pads")
    return nd


def _pads(node: Any, nd: int) -> tuple[int, ...]:
    pads = list(node.attrs.get("pads", [0] * 2 * nd))
    if pads[:nd] != pads[nd:]:
        raise unsupported(node, f"asymmetric pads {pads}; neurona pads both sides alike")
    return tuple(pads[:nd])


def _one_or_pair(values: tuple[int, ...] | list[int], nd: int) -> Any:
    return int(values[0]) if nd == 1 else tuple(int(v) for v in values)


@handles("Conv", "ConvTranspose")
def _conv(node, inputs):
    x, w, b = ([*inputs, None])[:3]
    nd = _spatial(node, x, "convolution")
    a = node.attrs
    stride = _one_or_pair(a.get("strides", [1] * nd), nd)
    dilation = _one_or_pair(a.get("dilations", [1] * nd), nd)
    padding = _one_or_pair(_pads(node, nd), nd)
    group = int(a.get("group", 1))
    x, w, b = as_tensor(x), as_tensor(w), None if b is None else as_tensor(b)
    if node.op_type == "Conv":
        return [(conv1d if nd == 1 else conv2d)(x, w, b, stride, padding, dilation, group)]
    if "output_shape" in a:
        raise unsupported(node, "output_shape; export with output_padding instead")
    output_padding = _one_or_pair(a.get("output_padding", [0] * nd), nd)
    return [(conv_transpose1d if nd == 1 else conv_transpose2d)(x, w, b, stride, padding, output_padding, group,
                                                                dilation)]


@handles("MaxPool", "AveragePool")
def _pool(node, inputs):
    x = as_tensor(inputs[0])
    nd = _spatial(node, x, "pooling")
    a = node.attrs
    kernel = _one_or_pair(a["kernel_shape"], nd)
    stride = _one_or_pair(a.get("strides", [1] * nd), nd)
    padding = _one_or_pair(_pads(node, nd), nd)
    ceil_mode = bool(a.get("ceil_mode", 0))
    if node.op_type == "MaxPool":
        if len(node.outputs) > 1 and node.outputs[1]:
            raise unsupported(node, "the Indices output of MaxPool")
        dilation = _one_or_pair(a.get("dilations", [1] * nd), nd)
        return [(max_pool1d if nd == 1 else max_pool2d)(x, kernel, stride, padding, dilation, ceil_mode)]
    include_pad = bool(a.get("count_include_pad", 0))
    return [(avg_pool1d if nd == 1 else avg_pool2d)(x, kernel, stride, padding, ceil_mode, include_pad)]


@handles("GlobalAveragePool")
def _global_average_pool(node, inputs):
    x = as_tensor(inputs[0])
    return [ops.mean(x, tuple(range(2, x.ndim)), keepdim=True)]


@handles("BatchNormalization")
def _batch_norm(node, inputs):
    if node.attrs.get("training_mode", 0):
        raise unsupported(node, "training_mode=1; export the model in eval mode")
    x, scale, shift, mean, var = inputs[:5]
    return [batch_norm(as_tensor(x), as_tensor(mean), as_tensor(var), as_tensor(scale), as_tensor(shift),
                       training=False, eps=node.attrs.get("epsilon", 1e-5))]


@handles("LayerNormalization")
def _layer_norm(node, inputs):
    x, scale, shift = ([*inputs, None])[:3]
    x = as_tensor(x)
    axis = node.attrs.get("axis", -1) % x.ndim
    return [layer_norm(x, tuple(x.shape[axis:]), as_tensor(scale), None if shift is None else as_tensor(shift),
                       node.attrs.get("epsilon", 1e-5))]


# ---- shapes ------------------------------------------------------------------------------------------
@handles("Shape")
def _shape(node, inputs):
    shape = np.array(as_array(inputs[0]).shape, dtype=np.int64)
    start, end = node.attrs.get("start", 0), node.attrs.get("end", None)
    return [shape[start:end]]


@handles("Constant")
def _constant(node, inputs):
    return [node.constant]


@handles("ConstantOfShape")
def _constant_of_shape(node, inputs):
    value = node.constant if node.constant is not None else np.zeros(1, np.float32)
    return [np.full(_ints(inputs[0]), value.reshape(-1)[0], dtype=value.dtype)]


def _target_shape(node: Any, x_shape: tuple, shape: list[int]) -> list[int]:
    if node.attrs.get("allowzero", 0):
        return shape
    return [x_shape[i] if s == 0 else s for i, s in enumerate(shape)]


@handles("Reshape")
def _reshape(node, inputs):
    x = inputs[0]
    shape = _target_shape(node, tuple(as_array(x).shape), _ints(inputs[1]))
    return [x.reshape(shape) if isinstance(x, np.ndarray) else ops.reshape(x, *shape)]


@handles("Flatten")
def _flatten(node, inputs):
    x = inputs[0]
    axis = node.attrs.get("axis", 1) % max(as_array(x).ndim, 1)
    rows = int(np.prod(as_array(x).shape[:axis], dtype=np.int64))
    return [x.reshape(rows, -1) if isinstance(x, np.ndarray) else ops.reshape(x, rows, -1)]


@handles("Transpose")
def _transpose(node, inputs):
    x = inputs[0]
    perm = node.attrs.get("perm", list(range(as_array(x).ndim))[::-1])
    return [np.transpose(x, perm) if isinstance(x, np.ndarray) else ops.permute(x, *perm)]


def _axes(node: Any, inputs: list) -> list[int] | None:
    if len(inputs) > 1 and inputs[1] is not None:
        return _ints(inputs[1])
    return list(node.attrs["axes"]) if "axes" in node.attrs else None


@handles("Squeeze")
def _squeeze(node, inputs):
    x, axes = inputs[0], _axes(node, inputs)
    if isinstance(x, np.ndarray):
        return [np.squeeze(x, axis=None if axes is None else tuple(axes))]
    return [ops.squeeze(x, None if axes is None else tuple(a % x.ndim for a in axes))]


@handles("Unsqueeze")
def _unsqueeze(node, inputs):
    x, axes = inputs[0], _axes(node, inputs)
    rank = as_array(x).ndim + len(axes)
    for axis in sorted(a % rank for a in axes):
        x = np.expand_dims(x, axis) if isinstance(x, np.ndarray) else ops.unsqueeze(x, axis)
    return [x]


@handles("Concat")
def _concat(node, inputs):
    parts, axis = [v for v in inputs if v is not None], node.attrs["axis"]
    if all(isinstance(v, np.ndarray) for v in parts):
        return [np.concatenate(parts, axis=axis)]
    return [ops.cat([as_tensor(v) for v in parts], dim=axis)]


@handles("Gather")
def _gather(node, inputs):
    data, indices = inputs
    axis = node.attrs.get("axis", 0)
    index = as_array(indices).astype(np.int64)
    if isinstance(data, np.ndarray):
        return [np.take(data, index, axis=axis)]
    key = (slice(None),) * (axis % data.ndim) + (index if index.ndim else int(index),)
    return [ops.getitem(data, key)]  # Gather(weights, ids) on axis 0 is an embedding lookup


@handles("Slice")
def _slice(node, inputs):
    x = inputs[0]
    starts, ends = _ints(inputs[1]), _ints(inputs[2])
    rank = as_array(x).ndim
    axes = _ints(inputs[3]) if len(inputs) > 3 and inputs[3] is not None else list(range(len(starts)))
    steps = _ints(inputs[4]) if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
    key = [slice(None)] * rank
    for start, end, axis, step in zip(starts, ends, axes, steps):
        key[axis % rank] = slice(start, end, step)  # Python clamps out-of-range bounds as ONNX does
    return [x[tuple(key)] if isinstance(x, np.ndarray) else ops.getitem(x, tuple(key))]


@handles("Expand")
def _expand(node, inputs):
    x, shape = inputs[0], tuple(_ints(inputs[1]))
    target = np.broadcast_shapes(as_array(x).shape, shape)
    return [np.broadcast_to(x, target).copy() if isinstance(x, np.ndarray) else ops.broadcast_to(x, target)]


# ---- recurrent layers --------------------------------------------------------------------------------
# ONNX's gate order -> torch's (neurona's): LSTM (i, o, f, c) -> (i, f, g, o); GRU (z, r, h) -> (r, z, n)
_TORCH_GATES = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}
_LAYERS = {"LSTM": lstm_layer, "GRU": gru_layer, "RNN": rnn_layer}


def check_recurrent(node: Any) -> None:
    """Refuse, at load time, the recurrent variants neurona's layers do not compute."""
    a = node.attrs
    if a.get("clip") is not None:
        raise unsupported(node, "cell clipping (clip)")
    if a.get("input_forget", 0):
        raise unsupported(node, "input_forget=1 (coupled input and forget gates)")
    if node.op_type == "GRU" and not a.get("linear_before_reset", 0):
        raise unsupported(node, "linear_before_reset=0; neurona's (and torch's) GRU applies the reset gate "
                                "after W_hn h + b_hn (linear_before_reset=1)")
    expected = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}.get(node.op_type)
    acts = a.get("activations", [])
    if a.get("direction", "forward") not in ("forward", "reverse", "bidirectional"):
        raise unsupported(node, f"direction={a['direction']!r}; expected forward, reverse or bidirectional")
    directions = 2 if a.get("direction", "forward") == "bidirectional" else 1
    if node.op_type == "RNN":
        if acts and (len(set(acts)) != 1 or acts[0] not in ("Tanh", "Relu")):
            raise unsupported(node, f"activations {acts}; neurona's RNN takes Tanh or Relu")
    elif acts and acts != expected * directions:
        raise unsupported(node, f"activations {acts}; neurona's {node.op_type} uses {expected}")
    if len(node.inputs) > 4 and node.inputs[4]:
        raise unsupported(node, "sequence_lens (sequences of different lengths in one batch)")
    if node.op_type == "LSTM" and len(node.inputs) > 7 and node.inputs[7]:
        raise unsupported(node, "peephole weights (P)")


@handles("RNN", "LSTM", "GRU")
def _recurrent(node, inputs):
    op, a = node.op_type, node.attrs
    x, w, r, b = (inputs + [None] * 4)[:4]
    h_init = inputs[5] if len(inputs) > 5 else None
    c_init = inputs[6] if len(inputs) > 6 else None
    x, w, r = as_tensor(x), as_tensor(w), as_tensor(r)
    if a.get("layout", 0):
        x = ops.transpose(x, 0, 1)
    hidden = int(a["hidden_size"])
    gates = len(_TORCH_GATES[op])
    rows = np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in _TORCH_GATES[op]])
    reverses = {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[a.get("direction", "forward")]
    zeros = Tensor._wrap(np.zeros((x.shape[1], hidden), dtype=x.dtype))
    extra = {}
    if op == "RNN" and a.get("activations"):
        extra["nonlinearity"] = a["activations"][0].lower()
    outputs, finals_h, finals_c = [], [], []
    for d, reverse in enumerate(reverses):
        weights = [ops.getitem(ops.getitem(w, d), rows), ops.getitem(ops.getitem(r, d), rows)]
        if b is not None:
            bias = ops.getitem(as_tensor(b), d)
            weights += [ops.getitem(bias, rows), ops.getitem(bias, rows + gates * hidden)]
        states = [zeros if h_init is None else ops.getitem(as_tensor(h_init), d)]
        if op == "LSTM":
            states.append(zeros if c_init is None else ops.getitem(as_tensor(c_init), d))
        y, *last = _LAYERS[op](x, *states, *weights, reverse=reverse, **extra)
        outputs.append(y)
        finals_h.append(last[0])
        if op == "LSTM":
            finals_c.append(last[1])
    y = ops.stack(outputs, dim=1)  # (T, D, N, H)
    if a.get("layout", 0):
        y = ops.permute(y, 2, 0, 1, 3)
    h_n = ops.stack(finals_h, dim=1 if a.get("layout", 0) else 0)
    results = [y, h_n]
    if op == "LSTM":
        results.append(ops.stack(finals_c, dim=1 if a.get("layout", 0) else 0))
    return results
