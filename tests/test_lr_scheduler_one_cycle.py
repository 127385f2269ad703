"""neurona.optim.lr_scheduler.one_cycle: OneCycleLR cycles Adam's beta1 like torch, stops at total_steps,
and checks its arguments."""

import numpy as np
import pytest
import torch

from lr_scheduler_cases import SCHEDULES, STEPS, TOL, adam, nr_opt, run, torch_opt
from neurona import nn, optim
from neurona.errors import ConfigError
from neurona.optim import lr_scheduler


def test_one_cycle_cycles_adam_beta1_like_torch():
    t_opt, n_opt = torch_opt(adam), nr_opt(adam)
    make = SCHEDULES["OneCycleLR"]
    t_lrs, t_b1 = run(make(torch.optim.lr_scheduler, t_opt), t_opt, STEPS, "betas")
    n_lrs, n_b1 = run(make(lr_scheduler, n_opt), n_opt, STEPS, "betas")
    np.testing.assert_allclose(n_lrs, t_lrs, **TOL)
    np.testing.assert_allclose(n_b1, t_b1, **TOL)
    assert n_b1.min() == pytest.approx(0.85) and n_b1[0, 0] == pytest.approx(0.95)
    assert all(g["betas"][1] == 0.999 for g in n_opt.param_groups)


def test_one_cycle_cannot_step_past_total_steps():
    opt = nr_opt()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="tried to step 4 times"):
        sched.step()


def test_one_cycle_errors():
    opt = nr_opt()
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
