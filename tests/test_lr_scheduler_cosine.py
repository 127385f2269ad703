"""neurona.optim.lr_scheduler.cosine: cosine annealing and warm restarts (SGDR)."""

import math
import warnings

import numpy as np
import pytest
import torch

from lr_scheduler_cases import TOL, nr_opt, run, torch_opt
from neurona.errors import ConfigError
from neurona.optim import lr_scheduler


def test_cosine_annealing_reaches_eta_min_and_comes_back():
    opt = nr_opt()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    lrs, _ = run(sched, opt, 21)
    assert lrs[10, 0] == pytest.approx(0.001) and lrs[20, 0] == pytest.approx(0.1)
    assert lrs[5, 0] == pytest.approx(0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi / 2)) / 2)


def test_warm_restarts_fractional_epochs_match_torch():
    t_opt, n_opt = torch_opt(), nr_opt()
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


def test_warm_restarts_restart_at_the_full_rate_on_each_cycle_boundary():
    opt = nr_opt()
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=3)
    starts = [0, 3, 12, 39, 120, 363]  # 3 (3^i - 1) / 2
    for epoch in starts:
        sched.step(epoch)
        assert sched.T_cur == 0 and sched.get_last_lr() == [0.1, 0.05], epoch
        sched.step(epoch - 1e-9 if epoch else 0)
        assert sched.get_last_lr()[0] < 1e-6 or epoch == 0  # the end of the cycle before: near eta_min
    assert sched.cycle_position(130) == (10, 243)
    with pytest.raises(ValueError, match="non-negative epoch"):
        sched.step(-1)


def test_cosine_errors():
    opt = nr_opt()
    with pytest.raises(ConfigError, match="T_max must be a positive integer"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ConfigError, match="positive integer T_0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ConfigError, match="T_mult >= 1"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
