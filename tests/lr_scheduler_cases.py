"""Shared by the learning-rate scheduler tests: the same optimisers in neurona and torch, a table of
schedules (built by one function from either library's ``lr_scheduler`` module), and a runner that
records the lr and momentum before each step."""

import numpy as np
import torch

from neurona import nn, optim

STEPS = 50
TOL = dict(rtol=1e-13, atol=1e-15)


def sgd(O, Param, zeros, momentum=0.9):
    groups = [{"params": [Param(zeros(2))], "lr": 0.1}, {"params": [Param(zeros(3))], "lr": 0.05}]
    return O.SGD(groups, lr=0.1, momentum=momentum)


def adam(O, Param, zeros):
    return O.Adam([{"params": [Param(zeros(2))], "lr": 0.01}, {"params": [Param(zeros(3))]}], lr=0.02)


def torch_opt(make_opt=sgd):
    return make_opt(torch.optim, torch.nn.Parameter, torch.zeros)


def nr_opt(make_opt=sgd):
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


def run(sched, opt, steps, momentum_key="momentum"):
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


class Warmup:
    """A callable object: its state is saved by LambdaLR.state_dict (plain functions are not)."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


ROUND_TRIP = {**SCHEDULES, "LambdaLR-callable-object": lambda L, opt: L.LambdaLR(opt, Warmup(8))}
