"""Module system: registration, traversal, modes, state dicts (torch-compatible keys), printing."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import neurona as nr
from neurona import nn
from neurona.errors import ShapeError


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)
        self.register_buffer("scale", nr.ones(3))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_and_traversal():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_buffers()] == ["scale"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert len(list(m.children())) == 3
    assert m.num_parameters() == 4 * 8 + 8 + 8 * 3 + 3
    # torch order: a module's own parameters and buffers, then its children's
    assert list(m.state_dict()) == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_shared_parameter_counted_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2


def test_reassigning_parameter_slot_requires_parameter_or_none():
    lin = nn.Linear(2, 2)
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="expected a Parameter"):
        lin.weight = np.zeros((2, 2))


def test_train_eval_propagates():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    m.eval()
    assert all(not sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())


def test_zero_grad_and_requires_grad():
    m = TwoLayer()
    m(nr.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_apply_visits_children_first():
    order = []
    TwoLayer().apply(lambda mod: order.append(type(mod).__name__))
    assert order == ["Linear", "ReLU", "Linear", "TwoLayer"]


def test_state_dict_moves_to_and_from_torch():
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict(t.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(m(nr.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    t2 = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    t2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    np.testing.assert_allclose(t2(torch.tensor(x)).detach().numpy(), m(nr.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_reports_problems_by_name_and_changes_nothing():
    m = TwoLayer()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    sd = {k: v.numpy() * 0 for k, v in m.state_dict().items()}
    sd["fc1.weight"] = np.zeros((9, 4))
    sd["extra"] = np.zeros(1)
    del sd["fc2.bias"]
    with pytest.raises(ShapeError) as err:
        m.load_state_dict(sd)
    msg = str(err.value)
    assert "fc1.weight" in msg and "(9, 4)" in msg and "(8, 4)" in msg
    assert "missing keys: fc2.bias" in msg and "unexpected keys: extra" in msg
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_load_state_dict_non_strict_returns_keys():
    m = TwoLayer()
    sd = OrderedDict((k, v.numpy() + 1) for k, v in m.state_dict().items() if k != "scale")
    sd["junk"] = np.zeros(2)
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["scale"] and result.unexpected_keys == ["junk"]


def test_to_double_converts_parameters_and_buffers():
    m = TwoLayer().double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m.scale.dtype == np.float64
    assert m(nr.randn(2, 4, dtype=nr.float64)).dtype == np.float64


def test_repr_is_readable():
    text = repr(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.25)))
    assert "(0): Linear(in_features=4, out_features=8, bias=True)" in text
    assert "(2): Dropout(p=0.25)" in text


def test_containers():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(seq[0], nn.Linear) and len(seq) == 2 and isinstance(seq[1:], nn.Sequential)
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and "2.weight" in ml.state_dict()
    md = nn.ModuleDict({"a": nn.Linear(2, 2)})
    assert "a" in md and list(md.state_dict()) == ["a.weight", "a.bias"]
    x = nr.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Unflatten(1, (3, 4))(nn.Flatten()(x)).shape == (2, 3, 4)
    assert nn.Identity()(x) is x


def test_forward_hook_and_removal():
    m = nn.Linear(2, 2)
    seen = []
    handle = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    m(nr.randn(3, 2))
    handle.remove()
    m(nr.randn(3, 2))
    assert seen == [(3, 2)]


def test_module_without_super_init_says_so():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super"):
        Bad()
