"""``neurona export RUN_DIR --format onnx``: a finished run's model as an ONNX file, checked in onnxruntime."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neurona.errors import ConfigError
from neurona.generative.kinds import generative_kind
from neurona.onnx.export import DEFAULT_OPSET, export
from neurona.tensor import Tensor, no_grad

FORMATS = ("onnx",)


def export_run(run_dir: str | os.PathLike, output: str | os.PathLike | None = None, fmt: str = "onnx",
               opset: int = DEFAULT_OPSET) -> tuple[Path, float | None]:
    """Write the trained model of ``run_dir`` (``model.onnx`` in the run folder unless ``output``).

    The model is rebuilt from the run's config and ``model.safetensors`` (as ``neurona evaluate``
    does); its example input is one training row, and the batch dimension stays dynamic. When
    onnxruntime is installed the file is run on up to 8 test rows and the largest absolute
    difference from neurona's outputs is returned (else None).
    """
    from neurona.experiment import open_run

    if fmt not in FORMATS:
        raise ConfigError(f"--format: {fmt!r} is not supported; formats: {', '.join(FORMATS)}")
    run_dir = Path(run_dir)
    config, _, split, model, _ = open_run(run_dir)
    example, rows = split.X_train[:1], split.X_test if split.X_test is not None and len(split.X_test) else split.X_train
    kind = generative_kind(config)
    if kind == "vae":
        raise ConfigError(f"export: {run_dir} is a VAE, which returns (reconstruction, mu, logvar); ONNX export "
                          "covers models with one output (autoencoders, GAN generators)")
    if kind == "gan":  # the generator: noise (n, latent_dim) -> samples
        example, rows = model.noise(1, np.random.default_rng(0)).numpy(), model.noise(8, np.random.default_rng(1)).numpy()
    path = Path(output) if output is not None else run_dir / "model.onnx"
    export(model, example, path, opset=opset)
    try:
        import onnxruntime
    except ImportError:
        return path, None
    x = np.ascontiguousarray(rows[:8])
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    model.eval()
    with no_grad():
        expected = model(Tensor(x)).numpy()
    return path, float(np.abs(got - expected).max())
