"""``neurona.onnx.export``: a neurona Module -> an ONNX file, built node by node from the module tree.

The reference models of :mod:`neurona.models` have exporters here that repeat what their ``forward``
does around their layers (flat images reshaped, tokens embedded, the last hidden state read);
everything else is a tree of layers written by :mod:`neurona.onnx.export_layers`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from neurona import models
from neurona.nn.module import Module
from neurona.onnx._graph import GraphBuilder, Value
from neurona.onnx.export_layers import export_module, last_hidden, register_exporter, reshape
from neurona.tensor import Tensor, no_grad

MIN_OPSET, MAX_OPSET, DEFAULT_OPSET = 14, 21, 17


# ---- the reference models ----------------------------------------------------------------------------
def _flatten_images(b: GraphBuilder, x: Value, prefix: str) -> Value:
    return Value(b.node("Flatten", [x.name], hint=prefix + "Flatten", axis=1), 2) if x.rank > 2 else x


def _as_images(b: GraphBuilder, m: Any, x: Value, prefix: str) -> Value:
    """Flat rows (N, C*H*W) as images (N, C, H, W), as the models' forward does."""
    if x.rank == 2:
        return reshape(b, x, [-1, m.in_channels, m.input_size, m.input_size], prefix)
    return x


def _like_input(b: GraphBuilder, y: Value, x: Value) -> Value:
    """``y`` reshaped to the (dynamic) shape of the input ``x``."""
    return Value(b.node("Reshape", [y.name, b.node("Shape", [x.name])], hint="Reshape_like_input"), x.rank)


def _chain(b: GraphBuilder, m: Module, x: Value, prefix: str) -> Value:
    """The children of a Sequential subclass, in order."""
    for name, child in m._modules.items():
        x = export_module(b, child, x, f"{prefix}{name}.")
    return x


@register_exporter(models.MLP)
def _mlp(b, m, x, prefix):
    return _chain(b, m, _flatten_images(b, x, prefix), prefix)


@register_exporter(models.LeNet5)
@register_exporter(models.ConvNet)
def _image_cnn(b, m, x, prefix):
    return _chain(b, m, _as_images(b, m, x, prefix), prefix)


@register_exporter(models.Conv1dNet)
def _conv1dnet(b, m, x, prefix):
    if x.rank == 2 and m.in_channels == 1:
        x = Value(b.node("Unsqueeze", [x.name, b.ints([1])]), 3)
    return _chain(b, m, x, prefix)


def _sequence_input(b: GraphBuilder, m: Any, x: Value, prefix: str) -> Value:
    if getattr(m, "embedding", None) is not None:
        return export_module(b, m.embedding, x, prefix + "embedding.")
    if x.rank == 2 and m.input_size == 1:  # (N, L) samples of a 1-D signal
        return Value(b.node("Unsqueeze", [x.name, b.ints([2])]), 3)
    return x


@register_exporter(models.SequenceClassifier)
@register_exporter(models.Seq2One)
def _sequence_model(b, m, x, prefix):
    h = last_hidden(b, m.rnn, _sequence_input(b, m, x, prefix), prefix + "rnn.")
    return export_module(b, m.fc, h, prefix + "fc.")  # the dropout before fc is left out


@register_exporter(models.DenseAutoencoder)
def _dense_autoencoder(b, m, x, prefix):
    z = export_module(b, m.encoder, _flatten_images(b, x, prefix), prefix + "encoder.")
    y = export_module(b, m.output_activation, export_module(b, m.decoder, z, prefix + "decoder."),
                      prefix + "output_activation.")
    return _like_input(b, y, x)


@register_exporter(models.ConvAutoencoder)
def _conv_autoencoder(b, m, x, prefix):
    z = export_module(b, m.encoder, _as_images(b, m, x, prefix), prefix + "encoder.")
    return _like_input(b, export_module(b, m.decoder, z, prefix + "decoder."), x)


@register_exporter(models.VAE)
def _vae(b, m, x, prefix):
    """(recon, mu, logvar) as in eval mode, where the code is z = mu."""
    h = export_module(b, m.encoder, _flatten_images(b, x, prefix), prefix + "encoder.")
    mu = export_module(b, m.fc_mu, h, prefix + "fc_mu.")
    logvar = export_module(b, m.fc_logvar, h, prefix + "fc_logvar.")
    recon = _like_input(b, export_module(b, m.decoder, mu, prefix + "decoder."), x)
    return recon, mu, logvar


@register_exporter(models.GAN)
@register_exporter(models.DCGAN)
def _generative_pair(b, m, x, prefix):
    """Calling a GAN runs its generator: noise (N, latent_dim) -> examples."""
    return export_module(b, m.generator, x, prefix + "generator.")


