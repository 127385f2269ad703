"""Optimisers: 25 steps on the same MLP match torch.optim (float64), state dicts round-trip (and load from
torch), updates build no graph and keep dtypes, gradients are never written to, bad settings fail clearly."""

import copy

import numpy as np
import pytest
import torch

import neurona as nr
import neurona.functional as F
from neurona import nn, optim
from neurona.errors import ConfigError, ShapeError

TOL = dict(rtol=1e-10, atol=1e-12)
STEPS = 25

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.5)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.01, nesterov=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-8)),
    ("Adagrad", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.001, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.001, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=1e-2)),
    ("NAdam", dict(lr=0.001, maximize=True)),
]
NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam"]


@pytest.fixture(autouse=True)
def torch_float64():
    # torch keeps scalar state (NAdam's mu_product) in the default dtype; float64 makes it comparable.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _data(dtype=np.float64):
    rng = np.random.default_rng(0)
    return rng.standard_normal((16, 4)).astype(dtype), rng.standard_normal((16, 3)).astype(dtype)


def _models():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    nm = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    nm.load_state_dict(tm.state_dict())
    return tm, nm


def _groups(model, lrs):
    """Two parameter groups (first layer, last layer) with their own learning rates, or all parameters."""
    if lrs is None:
        return model.parameters()
    return [
        {"params": list(model[0].parameters()), "lr": lrs[0]},
        {"params": list(model[2].parameters()), "lr": lrs[1]},
    ]


def _torch_steps(tm, opt, steps):
    x, y = (torch.tensor(a) for a in _data())
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(tm(x), y).backward()
        opt.step()


def _nr_steps(nm, opt, steps, dtype=np.float64):
    x, y = (nr.tensor(a, dtype=dtype) for a in _data(dtype))
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(nm(x), y).backward()
        opt.step()


def _assert_same_params(nm, tm, **tol):
    t_params = dict(tm.named_parameters())
    for name, p in nm.named_parameters():
        np.testing.assert_allclose(p.data, t_params[name].detach().numpy(), **(tol or TOL), err_msg=name)


@pytest.mark.parametrize(
    ("name", "kwargs"), CASES, ids=[f"{n}-{'-'.join(map(str, k.items()))}" for n, k in CASES]
)
def test_matches_torch(name, kwargs):
    tm, nm = _models()
    _torch_steps(tm, getattr(torch.optim, name)(tm.parameters(), **kwargs), STEPS)
    _nr_steps(nm, getattr(optim, name)(nm.parameters(), **kwargs), STEPS)
    _assert_same_params(nm, tm)


@pytest.mark.parametrize("name", NAMES)
def test_two_param_groups_match_torch(name):
    lrs = (0.05, 0.005) if name != "Adadelta" else (1.0, 0.2)
    tm, nm = _models()
    t_opt = getattr(torch.optim, name)(_groups(tm, lrs))
    n_opt = getattr(optim, name)(_groups(nm, lrs))
    assert [g["lr"] for g in n_opt.param_groups] == list(lrs)
    _torch_steps(tm, t_opt, STEPS)
    _nr_steps(nm, n_opt, STEPS)
    _assert_same_params(nm, tm)


ROUND_TRIP = [(n, k) for n, k in CASES if n in ("SGD", "RMSprop", "Adam", "NAdam") and len(k) >= 3] + [
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("AdamW", dict(amsgrad=True)),
]


