"""neurona.optim.lr_scheduler.plateau: ReduceLROnPlateau against torch, its state dict, and its errors."""

import copy

import numpy as np
import pytest
import torch

from lr_scheduler_cases import TOL, nr_opt, torch_opt
from neurona.errors import ConfigError
from neurona.optim import lr_scheduler


@pytest.mark.parametrize(
    ("kwargs", "metrics"),
    [
        (dict(), [1.0] * 50),
        (
            dict(patience=2, factor=0.5, cooldown=1, min_lr=[0.01, 0.02]),
            [1.0, 0.9, 0.9, 0.95, 0.9, 0.8, 0.85, 0.85, 0.85, 0.85] * 5,
        ),
        (
            dict(mode="max", threshold=0.05, threshold_mode="abs", patience=1, factor=0.7),
            list(np.sin(np.arange(50) / 3.0)),
        ),
        (dict(mode="max", threshold=0.1, patience=0, eps=1e-3), list(np.linspace(1.0, 1.5, 50))),
        (dict(threshold_mode="abs", patience=3, min_lr=0.04), list(1.0 / np.arange(1, 51) + 0.3)),
    ],
)
def test_reduce_on_plateau_matches_torch(kwargs, metrics):
    t_opt, n_opt = torch_opt(), nr_opt()
    t_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs)
    n_sched = lr_scheduler.ReduceLROnPlateau(n_opt, **kwargs)
    t_lrs, n_lrs = [], []
    for metric in metrics:
        t_opt.step()
        n_opt.step()
        t_sched.step(metric)
        n_sched.step(metric)
        t_lrs.append(t_sched.get_last_lr())
        n_lrs.append(n_sched.get_last_lr())
    np.testing.assert_allclose(n_lrs, t_lrs, **TOL)
    assert n_sched.num_bad_epochs == t_sched.num_bad_epochs and n_sched.best == t_sched.best


def test_plateau_state_dict_round_trip():
    opt = nr_opt()
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    for m in (1.0, 0.5, 0.4):
        sched.step(m)
    opt2 = nr_opt()
    sched2 = lr_scheduler.ReduceLROnPlateau(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(copy.deepcopy(sched.state_dict()))
    assert sched2.mode == "max" and sched2.best == 1.0 and sched2.is_better(2.0, 1.0)
    for m in (0.3, 0.2, 0.1, 5.0):
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_plateau_errors():
    opt = nr_opt()
    with pytest.raises(ConfigError, match=r"factor must be < 1\.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ConfigError, match="mode must be 'min' or 'max'"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ConfigError, match="expected 2 min_lrs"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])
