"""nn and optim details the PyTorch way, compared with torch: namespaces, channel dropout, hooks, parameter
containers, load_state_dict's result, optimiser flags, nn.init and nn.utils (values and gradients)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurona
from neurona import nn, optim
from neurona.errors import ConfigError

torch = pytest.importorskip("torch")


def test_torch_module_paths_are_neuronas_modules():
    import neurona.nn.functional as F
    import neurona.utils.data as data

    import neurona.optim.lr_scheduler as sched
    from neurona.nn.utils.rnn import pad_sequence

    assert F is neurona.functional and neurona.nn.functional is F
    assert data is neurona.data and neurona.utils.data.DataLoader is neurona.data.DataLoader
    assert sched is optim.lr_scheduler and callable(pad_sequence)
    assert neurona.nn.init.kaiming_uniform_ is not None and callable(neurona.nn.utils.clip_grad_norm_)


@pytest.mark.parametrize("layer, shape, spatial", [("Dropout1d", (4, 6, 5), 1), ("Dropout1d", (6, 5), 1),
                                                   ("Dropout2d", (4, 6, 3, 3), 2)])
def test_channel_dropout_zeroes_whole_channels_and_scales_the_rest(layer, shape, spatial):
    neurona.manual_seed(0)
    x = neurona.tensor(np.random.default_rng(0).normal(size=shape).astype(np.float32), requires_grad=True)
    y = getattr(nn, layer)(p=0.4)(x)
    y.sum().backward()
    channels = y.numpy().reshape(*shape[: len(shape) - spatial], -1)
    grads = x.grad.numpy().reshape(channels.shape)
    kept = np.abs(channels).sum(-1) > 0
    assert 0 < kept.mean() < 1
    ratio = channels[kept] / x.numpy().reshape(channels.shape)[kept]
    np.testing.assert_allclose(ratio, 1 / 0.6, rtol=1e-6)
    np.testing.assert_allclose(grads[kept], 1 / 0.6, rtol=1e-6)
    assert not grads[~kept].any()
    tlayer = getattr(torch.nn, layer)(p=0.4).eval()
    assert getattr(nn, layer)(p=0.4).eval()(x) is x and tlayer(torch.ones(shape)).sum() == np.prod(shape)
    with pytest.raises(ValueError, match=layer):
        getattr(nn, layer)(0.5)(neurona.ones(2))


def test_forward_pre_hooks_and_hooks_match_torch_and_remove():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    theirs.load_state_dict(neurona.io.to_torch_state_dict(ours))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    results = {}
    for name, layer, make in (("ours", ours, neurona.tensor), ("theirs", theirs, torch.tensor)):
        calls = []
        pre = layer.register_forward_pre_hook(lambda m, inp: (inp[0] + 1,))
        post = layer.register_forward_hook(lambda m, inp, out: calls.append(tuple(inp[0].shape)) or out * 2)
        with_hooks = layer(make(x)).detach().numpy().copy()
        pre.remove()
        post.remove()
        post.remove()  # removing twice is harmless
        without = layer(make(x)).detach().numpy().copy()
        results[name] = (with_hooks, without, calls)
    np.testing.assert_allclose(results["ours"][0], results["theirs"][0], rtol=1e-6)
    np.testing.assert_allclose(results["ours"][1], results["theirs"][1], rtol=1e-6)
    assert results["ours"][2] == results["theirs"][2] == [(2, 3)]
    with ours.register_forward_hook(lambda m, i, o: o * 0):
        assert not ours(neurona.tensor(x)).numpy().any()
    assert ours(neurona.tensor(x)).numpy().any()


def test_dropout2d_reads_a_3d_input_as_torch_does():
    neurona.manual_seed(1)
    with pytest.warns(UserWarning, match=r"\(N, C, L\)"):
        y = nn.Dropout2d(0.5)(neurona.ones(8, 5, 4)).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == y[:, :, :1]).all()  # one mask per (N, C) row
    assert len(np.unique(y[:, :, 0])) == 2


def test_a_pre_hook_may_return_a_single_value():
    layer = nn.Identity()
    layer.register_forward_pre_hook(lambda m, inp: inp[0] * 3)
    assert layer(neurona.ones(2)).tolist() == [3.0, 3.0]


def test_parameter_containers_register_like_torchs():
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.plist = nn.ParameterList([nn.Parameter(np.ones(2, dtype=np.float32)), neurona.zeros(3)])
            self.pdict = nn.ParameterDict({"b": nn.Parameter(np.ones(1, dtype=np.float32))})
            self.pdict["a"] = nn.Parameter(np.ones(4, dtype=np.float32))

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.plist = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.zeros(3)])
            self.pdict = torch.nn.ParameterDict({"b": torch.nn.Parameter(torch.ones(1))})
            self.pdict["a"] = torch.nn.Parameter(torch.ones(4))

    ours, theirs = Ours(), Theirs()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert isinstance(ours.plist[1], nn.Parameter) and len(ours.plist) == 2 and "a" in ours.pdict
    assert list(ours.pdict.keys()) == list(theirs.pdict.keys())


def test_load_state_dict_reports_keys_like_torch():
    ours = nn.Linear(2, 2).load_state_dict({"weight": np.zeros((2, 2), np.float32), "bias": np.zeros(2)})
    assert repr(ours) == "<All keys matched successfully>" == repr(torch.nn.Linear(2, 2).load_state_dict(
        {"weight": torch.zeros(2, 2), "bias": torch.zeros(2)}))
    partial = nn.Linear(2, 2).load_state_dict({"weight": np.zeros((2, 2), np.float32), "extra": 1}, strict=False)
    assert partial.missing_keys == ["bias"] and partial.unexpected_keys == ["extra"]
    missing, unexpected = partial
    assert (missing, unexpected) == (["bias"], ["extra"])


def test_optimizer_accepts_torchs_implementation_flags_and_refuses_differentiable():
    params = list(nn.Linear(2, 2).parameters())
    opt = optim.Adam(params, foreach=True, fused=False, capturable=False)
    assert opt.param_groups[0]["foreach"] is True and opt.param_groups[0]["fused"] is False
    with pytest.raises(ConfigError, match="differentiable=True is not supported"):
        optim.SGD(params, lr=0.1, differentiable=True)


# ---- nn.init --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, param", [("linear", None), ("conv1d", None), ("conv_transpose2d", None),
                                         ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
                                         ("leaky_relu", None), ("leaky_relu", 0.3)])
def test_calculate_gain_matches_torch(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


@pytest.mark.parametrize("fn, kwargs, std", [
    ("kaiming_normal_", {"mode": "fan_in", "nonlinearity": "relu"}, math.sqrt(2 / (40 * 9))),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / (60 * 9))),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, math.sqrt(2 / 6) / math.sqrt(40 * 9)),
    ("xavier_normal_", {"gain": 2.0}, 2.0 * math.sqrt(2 / (40 * 9 + 60 * 9))),
    ("xavier_uniform_", {}, math.sqrt(2 / (40 * 9 + 60 * 9))),
])
def test_initialisers_have_torchs_spread_in_place(fn, kwargs, std):
    w = nn.Parameter(np.zeros((60, 40, 3, 3), dtype=np.float32))
    array = w.data
    out = getattr(nn.init, fn)(w, **kwargs)
    assert out is w and w.data is array and w.requires_grad and w.dtype == np.float32
    t = getattr(torch.nn.init, fn)(torch.empty(60, 40, 3, 3), **kwargs)
    assert w.numpy().std() == pytest.approx(std, rel=0.03) == pytest.approx(float(t.std()), rel=0.05)


def test_deterministic_initialisers_equal_torchs():
    for fn, shape, args in (("eye_", (3, 5), ()), ("dirac_", (4, 2, 3, 3), (2,)), ("constant_", (2, 3), (0.7,)),
                            ("ones_", (2,), ()), ("zeros_", (2, 2), ())):
        ours = getattr(nn.init, fn)(neurona.ones(*shape), *args)
        theirs = getattr(torch.nn.init, fn)(torch.ones(shape), *args)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=fn)


def test_random_initialisers_take_a_generator_and_keep_their_bounds():
    a = nn.init.trunc_normal_(neurona.zeros(200, 50), std=1.0, a=-0.5, b=0.5, generator=np.random.default_rng(0))
    b = nn.init.trunc_normal_(neurona.zeros(200, 50), std=1.0, a=-0.5, b=0.5, generator=np.random.default_rng(0))
    assert np.array_equal(a.numpy(), b.numpy()) and np.abs(a.numpy()).max() <= 0.5
    q = nn.init.orthogonal_(neurona.zeros(5, 8), gain=2.0).numpy()
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(5), atol=1e-5)
    s = nn.init.sparse_(neurona.zeros(10, 6), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) == 3).all()
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(neurona.zeros(3))


# ---- nn.utils -------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0])
def test_clip_grad_norm_returns_and_clips_like_torch(norm_type):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=s).astype(np.float32) for s in ((3, 4), (4,), (2, 2))]
    ours = [nn.Parameter(np.zeros(g.shape, np.float32)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = neurona.tensor(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, 0.5, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-5)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-5)
    nn.utils.clip_grad_value_(ours, 0.05)
    torch.nn.utils.clip_grad_value_(theirs, 0.05)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_parameters_to_vector_and_back_match_torch_with_gradients():
    ours = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    theirs.load_state_dict(neurona.io.to_torch_state_dict(ours))
    v_ours, v_theirs = nn.utils.parameters_to_vector(ours.parameters()), torch.nn.utils.parameters_to_vector(
        theirs.parameters())
    np.testing.assert_array_equal(v_ours.numpy(), v_theirs.detach().numpy())
    weights = np.arange(11, dtype=np.float32)
    (v_ours * neurona.tensor(weights)).sum().backward()
    (v_theirs * torch.tensor(weights)).sum().backward()
    for o, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())
    nn.utils.vector_to_parameters(neurona.tensor(weights), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(weights), theirs.parameters())
    for o, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(o.numpy(), t.detach().numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch_in_values_and_gradients(batch_first, padding_side):
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=(n, 3)).astype(np.float32) for n in (2, 5, 3)]
    ours = [neurona.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = nn.utils.rnn.pad_sequence(ours, batch_first=batch_first, padding_value=-2.0, padding_side=padding_side)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, batch_first=batch_first, padding_value=-2.0,
                                               padding_side=padding_side)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    weights = rng.normal(size=expected.shape).astype(np.float32)
    (out * neurona.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="same rest"):
        nn.utils.rnn.pad_sequence([neurona.ones(2, 3), neurona.ones(2, 4)])


def test_register_buffer_checks_like_torch_and_persistent_decides_the_state_dict():
    layer = nn.Linear(2, 2)
    layer.register_buffer("steps", neurona.zeros(1))
    layer.register_buffer("cache", neurona.zeros(3), persistent=False)
    tlayer = torch.nn.Linear(2, 2)
    tlayer.register_buffer("steps", torch.zeros(1))
    tlayer.register_buffer("cache", torch.zeros(3), persistent=False)
    assert list(layer.state_dict()) == list(tlayer.state_dict()) == ["weight", "bias", "steps"]
    assert [n for n, _ in layer.named_buffers()] == [n for n, _ in tlayer.named_buffers()] == ["steps", "cache"]
    for bad, error in ((("a.b", neurona.ones(1)), KeyError), (("weight", neurona.ones(1)), KeyError),
                       (("x", [1, 2]), TypeError)):
        with pytest.raises(error):
            layer.register_buffer(*bad)
        with pytest.raises(error):
            tlayer.register_buffer(bad[0], torch.ones(1) if error is KeyError else [1, 2])


def test_module_list_slices_inserts_and_replaces_like_torch():
    ours = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    theirs = torch.nn.ModuleList([torch.nn.Linear(1, 1), torch.nn.ReLU()])
    for m, lin in ((ours, nn.Linear), (theirs, torch.nn.Linear)):
        m.insert(1, lin(1, 2))
        m[2] = lin(2, 3)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert isinstance(ours[1:], nn.ModuleList) and len(ours[1:]) == len(theirs[1:]) == 2


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
                                          ("Adam", {"lr": 0.01, "amsgrad": True}),
                                          ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.1})])
def test_optimizer_state_dicts_equal_torchs_in_structure_and_values(name, kwargs):
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    theirs.load_state_dict(neurona.io.to_torch_state_dict(ours))
    opt = getattr(optim, name)([{"params": ours[0].parameters()}, {"params": ours[2].parameters(), "lr": 0.002}],
                               **kwargs)
    topt = getattr(torch.optim, name)([{"params": theirs[0].parameters()},
                                       {"params": theirs[2].parameters(), "lr": 0.002}], **kwargs)
    x = np.random.default_rng(3).normal(size=(5, 3)).astype(np.float32)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        (ours(neurona.tensor(x)) ** 2).sum().backward()
        (theirs(torch.tensor(x)) ** 2).sum().backward()
        opt.step()
        topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"]) == [0, 1, 2, 3]
    for index, entries in tsd["state"].items():
        assert list(sd["state"][index]) == list(entries)
        for key, value in entries.items():
            np.testing.assert_allclose(np.asarray(sd["state"][index][key]), value.numpy(), rtol=1e-5, atol=1e-7,
                                       err_msg=f"state[{index}][{key!r}]")