@pytest.mark.parametrize(("name", "kwargs"), ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_state_dict_round_trip(name, kwargs):
    _, model = _models()
    opt = getattr(optim, name)(_groups(model, (0.02, 0.01)), **kwargs)
    _nr_steps(model, opt, 10)
    saved = opt.state_dict()
    frozen = copy.deepcopy(saved)
    assert sorted(saved["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2, 3]]

    _, resumed = _models()
    resumed.load_state_dict(model.state_dict())
    opt2 = getattr(optim, name)(_groups(resumed, (9.0, 9.0)), **kwargs)  # the saved lrs must win
    opt2.load_state_dict(saved)
    _nr_steps(model, opt, 10)
    _nr_steps(resumed, opt2, 10)
    for p, q in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    # the checkpoint holds copies: training on did not change it
    for index, entries in frozen["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(saved["state"][index][key], value)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adagrad", dict(lr=0.1)),
        ("RMSprop", dict(centered=True, momentum=0.5)),
        ("Adadelta", dict()),
        ("Adam", dict(amsgrad=True)),
        ("NAdam", dict()),
    ],
)
def test_loads_a_torch_optimizer_state_dict(name, kwargs):
    tm, nm = _models()
    t_opt = getattr(torch.optim, name)(tm.parameters(), **kwargs)
    _torch_steps(tm, t_opt, 10)
    nm.load_state_dict(tm.state_dict())
    n_opt = getattr(optim, name)(nm.parameters(), **kwargs)
    n_opt.load_state_dict(t_opt.state_dict())
    assert all(
        isinstance(v, np.ndarray)
        for s in n_opt.state.values()
        for k, v in s.items()
        if k not in ("step", "mu_product")
    )
    _torch_steps(tm, t_opt, 10)
    _nr_steps(nm, n_opt, 10)
    _assert_same_params(nm, tm)


def test_load_state_dict_mismatch_errors():
    _, model = _models()
    opt = optim.Adam(model.parameters())
    _nr_steps(model, opt, 1)
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="has 1 parameter groups, this optimiser has 2"):
        optim.Adam(_groups(model, (0.1, 0.1))).load_state_dict(saved)
    with pytest.raises(ValueError, match="4 parameters in the state dict and 2"):
        optim.Adam(model[0].parameters()).load_state_dict(saved)
    other = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    with pytest.raises(ShapeError, match="exp_avg"):
        optim.Adam(other.parameters()).load_state_dict(saved)


# ---- no graph, dtypes, gradients left alone ------------------------------------------------------------
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_step_builds_no_graph_keeps_dtype_and_never_writes_grads(name, kwargs):
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))  # float32
    kwargs = {**kwargs, "lr": np.float64(kwargs.get("lr", 0.01))}  # a NumPy float must not widen float32
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    x, y = (nr.tensor(a) for a in _data(np.float32))
    for _ in range(3):
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        grads = []
        for p in model.parameters():
            p.grad.data.flags.writeable = False  # any in-place write to a gradient raises
            grads.append(p.grad.data.copy())
        opt.step()
        for p, g in zip(model.parameters(), grads):
            np.testing.assert_array_equal(p.grad.data, g)
    for p in model.parameters():
        assert p.is_leaf and p.grad_fn is None and p.requires_grad
        assert type(p.data) is np.ndarray and p.data.dtype == np.float32
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, key
    with nr.no_grad():
        out = model(x)
    assert out.grad_fn is None and not out.requires_grad


def test_params_without_grad_are_skipped_and_zero_grad():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.1)
    before = [p.data.copy() for p in model.parameters()]
    model[2].weight.grad = nr.ones(3, 8)
    opt.step()
    assert len(opt.state) == 1 and model[2].weight in opt.state
    changed = [not np.array_equal(b, p.data) for b, p in zip(before, model.parameters())]
    assert changed == [False, False, True, False]
    grad = model[2].weight.grad
    opt.zero_grad(set_to_none=False)
    assert model[2].weight.grad is not grad and not model[2].weight.grad.data.any()
    assert model[0].weight.grad is None
    opt.zero_grad()
    assert model[2].weight.grad is None


def test_step_with_closure_returns_loss():
    tm, nm = _models()
    t_opt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    n_opt = optim.SGD(nm.parameters(), lr=0.1, momentum=0.9)
    (xt, yt), (xn, yn) = (torch.tensor(a) for a in _data()), (nr.tensor(a, dtype=np.float64) for a in _data())

    def t_closure():
        t_opt.zero_grad()
        loss = torch.nn.functional.mse_loss(tm(xt), yt)
        loss.backward()
        return loss

    def n_closure():
        n_opt.zero_grad()
        loss = F.mse_loss(nm(xn), yn)
        loss.backward()
        return loss

    for _ in range(5):
        np.testing.assert_allclose(n_opt.step(n_closure).item(), t_opt.step(t_closure).item(), **TOL)
    _assert_same_params(nm, tm)


