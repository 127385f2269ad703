"""Checkpoints (safetensors, atomic, no pickle, validated before loading) and PyTorch interop."""

import json
import os

import numpy as np
import pytest
import safetensors.numpy
import torch

import neurona as nr
from neurona import io, nn
from neurona.errors import CheckpointError, ShapeError
from neurona.tensor import Tensor


class FakeAdam:
    """A stand-in with the torch-style optimizer state_dict interface neurona.optim follows."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999)):
        self.params = list(params)
        self.param_groups = [{"lr": lr, "betas": betas, "weight_decay": 0.0, "params": self.params}]
        self.state = {}

    def fake_step(self):
        for i, p in enumerate(self.params):
            s = self.state.setdefault(i, {"step": 0})
            s["step"] += 1
            s["exp_avg"] = np.full(p.shape, 0.1 * s["step"], dtype=np.float32)
            s["exp_avg_sq"] = Tensor(np.full(p.shape, 0.01, dtype=np.float32))
            s["scale"] = np.float32(0.5)

    def state_dict(self):
        groups = [
            {**{k: v for k, v in g.items() if k != "params"}, "params": list(range(len(g["params"])))}
            for g in self.param_groups
        ]
        return {"state": {i: dict(s) for i, s in self.state.items()}, "param_groups": groups}

    def load_state_dict(self, sd):
        if [len(g["params"]) for g in sd["param_groups"]] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("loaded state dict has a different number of parameters")
        for group, saved in zip(self.param_groups, sd["param_groups"]):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {int(i): dict(s) for i, s in sd["state"].items()}


class FakeSGD(FakeAdam):
    pass


def mlp(hidden=8, seed=0):
    nr.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, 3))


def arrays(model):
    return {k: v.data.copy() for k, v in model.state_dict().items()}


def assert_same_arrays(a, b):
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.fixture(autouse=True)
def keep_global_rng():
    state = io.rng_state()
    yield
    io.set_rng_state(state)


@pytest.fixture
def saved(tmp_path):
    model = mlp(seed=1)
    model.train()
    model(nr.randn(16, 4))  # move the BatchNorm running statistics off their initial values
    opt = FakeAdam(model.parameters(), lr=0.01)
    opt.fake_step()
    opt.fake_step()
    path = io.save(
        model,
        tmp_path / "run" / "model.safetensors",
        opt,
        extra={"seed": 1, "config": {"layers": [4, 8, 3], "name": "mlp"}, "best": np.float32(0.25)},
        epoch=7,
        history={"loss": [1.0, 0.5], "val_loss": [1.1, float("nan")]},
        rng_state=io.rng_state(),
    )
    return path, model, opt


# ---- round trip ----------------------------------------------------------------------------------
def test_round_trip_weights_optimizer_state_and_metadata(saved):
    path, model, opt = saved
    fresh, fresh_opt = mlp(seed=2), FakeAdam(mlp(seed=2).parameters())
    assert not np.array_equal(fresh[0].weight.data, model[0].weight.data)

    ckpt = io.load(path, fresh, fresh_opt)

    assert_same_arrays(arrays(fresh), arrays(model))
    assert fresh.state_dict()["1.num_batches_tracked"].data.shape == ()
    assert fresh.state_dict()["1.num_batches_tracked"].data.dtype == np.int64
    x = nr.randn(5, 4)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).data, model(x).data)

    assert fresh_opt.param_groups[0]["lr"] == 0.01
    assert fresh_opt.param_groups[0]["betas"] == (0.9, 0.999)  # tuples survive JSON
    assert sorted(fresh_opt.state) == list(range(6))
    for i, s in opt.state.items():
        loaded = fresh_opt.state[i]
        assert loaded["step"] == 2 and type(loaded["step"]) is int
        assert isinstance(loaded["exp_avg"], np.ndarray)
        np.testing.assert_array_equal(loaded["exp_avg"], s["exp_avg"])
        assert isinstance(loaded["exp_avg_sq"], Tensor)
        np.testing.assert_array_equal(loaded["exp_avg_sq"].data, s["exp_avg_sq"].data)
        assert loaded["scale"] == np.float32(0.5) and loaded["scale"].dtype == np.float32

    assert ckpt.epoch == 7
    assert ckpt.history["loss"] == [1.0, 0.5] and np.isnan(ckpt.history["val_loss"][1])
    assert ckpt.extra == {"seed": 1, "config": {"layers": [4, 8, 3], "name": "mlp"}, "best": 0.25}
    assert ckpt.model_class == "Sequential" and ckpt.optimizer_class == "FakeAdam"
    assert ckpt.neurona_version == nr.__version__
    assert list(ckpt.model_state) == list(model.state_dict())


def test_load_without_model_returns_arrays_only(saved):
    path, model, _ = saved
    ckpt = io.load(path)
    assert_same_arrays(ckpt.model_state, arrays(model))
    assert ckpt.optimizer_state["param_groups"][0]["params"] == list(range(6))


def test_float64_model_keeps_its_dtype(tmp_path):
    model = mlp().double()
    io.save(model, tmp_path / "m.safetensors")
    ckpt = io.load(tmp_path / "m.safetensors", mlp(seed=3).double())
    assert ckpt.model_state["0.weight"].dtype == np.float64
    assert ckpt.optimizer_state is None and ckpt.extra == {} and ckpt.epoch is None


def test_rng_state_gives_bit_identical_draws(saved):
    path, _, _ = saved
    state = io.rng_state()
    json.dumps(state)
    a = nr.randn(6).data
    io.set_rng_state(state)
    np.testing.assert_array_equal(nr.randn(6).data, a)
    io.set_rng_state(io.load(path).rng_state)  # also restorable from a checkpoint
    nr.randn(3)
    with pytest.raises(ValueError, match="PCG64"):
        io.set_rng_state({"bit_generator": "MT19937"})


def test_history_object_is_accepted(tmp_path):
    class History:
        def __init__(self):
            self.history = {"loss": [np.float64(0.3)]}

    io.save(mlp(), tmp_path / "m.safetensors", history=History())
    assert io.load(tmp_path / "m.safetensors").history == {"loss": [0.3]}


# ---- safety: format, atomic writes ---------------------------------------------------------------
def test_file_is_plain_safetensors_without_pickle(saved):
    path, model, _ = saved
    data = path.read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    assert data[8:9] == b"{"  # JSON header right after the length: no pickle opcode anywhere near
    header = json.loads(data[8 : 8 + header_len])
    meta = json.loads(header["__metadata__"]["neurona"])
    assert meta["format"] == "neurona.checkpoint" and meta["epoch"] == 7
    assert meta["optimizer"]["class"] == "FakeAdam"
    tensors = safetensors.numpy.load_file(str(path))  # any safetensors reader can open it
    assert {f"model.{k}" for k in model.state_dict()} <= set(tensors)
    assert "optimizer.state.0.exp_avg" in tensors and "optimizer.state.0.step" not in tensors


@pytest.mark.parametrize("fail_in", ["replace", "fsync"])
def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(saved, monkeypatch, fail_in):
    path, _, _ = saved
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, fail_in, boom)
    with pytest.raises(OSError, match="simulated"):
        io.save(mlp(seed=5), path, epoch=8)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]
    assert io.load(path).epoch == 7


def test_save_rejects_non_json_extra_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match=r"extra\['weights'\] is of type ndarray"):
        io.save(mlp(), tmp_path / "m.safetensors", extra={"weights": np.zeros(3)})
    with pytest.raises(TypeError, match="JSON keys must be str"):
        io.save(mlp(), tmp_path / "m.safetensors", extra={1: "a"})
    assert not (tmp_path / "m.safetensors").exists()
    assert os.listdir(tmp_path) == []


# ---- broken files and wrong models ---------------------------------------------------------------
@pytest.mark.parametrize("keep", [0, 5, 8, 100, -1])
def test_truncated_file_raises_checkpoint_error(saved, keep):
    path, _, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    model = mlp(seed=4)
    before = arrays(model)
    with pytest.raises(CheckpointError, match="truncated or corrupted") as info:
        io.load(path, model)
    assert str(path) in str(info.value)
    assert_same_arrays(arrays(model), before)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_bytes_raise_checkpoint_error(tmp_path, seed):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(np.random.default_rng(seed).bytes(2000))
    with pytest.raises(CheckpointError, match=r"noise\.safetensors"):
        io.load(path)


def test_corrupted_header_raises_checkpoint_error(saved):
    path, _, _ = saved
    data = bytearray(path.read_bytes())
    data[9:14] = b"\xff\xfe\x00{]"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        io.load(path)


def test_plain_safetensors_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "weights.safetensors"
    safetensors.numpy.save_file({"0.weight": np.zeros((2, 2), np.float32)}, str(path))
    with pytest.raises(CheckpointError, match="not a neurona checkpoint"):
        io.load(path)


def test_newer_format_version_is_refused(tmp_path):
    meta = {"format": "neurona.checkpoint", "format_version": 99, "neurona_version": "9.0"}
    path = tmp_path / "future.safetensors"
    safetensors.numpy.save_file(
        {"model.w": np.zeros(2, np.float32)}, str(path), {"neurona": json.dumps(meta)}
    )
    with pytest.raises(CheckpointError, match="newer neurona"):
        io.load(path)


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (lambda: mlp(hidden=16), "shapes differ for 0.weight: checkpoint (8, 4) vs model (16, 4)"),
        (
            lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)),
            "checkpoint has keys this model lacks",
        ),
        (
            lambda: nn.Sequential(
                nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3), nn.Linear(3, 2)
            ),
            "this model is missing from the checkpoint: 4.weight, 4.bias",
        ),
    ],
)
def test_wrong_model_raises_and_changes_nothing(saved, other, message):
    path, _, _ = saved
    model = other()
    opt = FakeAdam(model.parameters())
    before, arrays_before = arrays(model), [t.data for t in model.state_dict().values()]
    with pytest.raises(CheckpointError) as info:
        io.load(path, model, opt)
    text = str(info.value)
    assert str(path) in text and "saved from Sequential with keys 0.weight" in text
    assert message in text
    assert_same_arrays(arrays(model), before)
    assert all(a is t.data for a, t in zip(arrays_before, model.state_dict().values()))
    assert opt.state == {}


def test_wrong_optimizer_raises_and_changes_nothing(saved):
    path, _, _ = saved
    model = mlp(seed=3)
    before = arrays(model)
    with pytest.raises(CheckpointError, match="holds FakeAdam state, but the optimizer given is FakeSGD"):
        io.load(path, model, FakeSGD(model.parameters()))
    with pytest.raises(CheckpointError, match=r"groups of sizes \[6\], this one \[2\]"):
        io.load(path, model, FakeAdam(list(model.parameters())[:2]))
    assert_same_arrays(arrays(model), before)


def test_optimizer_refusing_the_state_rolls_the_model_back(saved):
    path, _, _ = saved

    class Picky(FakeAdam):
        def load_state_dict(self, sd):
            raise ValueError("Picky refuses")

    Picky.__name__ = "FakeAdam"
    model = mlp(seed=3)
    before = arrays(model)
    with pytest.raises(CheckpointError, match=r"nothing was changed.*Picky refuses"):
        io.load(path, model, Picky(model.parameters()))
    assert_same_arrays(arrays(model), before)


def test_optimizer_requested_but_not_saved(tmp_path):
    io.save(mlp(), tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="saved without an optimizer"):
        io.load(tmp_path / "m.safetensors", mlp(), FakeAdam(mlp().parameters()))


def test_real_optimizer_round_trip(tmp_path):
    optim = pytest.importorskip("neurona.optim")
    model = mlp(seed=1)
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        loss = (model(nr.randn(8, 4)) ** 2).mean()
        model.zero_grad()
        loss.backward()
        opt.step()
    io.save(model, tmp_path / "m.safetensors", opt, epoch=2)
    fresh = mlp(seed=2)
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    io.load(tmp_path / "m.safetensors", fresh, fresh_opt)
    assert_same_arrays(arrays(fresh), arrays(model))
    saved_sd, loaded_sd = opt.state_dict(), fresh_opt.state_dict()
    assert loaded_sd["param_groups"] == saved_sd["param_groups"]
    for i, entries in saved_sd["state"].items():
        for name, value in entries.items():
            got = loaded_sd["state"][i][name]
            np.testing.assert_array_equal(getattr(got, "data", got), getattr(value, "data", value))


# ---- PyTorch interop -----------------------------------------------------------------------------
def torch_mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )


def test_neurona_weights_into_torch_give_the_same_predictions():
    model = mlp(seed=1)
    model.train()
    model(nr.randn(32, 4))  # non-trivial running statistics
    model.eval()
    sd = io.to_torch_state_dict(model)
    assert list(sd) == list(model.state_dict())
    assert all(isinstance(v, torch.Tensor) for v in sd.values())
    net = torch_mlp()
    net.load_state_dict(sd)
    net.eval()
    x = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(nr.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)
    sd["0.weight"].add_(1.0)  # a copy: torch-side changes do not reach the neurona model
    assert not np.allclose(model[0].weight.data, sd["0.weight"].numpy())


@pytest.mark.parametrize("as_module", [False, True])
def test_torch_weights_into_neurona_give_the_same_predictions(as_module):
    net = torch_mlp()
    net.train()
    net(torch.randn(32, 4))
    net.eval()
    model = mlp(seed=1)
    result = io.from_torch_state_dict(model, net if as_module else net.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert model[1].num_batches_tracked.data == 1
    model.eval()
    x = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(nr.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


def test_torch_weights_that_do_not_fit_change_nothing():
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    before = arrays(model)
    with pytest.raises(ShapeError, match=r"size mismatch for 0\.weight"):
        io.from_torch_state_dict(model, net.state_dict())
    assert_same_arrays(arrays(model), before)
    with pytest.raises(TypeError, match="expected a torch state dict"):
        io.from_torch_state_dict(model, 3)
