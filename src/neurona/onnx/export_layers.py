"""One exporter per layer: how each neurona layer is written as ONNX nodes.

An exporter is ``fn(b, module, x, prefix) -> Value`` (or a tuple of Values for layers with several
outputs): it reads the layer's arguments and weights, appends nodes to the :class:`GraphBuilder`
``b`` and returns what the layer's forward returns. ``prefix`` is the layer's state-dict prefix
(``"3."``), used to name the initializers as ``state_dict`` names the weights. Layers are exported
in eval mode: batch norm uses its running statistics and dropout is left out, as in inference.

:func:`register_exporter` adds an exporter for a new layer class; :func:`export_module` finds the
exporter of a module by its class (the nearest registered base class wins).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from neurona import nn
from neurona.nn.conv import _ConvTranspose
from neurona.nn.normalization import _BatchNorm
from neurona.nn.recurrent import RNNBase
from neurona.onnx._graph import ExportError, GraphBuilder, Value
from neurona.ops.activation import SELU_ALPHA, SELU_SCALE
from neurona.ops.conv import conv_padding
from neurona.ops.window import ntuple

Exporter = Callable[[GraphBuilder, Any, Value, str], Any]
EXPORTERS: dict[type, Exporter] = {}


def register_exporter(cls: type) -> Callable[[Exporter], Exporter]:
    """Decorator: ``@register_exporter(MyLayer)`` makes ``fn(b, module, x, prefix)`` write MyLayer."""
    def add(fn: Exporter) -> Exporter:
        EXPORTERS[cls] = fn
        return fn
    return add


def export_module(b: GraphBuilder, module: Any, x: Any, prefix: str = "") -> Any:
    """Append the nodes of ``module`` applied to ``x``; raises ExportError for a class with no exporter."""
    for cls in type(module).__mro__:
        if cls in EXPORTERS:
            return EXPORTERS[cls](b, module, x, prefix)
    known = ", ".join(sorted(c.__name__ for c in EXPORTERS))
    where = f" (at {prefix.rstrip('.')!r})" if prefix else ""
    raise ExportError(f"no ONNX exporter for {type(module).__name__}{where}. Layers with one: {known}. "
                      "Register one with neurona.onnx.register_exporter(YourClass).")


def _array(tensor: Any) -> np.ndarray:
    return np.asarray(tensor.data)


def _unary(op: str, **attrs: Any) -> Exporter:
    def fn(b: GraphBuilder, m: Any, x: Value, prefix: str) -> Value:
        return Value(b.node(op, [x.name], hint=prefix + op, **attrs), x.rank)
    return fn


# ---- containers and shape layers -----------------------------------------------------------------
@register_exporter(nn.Sequential)
def _sequential(b, m, x, prefix):
    for name, child in m._modules.items():
        x = export_module(b, child, x, f"{prefix}{name}.")
    return x


@register_exporter(nn.Identity)
@register_exporter(nn.Dropout)
def _identity(b, m, x, prefix):
    return x  # dropout is the identity in inference


@register_exporter(nn.Flatten)
def _flatten(b, m, x, prefix):
    start, end = m.start_dim % x.rank, m.end_dim % x.rank
    if end != x.rank - 1:
        raise ExportError(f"{prefix}Flatten(start_dim={m.start_dim}, end_dim={m.end_dim}): only flattening up to "
                          "the last dimension can be exported")
    if start == 1:
        return Value(b.node("Flatten", [x.name], hint=prefix + "Flatten", axis=1), 2)
    return reshape(b, x, [0] * start + [-1], prefix)


@register_exporter(nn.Unflatten)
def _unflatten(b, m, x, prefix):
    dim = m.dim % x.rank
    if dim != x.rank - 1:
        raise ExportError(f"{prefix}Unflatten(dim={m.dim}): only the last dimension can be unflattened in ONNX export")
    return reshape(b, x, [0] * dim + list(m.unflattened_size), prefix)


def reshape(b: GraphBuilder, x: Value, shape: list[int], prefix: str = "") -> Value:
    """Reshape with ONNX's conventions: 0 copies the input's size at that position, -1 is inferred."""
    return Value(b.node("Reshape", [x.name, b.ints(shape)], hint=prefix + "Reshape"), len(shape))


# ---- linear, embedding, normalisation -------------------------------------------------------------
@register_exporter(nn.Linear)
def _linear(b, m, x, prefix):
    # Gemm reads W as stored, (out, in), with transB; MatMul on (..., in) needs (in, out)
    w = b.weight(_array(m.weight) if x.rank == 2 else _array(m.weight).T, prefix + "weight")
    bias = [b.weight(_array(m.bias), prefix + "bias")] if m.bias is not None else []
    if x.rank == 2:
        return Value(b.node("Gemm", [x.name, w, *bias], hint=prefix + "Gemm", transB=1), 2)
    y = b.node("MatMul", [x.name, w], hint=prefix + "MatMul")
    return Value(b.node("Add", [y, *bias], hint=prefix + "Add") if bias else y, x.rank)


@register_exporter(nn.Embedding)
def _embedding(b, m, x, prefix):
    w = b.weight(_array(m.weight), prefix + "weight")
    return Value(b.node("Gather", [w, x.name], hint=prefix + "Gather", axis=0), x.rank + 1)


@register_exporter(_BatchNorm)
def _batch_norm(b, m, x, prefix):
    if not m.track_running_stats:
        raise ExportError(f"{prefix}{type(m).__name__}(track_running_stats=False) normalises with batch statistics "
                          "even in eval mode; ONNX inference needs running statistics")
    n = m.num_features
    scale = _array(m.weight) if m.weight is not None else np.ones(n, np.float32)
    shift = _array(m.bias) if m.bias is not None else np.zeros(n, np.float32)
    inputs = [x.name, b.weight(scale, prefix + "weight"), b.weight(shift, prefix + "bias"),
              b.weight(_array(m.running_mean), prefix + "running_mean"),
              b.weight(_array(m.running_var), prefix + "running_var")]
    return Value(b.node("BatchNormalization", inputs, hint=prefix + "BatchNormalization", epsilon=float(m.eps)),
                 x.rank)


@register_exporter(nn.LayerNorm)
def _layer_norm(b, m, x, prefix):
    if b.opset < 17:
        raise ExportError(f"{prefix}LayerNorm needs ONNX opset >= 17 (LayerNormalization), got opset={b.opset}")
    shape = m.normalized_shape
    scale = _array(m.weight) if m.weight is not None else np.ones(shape, np.float32)
    inputs = [x.name, b.weight(scale, prefix + "weight")]
    if m.bias is not None:
        inputs.append(b.weight(_array(m.bias), prefix + "bias"))
    return Value(b.node("LayerNormalization", inputs, hint=prefix + "LayerNormalization", axis=-len(shape),
                        epsilon=float(m.eps)), x.rank)


# ---- convolution and pooling ---------------------------------------------------------------------
def _conv_attrs(m: Any) -> dict[str, Any]:
    name = type(m).__name__
    if m.padding_mode != "zeros":
        raise ExportError(f"{name}(padding_mode={m.padding_mode!r}): only zero padding can be exported")
    lo, hi = conv_padding(m.padding, m.kernel_size, m.stride, m.dilation, name)
    return {"kernel_shape": list(m.kernel_size), "strides": list(m.stride), "dilations": list(m.dilation),
            "pads": [*lo, *hi], "group": int(m.groups)}


@register_exporter(nn.Conv1d)
@register_exporter(nn.Conv2d)
@register_exporter(_ConvTranspose)
def _conv(b, m, x, prefix):
    op = "ConvTranspose" if isinstance(m, _ConvTranspose) else "Conv"
    if x.rank != m._nd + 2:
        raise ExportError(f"{prefix}{type(m).__name__}: export it with a batched example input (rank {m._nd + 2}), "
                          f"got rank {x.rank}")
    attrs = _conv_attrs(m)
    if op == "ConvTranspose":
        attrs["output_padding"] = list(m.output_padding)
    inputs = [x.name, b.weight(_array(m.weight), prefix + "weight")]
    if m.bias is not None:
        inputs.append(b.weight(_array(m.bias), prefix + "bias"))
    return Value(b.node(op, inputs, hint=prefix + op, **attrs), x.rank)


def _pool_attrs(m: Any, nd: int) -> dict[str, Any]:
    name = type(m).__name__
    kernel = ntuple(m.kernel_size, nd, "kernel_size", name)
    stride = ntuple(m.stride, nd, "stride", name)
    padding = ntuple(m.padding, nd, "padding", name)
    return {"kernel_shape": list(kernel), "strides": list(stride), "pads": [*padding, *padding],
            "ceil_mode": int(bool(m.ceil_mode))}


@register_exporter(nn.MaxPool1d)
@register_exporter(nn.MaxPool2d)
def _max_pool(b, m, x, prefix):
    if m.return_indices:
        raise ExportError(f"{prefix}{type(m).__name__}(return_indices=True) cannot be exported; its indices are "
                          "neurona's flat positions")
    attrs = _pool_attrs(m, m._nd)
    attrs["dilations"] = list(ntuple(m.dilation, m._nd, "dilation", type(m).__name__))
    return Value(b.node("MaxPool", [x.name], hint=prefix + "MaxPool", **attrs), x.rank)


@register_exporter(nn.AvgPool1d)
@register_exporter(nn.AvgPool2d)
def _avg_pool(b, m, x, prefix):
    if getattr(m, "divisor_override", None) is not None:
        raise ExportError(f"{prefix}AvgPool2d(divisor_override={m.divisor_override}) has no ONNX equivalent")
    attrs = _pool_attrs(m, m._nd)
    return Value(b.node("AveragePool", [x.name], hint=prefix + "AveragePool",
                        count_include_pad=int(bool(m.count_include_pad)), **attrs), x.rank)


@register_exporter(nn.AdaptiveAvgPool1d)
@register_exporter(nn.AdaptiveAvgPool2d)
def _adaptive_avg_pool(b, m, x, prefix):
    sizes = m.output_size if isinstance(m.output_size, tuple | list) else (m.output_size,)
    if any(s != 1 for s in sizes):
        raise ExportError(f"{prefix}{type(m).__name__}(output_size={m.output_size}): only global pooling "
                          "(output_size=1) can be exported")
    return Value(b.node("GlobalAveragePool", [x.name], hint=prefix + "GlobalAveragePool"), x.rank)


# ---- activations ------------------------------------------------------------------------------------
for _cls, _op in ((nn.ReLU, "Relu"), (nn.Sigmoid, "Sigmoid"), (nn.Tanh, "Tanh")):
    EXPORTERS[_cls] = _unary(_op)


@register_exporter(nn.LeakyReLU)
def _leaky_relu(b, m, x, prefix):
    return Value(b.node("LeakyRelu", [x.name], hint=prefix + "LeakyRelu", alpha=float(m.negative_slope)), x.rank)


@register_exporter(nn.ELU)
def _elu(b, m, x, prefix):
    return Value(b.node("Elu", [x.name], hint=prefix + "Elu", alpha=float(m.alpha)), x.rank)


@register_exporter(nn.SELU)
def _selu(b, m, x, prefix):
    return Value(b.node("Selu", [x.name], hint=prefix + "Selu", alpha=SELU_ALPHA, gamma=SELU_SCALE), x.rank)


@register_exporter(nn.Hardtanh)
def _hardtanh(b, m, x, prefix):
    low = b.weight(np.array(m.min_val, np.float32), prefix + "min")
    high = b.weight(np.array(m.max_val, np.float32), prefix + "max")
    return Value(b.node("Clip", [x.name, low, high], hint=prefix + "Clip"), x.rank)


@register_exporter(nn.Softmax)
def _softmax(b, m, x, prefix):
    op = "LogSoftmax" if isinstance(m, nn.LogSoftmax) else "Softmax"
    return Value(b.node(op, [x.name], hint=prefix + op, axis=int(m.dim)), x.rank)


def _scalar(b: GraphBuilder, value: float, prefix: str) -> str:
    return b.weight(np.array(value, np.float32), prefix + "const")


@register_exporter(nn.SiLU)
def _silu(b, m, x, prefix):
    s = b.node("Sigmoid", [x.name], hint=prefix + "Sigmoid")
    return Value(b.node("Mul", [x.name, s], hint=prefix + "Mul"), x.rank)


@register_exporter(nn.GELU)
def _gelu(b, m, x, prefix):
    if b.opset >= 20:
        return Value(b.node("Gelu", [x.name], hint=prefix + "Gelu", approximate=m.approximate), x.rank)
    if m.approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = b.node("Mul", [x.name, b.node("Mul", [x.name, x.name])])
        inner = b.node("Add", [x.name, b.node("Mul", [cube, _scalar(b, 0.044715, prefix)])])
        core = b.node("Tanh", [b.node("Mul", [inner, _scalar(b, math.sqrt(2 / math.pi), prefix)])])
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        core = b.node("Erf", [b.node("Mul", [x.name, _scalar(b, 1 / math.sqrt(2), prefix)])])
    half_x = b.node("Mul", [x.name, _scalar(b, 0.5, prefix)])
    return Value(b.node("Mul", [half_x, b.node("Add", [core, _scalar(b, 1.0, prefix)])], hint=prefix + "Gelu"),
                 x.rank)


@register_exporter(nn.Softplus)
def _softplus(b, m, x, prefix):
    """ln(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as neurona and torch)."""
    scaled = b.node("Mul", [x.name, _scalar(b, m.beta, prefix)])
    soft = b.node("Div", [b.node("Softplus", [scaled]), _scalar(b, m.beta, prefix)])
    linear = b.node("Greater", [scaled, _scalar(b, m.threshold, prefix)])
    return Value(b.node("Where", [linear, x.name, soft], hint=prefix + "Softplus"), x.rank)


# ---- recurrent layers: ONNX's RNN, LSTM and GRU ops ------------------------------------------------
# gate blocks of torch's layout, in ONNX's order: LSTM (i, f, g, o) -> (i, o, f, c); GRU (r, z, n) -> (z, r, h)
GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _onnx_gates(w: np.ndarray, op: str) -> np.ndarray:
    blocks = np.split(w, len(GATE_ORDER[op]), axis=0)
    return np.concatenate([blocks[i] for i in GATE_ORDER[op]], axis=0)


def recurrent_layers(b: GraphBuilder, m: RNNBase, x: Value, prefix: str) -> tuple[str, list[str], list[str]]:
    """Write every layer of ``m``: (output (T, N, D*H) time-major, each layer's Y_h (D, N, H), each Y_c)."""
    op = {4: "LSTM", 3: "GRU", 1: "RNN"}[m.gates]
    if x.rank != 3:
        raise ExportError(f"{prefix}{type(m).__name__}: export it with a batched example input (rank 3), got rank "
                          f"{x.rank}")
    seq = b.node("Transpose", [x.name], perm=[1, 0, 2]) if m.batch_first else x.name
    attrs: dict[str, Any] = {"hidden_size": m.hidden_size,
                             "direction": "bidirectional" if m.bidirectional else "forward"}
    if op == "GRU":
        attrs["linear_before_reset"] = 1  # torch's and neurona's GRU apply r after W_hn h + b_hn
    if op == "RNN":
        attrs["activations"] = ["Relu" if m.nonlinearity == "relu" else "Tanh"] * m.num_directions
    finals_h, finals_c = [], []
    for layer in range(m.num_layers):
        suffixes = m._suffixes(layer)
        w = np.stack([_onnx_gates(_array(getattr(m, f"weight_ih{s}")), op) for s in suffixes])
        r = np.stack([_onnx_gates(_array(getattr(m, f"weight_hh{s}")), op) for s in suffixes])
        inputs = [seq, b.weight(w, f"{prefix}W_l{layer}"), b.weight(r, f"{prefix}R_l{layer}")]
        if m.bias:
            bias = np.stack([np.concatenate([_onnx_gates(_array(getattr(m, f"bias_ih{s}")), op),
                                             _onnx_gates(_array(getattr(m, f"bias_hh{s}")), op)])
                             for s in suffixes])
            inputs.append(b.weight(bias, f"{prefix}B_l{layer}"))
        outs = b.node(op, inputs, outputs=3 if op == "LSTM" else 2, hint=f"{prefix}{op}_l{layer}", **attrs)
        finals_h.append(outs[1])
        if op == "LSTM":
            finals_c.append(outs[2])
        y = b.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # (T, D, N, H) -> (T, N, D, H)
        seq = reshape(b, Value(y, 4), [0, 0, -1], prefix).name
    return seq, finals_h, finals_c


@register_exporter(RNNBase)
def _recurrent(b, m, x, prefix):
    """(output, h_n) or (output, (h_n, c_n)), as the layer returns them."""
    seq, finals_h, finals_c = recurrent_layers(b, m, x, prefix)
    output = Value(b.node("Transpose", [seq], perm=[1, 0, 2]) if m.batch_first else seq, 3)

    def stacked(names: list[str]) -> Value:
        return Value(names[0] if len(names) == 1 else b.node("Concat", names, axis=0), 3)

    if finals_c:
        return output, (stacked(finals_h), stacked(finals_c))
    return output, stacked(finals_h)


def last_hidden(b: GraphBuilder, m: RNNBase, x: Value, prefix: str) -> Value:
    """The last layer's final hidden state (N, H), or (N, 2H) with both directions side by side."""
    _, finals_h, _ = recurrent_layers(b, m, x, prefix)
    h = b.node("Transpose", [finals_h[-1]], perm=[1, 0, 2])  # (D, N, H) -> (N, D, H)
    return reshape(b, Value(h, 3), [0, -1], prefix)
