"""Learning-rate schedulers: the same lr (and momentum) sequence as torch.optim.lr_scheduler for 50 steps,
state-dict round trips, and clear errors."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch

from neurona import nn, optim
from neurona.errors import ConfigError
from neurona.optim import lr_scheduler

STEPS = 50
TOL = dict(rtol=1e-13, atol=1e-15)


def _sgd(O, Param, zeros, momentum=0.9):
    groups = [{"params": [Param(zeros(2))], "lr": 0.1}, {"params": [Param(zeros(3))], "lr": 0.05}]
    return O.SGD(groups, lr=0.1, momentum=momentum)


def _adam(O, Param, zeros):
    return O.Adam([{"params": [Param(zeros(2))], "lr": 0.01}, {"params": [Param(zeros(3))]}], lr=0.02)


def _torch_opt(make_opt=_sgd):
    return make_opt(torch.optim, torch.nn.Parameter, torch.zeros)


def _nr_opt(make_opt=_sgd):
    return make_opt(optim, nn.Parameter, np.zeros)


SCHEDULES = {
    "StepLR": lambda L, opt: L.StepLR(opt, step_size=7, gamma=0.5),
    "MultiStepLR": lambda L, opt: L.MultiStepLR(opt, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda L, opt: L.ExponentialLR(opt, gamma=0.93),
    "CosineAnnealingLR": lambda L, opt: L.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-long": lambda L, opt: L.CosineAnnealingLR(opt, T_max=50),
    "CosineAnnealingWarmRestarts": lambda L, opt: L.CosineAnnealingWarmRestarts(opt, T_0=5),
    "CosineAnnealingWarmRestarts-mult": lambda L, opt: L.CosineAnnealingWarmRestarts(
        opt, T_0=3, T_mult=2, eta_min=1e-3
    ),
    "LinearLR": lambda L, opt: L.LinearLR(opt, start_factor=0.1, total_iters=10),
    "LinearLR-decay": lambda L, opt: L.LinearLR(opt, start_factor=1.0, end_factor=0.2, total_iters=20),
    "LambdaLR": lambda L, opt: L.LambdaLR(opt, lr_lambda=lambda epoch: 0.95**epoch),
    "LambdaLR-per-group": lambda L, opt: L.LambdaLR(
        opt, lr_lambda=[lambda e: 1 / (1 + e), lambda e: 0.9 ** (e // 3)]
    ),
    "SequentialLR": lambda L, opt: L.SequentialLR(
        opt,
        [L.LinearLR(opt, start_factor=0.1, total_iters=5), L.ExponentialLR(opt, gamma=0.9)],
        milestones=[5],
    ),
    "SequentialLR-three": lambda L, opt: L.SequentialLR(
        opt,
        [L.ExponentialLR(opt, gamma=1.2), L.CosineAnnealingLR(opt, T_max=10), L.StepLR(opt, 4, 0.5)],
        milestones=[6, 20],
    ),
    "OneCycleLR": lambda L, opt: L.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=STEPS),
    "OneCycleLR-three-phase-linear": lambda L, opt: L.OneCycleLR(
        opt,
        max_lr=0.3,
        epochs=5,
        steps_per_epoch=10,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        base_momentum=0.8,
        max_momentum=[0.9, 0.99],
        div_factor=10.0,
        final_div_factor=100.0,
    ),
}


def _run(sched, opt, steps, momentum_key="momentum"):
    """lr of every group and momentum before each of ``steps`` (optimizer.step(), scheduler.step()) pairs."""
    lrs, momenta = [], []
    for _ in range(steps):
        lrs.append(list(sched.get_last_lr()))
        group_lrs = [g["lr"] for g in opt.param_groups]
        assert group_lrs == lrs[-1]
        if momentum_key == "betas":
            momenta.append([g["betas"][0] for g in opt.param_groups])
        else:
            momenta.append([g.get(momentum_key) for g in opt.param_groups])
        opt.step()
        sched.step()
    return np.array(lrs), np.array(momenta, dtype=float)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_matches_torch(name):
    t_opt, n_opt = _torch_opt(), _nr_opt()
    t_sched, n_sched = SCHEDULES[name](torch.optim.lr_scheduler, t_opt), SCHEDULES[name](lr_scheduler, n_opt)
    assert [g["initial_lr"] for g in n_opt.param_groups] == [g["initial_lr"] for g in t_opt.param_groups]
    t_lrs, t_mom = _run(t_sched, t_opt, STEPS)
    n_lrs, n_mom = _run(n_sched, n_opt, STEPS)
    np.testing.assert_allclose(n_lrs, t_lrs, **TOL)
    np.testing.assert_allclose(n_mom, t_mom, **TOL)  # OneCycleLR cycles the momentum
    assert n_sched.last_epoch == t_sched.last_epoch


def test_one_cycle_cycles_adam_beta1_like_torch():
    t_opt, n_opt = _torch_opt(_adam), _nr_opt(_adam)
    make = SCHEDULES["OneCycleLR"]
    t_lrs, t_b1 = _run(make(torch.optim.lr_scheduler, t_opt), t_opt, STEPS, "betas")
    n_lrs, n_b1 = _run(make(lr_scheduler, n_opt), n_opt, STEPS, "betas")
    np.testing.assert_allclose(n_lrs, t_lrs, **TOL)
    np.testing.assert_allclose(n_b1, t_b1, **TOL)
    assert n_b1.min() == pytest.approx(0.85) and n_b1[0, 0] == pytest.approx(0.95)
    assert all(g["betas"][1] == 0.999 for g in n_opt.param_groups)


def test_one_cycle_cannot_step_past_total_steps():
    opt = _nr_opt()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="tried to step 4 times"):
        sched.step()


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
    t_opt, n_opt = _torch_opt(), _nr_opt()
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


def test_warm_restarts_fractional_epochs_match_torch():
    t_opt, n_opt = _torch_opt(), _nr_opt()
    t_sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(t_opt, T_0=2, T_mult=2)
    n_sched = lr_scheduler.CosineAnnealingWarmRestarts(n_opt, T_0=2, T_mult=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(10):
            for i in range(4):
                t_opt.step()
                n_opt.step()
                t_sched.step(epoch + i / 4)
                n_sched.step(epoch + i / 4)
                np.testing.assert_allclose(n_sched.get_last_lr(), t_sched.get_last_lr(), **TOL)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"])
def test_step_with_epoch_uses_closed_form_like_torch(name):
    t_opt, n_opt = _torch_opt(), _nr_opt()
    t_sched, n_sched = SCHEDULES[name](torch.optim.lr_scheduler, t_opt), SCHEDULES[name](lr_scheduler, n_opt)
    t_opt.step()
    n_opt.step()
    for epoch in (3, 13, 31, 7):
        with pytest.warns(UserWarning, match="epoch parameter"):
            n_sched.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sched.step(epoch)
        np.testing.assert_allclose(n_sched.get_last_lr(), t_sched.get_last_lr(), **TOL)


class Warmup:
    """A callable object: its state is saved by LambdaLR.state_dict (plain functions are not)."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


