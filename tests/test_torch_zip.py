"""Reading ``torch.save`` archives without torch and without running code from them (neurona.io.torch_zip).

Real files written by torch.save (every dtype, strided views, shared storages, a nested checkpoint with
optimiser state) load with the right values; hostile files (pickles that would call os.system,
builtins.eval or subprocess) are refused with a clear error and execute nothing.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import neurona
from neurona import nn, optim
from neurona.errors import CheckpointError
from neurona.io.torch_zip import UnsafeFileError

torch = pytest.importorskip("torch")


def as_numpy(t):
    return t.detach().float().numpy() if t.dtype == torch.bfloat16 else t.detach().numpy()


@pytest.mark.parametrize(
    "dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
              torch.int16, torch.int8, torch.uint8, torch.bool]
)
def test_every_dtype_loads_with_its_values(tmp_path, dtype):
    values = (torch.arange(-6, 6).reshape(3, 4) * 3).to(dtype)
    torch.save({"t": values}, tmp_path / "t.pt")
    loaded = neurona.load(tmp_path / "t.pt")["t"]
    expected = as_numpy(values)
    assert loaded.dtype == expected.dtype and loaded.shape == (3, 4)
    np.testing.assert_array_equal(loaded.numpy(), expected)


def test_views_offsets_strides_and_shared_storages(tmp_path):
    base = torch.arange(24, dtype=torch.float64)
    saved = {
        "base": base,
        "window": base[5:15].view(2, 5),  # an offset into the shared storage
        "every_third": base[::3],  # a stride
        "transposed": base.view(4, 6).t(),  # non-contiguous
        "expanded": torch.tensor([1.0, 2.0, 3.0]).expand(4, 3),  # stride 0
        "empty": torch.zeros(0, 3),
        "scalar": torch.tensor(7, dtype=torch.int64),
    }
    torch.save(saved, tmp_path / "views.pt")
    loaded = neurona.load(tmp_path / "views.pt")
    assert list(loaded) == list(saved)
    for key, value in saved.items():
        assert loaded[key].shape == tuple(value.shape), key
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy(), err_msg=key)
    loaded["window"].data[0, 0] = -1  # each loaded tensor owns its data, writable
    assert loaded["base"].numpy()[5] == 5


def test_a_nested_checkpoint_with_optimizer_state_resumes_in_neurona(tmp_path):
    torch.manual_seed(0)
    # no bias before BatchNorm: its gradient is rounding noise, which Adam would blow up to full steps
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2))
    topt = torch.optim.Adam(tnet.parameters(), lr=0.01, betas=(0.8, 0.9))
    x, y = torch.randn(8, 3), torch.tensor([0, 1] * 4)
    for _ in range(2):
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tnet(x), y).backward()
        topt.step()
    torch.save({"epoch": 2, "model": tnet.state_dict(), "optimizer": topt.state_dict(), "loss": 0.5,
                "classes": ["a", "b"]}, tmp_path / "ckpt.pt")
    ckpt = neurona.load(tmp_path / "ckpt.pt", map_location="cpu", weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["loss"] == 0.5 and ckpt["classes"] == ["a", "b"]
    assert ckpt["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    result = net.load_state_dict(ckpt["model"])
    assert result.missing_keys == [] and result.unexpected_keys == []
    opt = optim.Adam(net.parameters(), lr=0.5)
    opt.load_state_dict(ckpt["optimizer"])
    assert opt.param_groups[0]["lr"] == 0.01
    # one more step each: the same weights afterwards
    topt.zero_grad()
    torch.nn.functional.cross_entropy(tnet(x), y).backward()
    topt.step()
    opt.zero_grad()
    neurona.functional.cross_entropy(net(neurona.tensor(x.numpy())), neurona.tensor(y.numpy())).backward()
    opt.step()
    for key, value in tnet.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


def test_a_saved_parameter_comes_back_as_a_parameter(tmp_path):
    torch.save([torch.nn.Parameter(torch.ones(2))], tmp_path / "p.pt")
    (p,) = neurona.load(tmp_path / "p.pt")
    assert isinstance(p, nn.Parameter) and p.requires_grad


# ---- hostile files ---------------------------------------------------------------------------------
class _Call:
    """Pickles as a call of ``func(*args)`` (what a hostile file contains)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _archive(payload, protocol: int = 2) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(payload, protocol=protocol))
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return buffer.getvalue()