# ---- the public function ------------------------------------------------------------------------------
def _flat_outputs(out: Any) -> list[Any]:
    if isinstance(out, tuple | list):
        return [leaf for item in out for leaf in _flat_outputs(item)]
    return [out]


def _check_arguments(model: Any, example_input: Any, path: Any, opset: Any) -> np.ndarray:
    if not isinstance(model, Module):
        raise TypeError(f"neurona.onnx.export: model must be a neurona Module, got {type(model).__name__}")
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"neurona.onnx.export: opset must be an integer in [{MIN_OPSET}, {MAX_OPSET}], got {opset!r}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"neurona.onnx.export: path must be a str or a path, got {type(path).__name__}")
    if not Path(path).parent.is_dir():
        raise FileNotFoundError(f"neurona.onnx.export: folder {Path(path).parent} does not exist")
    data = example_input.data if isinstance(example_input, Tensor) else np.asarray(example_input)
    if data.ndim < 1 or data.shape[0] < 1:
        raise ValueError(f"neurona.onnx.export: example_input must be a batch, with the batch size first, got "
                         f"shape {data.shape}")
    if data.dtype.kind not in "fiu":
        raise TypeError(f"neurona.onnx.export: example_input must hold floats or integer ids, got {data.dtype}")
    return data


def export(model: Module, example_input: Any, path: str | os.PathLike, opset: int = DEFAULT_OPSET,
           input_name: str = "input", output_names: list[str] | None = None, check: bool = True) -> Any:
    """Write ``model`` as an ONNX file, in eval mode, with a dynamic batch dimension.

    The graph is built from the module tree (each layer has an exporter, see
    :func:`register_exporter`), not by tracing: dropout is left out, batch norm uses its running
    statistics, recurrent layers become ONNX's ``RNN`` / ``LSTM`` / ``GRU`` ops. The first dimension of
    the input and of every output is named ``N`` and may take any size; the other dimensions are those
    of ``example_input``. The file is written atomically and checked with ``onnx.checker``.

    Parameters
    ----------
    model : Module
        A layer, a ``Sequential`` of layers, or a reference model of :mod:`neurona.models`.
    example_input : Tensor or array
        One batch as the model takes it (its shape and dtype fix the graph's input); the model is run on
        it once to find the output shapes.
    path : str or path
        The ``.onnx`` file to write.
    opset : int, default 17
        ONNX opset version, 14 to 21.
    input_name : str, default 'input'
    output_names : list of str, optional
        Defaults to ``output`` (or ``output0``, ``output1``, ... for several outputs).
    check : bool, default True
        Run ``onnx.checker.check_model(full_check=True)`` before writing.

    Returns
    -------
    onnx.ModelProto
        The model that was written.

    Examples
    --------
    >>> model = LeNet5(input_size=8)
    >>> neurona.onnx.export(model, nr.zeros(1, 1, 8, 8), "lenet.onnx")        # doctest: +SKIP
    """
    import onnx
    from onnx import helper

    from neurona.io.atomic import atomic_write_bytes

    data = _check_arguments(model, example_input, path, opset)
    modes = {id(m): m.training for m in model.modules()}
    model.eval()
    b = GraphBuilder(opset)
    for name in [input_name, *(output_names or [])]:  # the public names are taken first
        b.fresh(name)
    try:
        with no_grad():
            reference = _flat_outputs(model(Tensor(data)))
        outputs = _flat_outputs(export_module(b, model, Value(input_name, data.ndim)))
    finally:
        for m in model.modules():
            m.training = modes[id(m)]
    if output_names is None:
        output_names = [b.fresh("output" if len(outputs) == 1 else f"output{i}") for i in range(len(outputs))]
    names = list(output_names)
    if len(names) != len(outputs):
        raise ValueError(f"neurona.onnx.export: the model has {len(outputs)} output(s), got {len(names)} output_names")
    for value, name in zip(outputs, names):  # every output gets its public name through an Identity node
        b.nodes.append(helper.make_node("Identity", [value.name], [name], name=b.fresh(f"{name}_identity")))

    def info(name: str, array: np.ndarray) -> Any:
        dtype = helper.np_dtype_to_tensor_dtype(np.dtype(array.dtype))
        return helper.make_tensor_value_info(name, dtype, ["N", *array.shape[1:]])

    graph = helper.make_graph(b.nodes, type(model).__name__, [info(input_name, data)],
                              [info(n, np.asarray(r.data)) for n, r in zip(names, reference)], b.initializers)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="neurona",
                              ir_version=helper.find_min_ir_version_for(opsets))
    if check:
        onnx.checker.check_model(proto, full_check=True)
    atomic_write_bytes(path, proto.SerializeToString())
    return proto
