"""``neurona.save`` / ``neurona.load``: checkpoint trees as one safetensors file with the structure as JSON."""

from __future__ import annotations

import io
import json
import math
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy

import neurona
from neurona import nn, optim
from neurona.errors import CheckpointError
from neurona.serialization import FORMAT_KEY


def roundtrip(obj, tmp_path):
    neurona.save(obj, tmp_path / "obj.pt")
    return neurona.load(tmp_path / "obj.pt")


def test_a_nested_checkpoint_tree_comes_back_as_it_was(tmp_path):
    weights = neurona.tensor(np.arange(6.0).reshape(2, 3))
    tree = {
        "epoch": 7,
        "loss": 0.25,
        "bad": [math.nan, math.inf, -math.inf],
        "name": "mlp",
        "flags": (True, False, None),
        "ordered": OrderedDict([("z", 1), ("a", 2)]),
        "by_index": {0: {"step": 3}, 1: {"step": 4}},
        "tuple_key": {(1, "a"): "x"},
        "nested": [[1, [2, (3.5, "four")]]],
        "weights": weights,
        "same_weights": weights,
        "array": np.arange(4, dtype=np.int16),
        "scalar": neurona.Tensor._wrap(np.array(2.5)),
        "empty": neurona.tensor(np.zeros((0, 3), dtype=np.float32)),
        "numpy_number": np.float32(1.5),
    }
    back = roundtrip(tree, tmp_path)
    assert list(back) == list(tree)
    assert back["epoch"] == 7 and back["loss"] == 0.25 and back["name"] == "mlp"
    assert math.isnan(back["bad"][0]) and back["bad"][1:] == [math.inf, -math.inf]
    assert back["flags"] == (True, False, None) and isinstance(back["flags"], tuple)
    assert isinstance(back["ordered"], OrderedDict) and list(back["ordered"]) == ["z", "a"]
    assert back["by_index"] == {0: {"step": 3}, 1: {"step": 4}}
    assert back["tuple_key"] == {(1, "a"): "x"}
    assert back["nested"] == [[1, [2, (3.5, "four")]]]
    assert isinstance(back["weights"], neurona.Tensor) and back["weights"].dtype == np.float32
    np.testing.assert_array_equal(back["weights"].numpy(), weights.numpy())
    assert back["same_weights"] is back["weights"]  # stored once, one object again
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.int16
    assert back["scalar"].shape == () and back["scalar"].dtype == np.float64 and back["scalar"].item() == 2.5
    assert back["empty"].shape == (0, 3)
    assert back["numpy_number"] == 1.5


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_])
def test_every_dtype_keeps_its_values(tmp_path, dtype):
    values = (np.arange(-3, 3) % 2 if dtype is np.bool_ else np.arange(-3, 3) % 200).astype(dtype).reshape(2, 3)
    back = roundtrip({"t": neurona.Tensor._wrap(values)}, tmp_path)["t"]
    assert back.dtype == values.dtype
    np.testing.assert_array_equal(back.numpy(), values)


def test_the_file_is_plain_safetensors_with_the_tree_as_json(tmp_path):
    neurona.save({"w": neurona.ones(2, 2), "epoch": 1}, tmp_path / "f.pt")
    arrays = safetensors.numpy.load_file(tmp_path / "f.pt")
    assert list(arrays) == ["0"] and arrays["0"].shape == (2, 2)
    header_len = int.from_bytes((tmp_path / "f.pt").read_bytes()[:8], "little")
    header = json.loads((tmp_path / "f.pt").read_bytes()[8 : 8 + header_len])
    tree = json.loads(header["__metadata__"][FORMAT_KEY])["tree"]
    assert tree == {"__dict__": [["w", {"__tensor__": "0"}], ["epoch", 1]]}


def test_a_model_and_optimizer_resume_from_their_state_dicts(tmp_path):
    neurona.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x, y = neurona.randn(8, 3), neurona.tensor(np.array([0, 1] * 4))

    def step(m, o):
        o.zero_grad()
        loss = neurona.functional.cross_entropy(m(x), y)
        loss.backward()
        o.step()
        return loss.item()

    step(model, opt)
    neurona.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}, tmp_path / "ckpt.pt")
    ckpt = neurona.load(tmp_path / "ckpt.pt", weights_only=True)
    resumed = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    resumed.load_state_dict(ckpt["model"])
    resumed_opt = optim.Adam(resumed.parameters(), lr=0.5)
    resumed_opt.load_state_dict(ckpt["optimizer"])
    assert resumed_opt.param_groups[0]["lr"] == 0.01
    assert step(model, opt) == step(resumed, resumed_opt)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key].numpy(), value.numpy())


@pytest.mark.parametrize("make, hint", [
    (lambda: nn.Linear(2, 2), "neurona.save(model.state_dict(), path)"),
    (lambda: optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), "state_dict"),
    (lambda: {"model": nn.Linear(2, 2)}, "obj['model'] is a Linear"),
    (lambda: {"fn": len}, "cannot be saved without pickle"),
    (lambda: {object(): 1}, "keys must be"),
    (lambda: np.array(["a", "b"]), "dtype <U1"),
])
def test_what_cannot_be_saved_is_refused_before_anything_is_written(tmp_path, make, hint):
    path = tmp_path / "keep.pt"
    neurona.save({"old": 1}, path)
    with pytest.raises(TypeError) as info:
        neurona.save(make(), path)
    assert hint in str(info.value)
    assert neurona.load(path) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["keep.pt"]  # no temporary file left


def test_file_objects_work_like_paths():
    buffer = io.BytesIO()
    neurona.save({"w": neurona.ones(3)}, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(neurona.load(buffer)["w"].numpy(), np.ones(3))


def test_map_location_other_than_cpu_says_neurona_runs_on_the_cpu(tmp_path):
    neurona.save([1], tmp_path / "a.pt")
    assert neurona.load(tmp_path / "a.pt", map_location="cpu") == [1]
    with pytest.raises(ValueError, match="CPU only"):
        neurona.load(tmp_path / "a.pt", map_location="cuda:0")


@pytest.mark.parametrize("content", [b"", b"garbage bytes", b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": 1}",
                                     b"\x06\x00\x00\x00\x00\x00\x00\x00[1, 2]"])
def test_damaged_files_raise_a_checkpoint_error(tmp_path, content):
    (tmp_path / "bad.pt").write_bytes(content)
    with pytest.raises(CheckpointError):
        neurona.load(tmp_path / "bad.pt")


def test_a_truncated_file_raises_a_checkpoint_error(tmp_path):
    neurona.save({"w": neurona.ones(100)}, tmp_path / "w.pt")
    data = (tmp_path / "w.pt").read_bytes()
    (tmp_path / "w.pt").write_bytes(data[: len(data) - 40])
    with pytest.raises(CheckpointError):
        neurona.load(tmp_path / "w.pt")


def test_a_plain_safetensors_file_loads_as_a_dict_of_tensors(tmp_path):
    safetensors.numpy.save_file({"a": np.ones(2, dtype=np.float32)}, tmp_path / "plain.safetensors")
    loaded = neurona.load(tmp_path / "plain.safetensors")
    assert list(loaded) == ["a"] and isinstance(loaded["a"], neurona.Tensor)


def test_a_saved_parameter_keeps_requires_grad(tmp_path):
    back = roundtrip([nn.Parameter(np.ones(2, dtype=np.float32)), neurona.ones(2, requires_grad=True)], tmp_path)
    assert isinstance(back[0], nn.Parameter) and back[0].requires_grad
    assert not isinstance(back[1], nn.Parameter) and back[1].requires_grad
