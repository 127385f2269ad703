"""PyTorch code at the tensor level runs unchanged on neurona: every script of ``tests/compat`` runs on
real PyTorch and with ``neurona`` as ``torch``, and what each computes (values, gradients, dtypes,
which errors were raised) must agree."""

from __future__ import annotations

import numpy as np
import pytest

from compat import SCRIPTS, run_script

TENSOR_SCRIPTS = [p for p in SCRIPTS if not p.name.startswith(("nn_", "data_", "saving_", "onnx_"))]


def _compare(key: str, ours, theirs) -> None:
    if isinstance(theirs, np.ndarray) or isinstance(ours, np.ndarray):
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        assert ours.shape == theirs.shape, f"{key}: shape {ours.shape} != torch's {theirs.shape}"
        if theirs.dtype.kind == "f":
            tol = 1e-5 if theirs.dtype == np.float32 else 1e-9
            np.testing.assert_allclose(ours, theirs, rtol=tol * 10, atol=tol, err_msg=key)
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=key)
        assert ours.dtype == theirs.dtype, f"{key}: dtype {ours.dtype} != torch's {theirs.dtype}"
    elif isinstance(theirs, list | tuple):
        assert len(ours) == len(theirs), f"{key}: {ours!r} != torch's {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _compare(f"{key}[{i}]", a, b)
    elif isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), key
        for k in theirs:
            _compare(f"{key}.{k}", ours[k], theirs[k])
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-4, abs=1e-6), f"{key}: {ours!r} != torch's {theirs!r}"
    else:
        assert ours == theirs, f"{key}: {ours!r} != torch's {theirs!r}"


@pytest.mark.parametrize("script", TENSOR_SCRIPTS, ids=[p.stem for p in TENSOR_SCRIPTS])
def test_script_runs_the_same_on_neurona_and_torch(script):
    theirs = run_script(script, "torch")
    ours = run_script(script, "neurona")
    assert ours.keys() == theirs.keys()
    for key in theirs:
        _compare(key, ours[key], theirs[key])


def test_the_runner_really_swaps_the_library(tmp_path):
    script = tmp_path / "which.py"
    script.write_text("import torch\nout = {'name': torch.__name__, 't': torch.ones(2)}\n")
    assert run_script(script, "neurona")["name"] == "neurona"
    assert run_script(script, "torch")["name"] == "torch"
    import torch

    assert torch.__name__ == "torch"  # restored afterwards


def test_einsum_ellipsis_with_mismatched_sizes_names_the_sizes():
    import neurona
    from neurona.errors import ShapeError

    a, b = neurona.ones(2, 3, 4), neurona.ones(5, 4, 2)
    with pytest.raises(ShapeError, match=r"'\.\.\.' stands for differ in size \(2 vs 5\)"):
        neurona.einsum("...ij,...jk->...ik", a, b)
    with pytest.raises(ShapeError, match="needs at least 3 dimensions"):
        neurona.einsum("...ijk->...", neurona.ones(2, 2))
    assert neurona.einsum("...ij,...jk->...ik", a, neurona.ones(2, 4, 5)).shape == (2, 3, 5)