ROUND_TRIP = {**SCHEDULES, "LambdaLR-callable-object": lambda L, opt: L.LambdaLR(opt, Warmup(8))}


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_state_dict_round_trip(name):
    make = ROUND_TRIP[name]
    opt = _nr_opt()
    sched = make(lr_scheduler, opt)
    _run(sched, opt, 20)
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), opt.state_dict()
    assert "optimizer" not in saved_sched
    expected, expected_mom = _run(sched, opt, 30)

    opt2 = _nr_opt()
    if name == "LambdaLR-callable-object":
        sched2 = lr_scheduler.LambdaLR(opt2, Warmup(1))
    else:
        sched2 = make(lr_scheduler, opt2)  # create the scheduler first, then load both (as in torch)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    got, got_mom = _run(sched2, opt2, 30)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got_mom, expected_mom)


def test_plateau_state_dict_round_trip():
    opt = _nr_opt()
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    for m in (1.0, 0.5, 0.4):
        sched.step(m)
    opt2 = _nr_opt()
    sched2 = lr_scheduler.ReduceLROnPlateau(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(copy.deepcopy(sched.state_dict()))
    assert sched2.mode == "max" and sched2.best == 1.0 and sched2._is_better(2.0, 1.0)
    for m in (0.3, 0.2, 0.1, 5.0):
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_resume_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_nr_opt(), step_size=3, last_epoch=5)
    opt = _nr_opt()
    lr_scheduler.StepLR(opt, step_size=3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]


def test_errors():
    opt = _nr_opt()
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=3)
    with pytest.raises(ConfigError, match="step_size must be a positive integer"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ConfigError, match="start_factor must be in"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ConfigError, match="positive integer T_0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ConfigError, match="T_mult >= 1"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ConfigError, match="total_steps, or epochs and steps_per_epoch"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ConfigError, match="pct_start"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ConfigError, match="anneal_strategy"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ConfigError, match="one value per param group"):
        lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    with pytest.raises(ConfigError, match="neither"):
        lr_scheduler.OneCycleLR(optim.Adagrad([nn.Parameter(np.zeros(2))]), max_lr=0.1, total_steps=10)
    with pytest.raises(ConfigError, match=r"factor must be < 1\.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ConfigError, match="mode must be 'min' or 'max'"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ConfigError, match="expected 2 min_lrs"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(ValueError, match="one more scheduler than milestones"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ReduceLROnPlateau(opt)], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(_nr_opt(), 2)], milestones=[])


def test_cosine_annealing_reaches_eta_min_and_comes_back():
    opt = _nr_opt()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    lrs, _ = _run(sched, opt, 21)
    assert lrs[10, 0] == pytest.approx(0.001) and lrs[20, 0] == pytest.approx(0.1)
    assert lrs[5, 0] == pytest.approx(0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi / 2)) / 2)
