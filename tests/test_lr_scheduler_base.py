"""neurona.optim.lr_scheduler.base: resuming, the order of calls, and what every scheduler shares."""

import warnings

import numpy as np
import pytest

from lr_scheduler_cases import nr_opt, run
from neurona import nn, optim
from neurona.optim import lr_scheduler


def test_resume_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(nr_opt(), step_size=3, last_epoch=5)
    opt = nr_opt()
    lr_scheduler.StepLR(opt, step_size=3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]


def test_resuming_at_an_epoch_continues_the_schedule():
    opt = nr_opt()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=12, eta_min=0.01)
    lrs, _ = run(sched, opt, 20)
    resumed_opt = nr_opt()
    resumed_opt.load_state_dict(opt.state_dict())  # holds initial_lr
    resumed = lr_scheduler.CosineAnnealingLR(resumed_opt, T_max=12, eta_min=0.01, last_epoch=19)
    assert resumed.last_epoch == 20 and resumed.get_last_lr() == sched.get_last_lr()
    more, _ = run(resumed, resumed_opt, 5)
    expected, _ = run(sched, opt, 5)
    np.testing.assert_array_equal(more, expected)
    assert lrs[0, 0] == 0.1


def test_not_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=3)


def test_a_subclass_defines_get_lr():
    class NoFormula(lr_scheduler.LRScheduler):
        pass

    with pytest.raises(NotImplementedError, match="NoFormula must define get_lr"):
        NoFormula(nr_opt())


def test_the_rate_follows_the_step_count_whatever_the_order_of_calls():
    """No call-order warning and no wrapper around Optimizer.step: calling scheduler.step() before
    optimizer.step() just moves the schedule on by one epoch, and a student's own step() runs as written."""

    class PlainSGD(optim.Optimizer):  # a student's own optimiser with its own step()
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.data -= group["lr"] * p.grad.data

    assert PlainSGD.step is PlainSGD.__dict__["step"]
    model = nn.Linear(2, 1)
    for make in (lambda: optim.SGD(model.parameters(), lr=0.1), lambda: PlainSGD(model.parameters(), 0.1)):
        opt = make()
        sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched.step()
            opt.step()
            sched.step()
        assert sched.get_last_lr() == [0.025] and opt.param_groups[0]["lr"] == 0.025


def test_a_rate_set_by_hand_is_replaced_at_the_next_step():
    opt = nr_opt()
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 123.0
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.025]