def test_add_param_group_fills_defaults_and_trains_like_torch():
    tm, nm = _models()
    t_opt = torch.optim.SGD(tm[0].parameters(), lr=0.1, momentum=0.9)
    n_opt = optim.SGD(nm[0].parameters(), lr=0.1, momentum=0.9)
    t_opt.add_param_group({"params": tm[2].parameters(), "lr": 0.01})
    n_opt.add_param_group({"params": nm[2].parameters(), "lr": 0.01})
    assert n_opt.param_groups[1]["momentum"] == 0.9 and n_opt.param_groups[1]["lr"] == 0.01
    _torch_steps(tm, t_opt, 10)
    _nr_steps(nm, n_opt, 10)
    _assert_same_params(nm, tm)
    with pytest.raises(ValueError, match="more than one parameter group"):
        n_opt.add_param_group({"params": [nm[0].weight]})


def test_named_parameters_and_repr():
    _, model = _models()
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"][0] == "0.weight"
    assert repr(opt).startswith("SGD (\nParameter Group 0\n    dampening: 0\n")


# ---- errors ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("SGD", dict(lr=-0.1), r"SGD: lr must be >= 0, got -0.1"),
        ("SGD", dict(momentum=-0.5), r"SGD: momentum must be >= 0"),
        ("SGD", dict(weight_decay=-1), r"SGD: weight_decay must be >= 0"),
        (
            "SGD",
            dict(nesterov=True),
            r"nesterov=True requires momentum > 0 and dampening = 0, got momentum=0",
        ),
        ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), r"dampening=0.1"),
        ("SGD", dict(lr="fast"), r"SGD: lr must be a number, got 'fast'"),
        ("Adagrad", dict(lr_decay=-1), r"Adagrad: lr_decay must be >= 0"),
        ("Adagrad", dict(initial_accumulator_value=-1), r"initial_accumulator_value must be >= 0"),
        ("RMSprop", dict(alpha=-0.9), r"RMSprop: alpha must be >= 0"),
        ("RMSprop", dict(eps=-1e-8), r"RMSprop: eps must be >= 0"),
        ("Adadelta", dict(rho=1.5), r"Adadelta: rho must be in \[0, 1\], got 1.5"),
        ("Adam", dict(betas=(1.0, 0.999)), r"Adam: betas\[0\] must be in \[0, 1\), got 1.0"),
        ("Adam", dict(betas=(0.9, -0.1)), r"Adam: betas\[1\] must be in \[0, 1\)"),
        ("Adam", dict(betas=0.9), r"Adam: betas must be a pair"),
        ("AdamW", dict(weight_decay=-0.01), r"AdamW: weight_decay must be >= 0"),
        ("NAdam", dict(momentum_decay=-1), r"NAdam: momentum_decay must be >= 0"),
    ],
)
def test_invalid_hyperparameters(name, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        getattr(optim, name)(nn.Linear(2, 2).parameters(), **kwargs)


def test_invalid_params_and_groups():
    model = nn.Linear(2, 2)
    with pytest.raises(ConfigError, match="SGD: lr must be >= 0, got -1"):
        optim.SGD([{"params": [model.weight], "lr": -1}], lr=0.1)
    with pytest.raises(ValueError, match="needs a 'params' entry"):
        optim.SGD([{"lr": 0.1}])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(model.weight, lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD([{"params": set(model.parameters())}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimise Tensors, but one of the params is ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([model.weight * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [model.weight]}, {"params": [model.weight, model.bias]}], lr=0.1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model.weight.grad = nr.ones(3)
    with pytest.raises(ShapeError, match=r"shape \(2, 2\) has a gradient of shape \(3,\)"):
        opt.step()