def _hostile_payloads(marker: str) -> dict:
    shell = f"touch {marker}"
    return {
        "os.system": _Call(os.system, shell),
        "builtins.eval": _Call(eval, f"open({marker!r}, 'w').close()"),
        "builtins.exec": _Call(exec, f"open({marker!r}, 'w').close()"),
        "subprocess.call": _Call(subprocess.call, ["touch", marker]),
        "nested in a state dict": {"weight": [1.0, _Call(os.system, shell)]},
    }


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "builtins.exec", "subprocess.call",
                                  "nested in a state dict"])
@pytest.mark.parametrize("protocol", [2, 4])
def test_hostile_files_are_refused_and_run_nothing(tmp_path, name, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(_archive(_hostile_payloads(str(marker))[name], protocol))
    with pytest.raises(UnsafeFileError, match="refused to load") as info:
        neurona.load(path)
    assert "nothing from it was executed" in str(info.value)
    with pytest.raises(UnsafeFileError):
        neurona.load(path, weights_only=False)  # neurona never unpickles arbitrary objects
    assert not marker.exists()


def test_the_hostile_file_really_runs_code_under_plain_pickle(tmp_path):
    """Guards the test above: the same bytes do execute code when unpickled without restrictions."""
    marker = tmp_path / "pwned"
    archive = _archive(_hostile_payloads(str(marker))["os.system"])
    data = zipfile.ZipFile(io.BytesIO(archive)).read("archive/data.pkl")
    subprocess.run([sys.executable, "-c", "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"],
                   input=data, check=True, timeout=60)
    assert marker.exists()


class _Storage:
    pass


class _TensorRef:
    """Pickles as torch's _rebuild_tensor_v2(storage, offset, size, stride, ...) on a storage of 4 floats."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, {})

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


def _crafted(offset, size, stride) -> bytes:
    storage = _Storage()
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=2)
    pickler.persistent_id = lambda obj: ("storage", torch.FloatStorage, "0", "cpu", 4) if obj is storage else None
    pickler.dump({"t": _TensorRef(storage, offset, size, stride)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", buffer.getvalue())
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", np.arange(4, dtype="<f4").tobytes())
    return out.getvalue()


def test_a_crafted_tensor_layout_loads_within_its_storage(tmp_path):
    (tmp_path / "ok.pt").write_bytes(_crafted(1, (2,), (2,)))
    np.testing.assert_array_equal(neurona.load(tmp_path / "ok.pt")["t"].numpy(), [1.0, 3.0])


@pytest.mark.parametrize("offset, size, stride", [(0, (1000,), (1,)), (3, (2,), (1,)), (0, (2, 2), (1, 3)),
                                                  (0, (2,), (-1,)), (-1, (2,), (1,))])
def test_a_tensor_reaching_past_its_storage_is_refused(tmp_path, offset, size, stride):
    (tmp_path / "bad.pt").write_bytes(_crafted(offset, size, stride))
    with pytest.raises(CheckpointError, match="damaged"):
        neurona.load(tmp_path / "bad.pt")


def test_a_legacy_pickle_file_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "legacy.pt"
    path.write_bytes(pickle.dumps(_Call(os.system, f"touch {marker}"), protocol=2))
    with pytest.raises(CheckpointError, match="neither"):
        neurona.load(path)
    assert not marker.exists()


def test_a_zip_that_is_not_a_torch_archive(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(CheckpointError, match="not a torch.save archive"):
        neurona.load(tmp_path / "other.zip")
