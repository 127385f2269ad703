"""neurona.optim.lr_scheduler, every schedule from one table: the same lr (and momentum) sequence as
torch.optim.lr_scheduler for 50 steps, the closed form at any epoch, and state-dict round trips (also
through a checkpoint's JSON). Each family's own checks live in test_lr_scheduler_<file>.py."""

import copy
import inspect
import warnings

import numpy as np
import pytest
import torch

from lr_scheduler_cases import ROUND_TRIP, SCHEDULES, STEPS, TOL, Warmup, adam, nr_opt, run, torch_opt
from neurona import io, nn
from neurona.optim import lr_scheduler


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_matches_torch(name):
    t_opt, n_opt = torch_opt(), nr_opt()
    t_sched, n_sched = SCHEDULES[name](torch.optim.lr_scheduler, t_opt), SCHEDULES[name](lr_scheduler, n_opt)
    assert [g["initial_lr"] for g in n_opt.param_groups] == [g["initial_lr"] for g in t_opt.param_groups]
    t_lrs, t_mom = run(t_sched, t_opt, STEPS)
    n_lrs, n_mom = run(n_sched, n_opt, STEPS)
    np.testing.assert_allclose(n_lrs, t_lrs, **TOL)
    np.testing.assert_allclose(n_mom, t_mom, **TOL)  # OneCycleLR cycles the momentum
    assert n_sched.last_epoch == t_sched.last_epoch


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"])
def test_get_lr_is_the_closed_form_at_any_epoch_like_torch(name):
    """torch's step(epoch) jumps to an epoch with the closed form; here get_lr always is that form."""
    t_opt, n_opt = torch_opt(), nr_opt()
    t_sched, n_sched = SCHEDULES[name](torch.optim.lr_scheduler, t_opt), SCHEDULES[name](lr_scheduler, n_opt)
    t_opt.step()
    n_opt.step()
    for epoch in (3, 13, 31, 7):
        n_sched.last_epoch = epoch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # step(epoch) is deprecated in torch, and absent here
            t_sched.step(epoch)
        np.testing.assert_allclose(n_sched.get_lr(), t_sched.get_last_lr(), **TOL)


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_state_dict_round_trip(name):
    make = ROUND_TRIP[name]
    opt = nr_opt()
    sched = make(lr_scheduler, opt)
    run(sched, opt, 20)
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), opt.state_dict()
    assert "optimizer" not in saved_sched
    expected, expected_mom = run(sched, opt, 30)

    opt2 = nr_opt()
    if name == "LambdaLR-callable-object":
        sched2 = lr_scheduler.LambdaLR(opt2, Warmup(1))
    else:
        sched2 = make(lr_scheduler, opt2)  # create the scheduler first, then load both (as in torch)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    got, got_mom = run(sched2, opt2, 30)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got_mom, expected_mom)


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_state_dict_survives_a_checkpoint(name, tmp_path):
    """A resumable run keeps the scheduler's state in the checkpoint's JSON metadata (neurona.io.save)."""
    make = ROUND_TRIP[name]
    opt = nr_opt(adam) if name.startswith("OneCycleLR") else nr_opt()
    sched = make(lr_scheduler, opt)
    run(sched, opt, 17, "betas" if name.startswith("OneCycleLR") else "momentum")
    path = io.save(nn.Linear(2, 1), tmp_path / "ckpt.safetensors", optimizer=opt, extra={"sched": sched.state_dict()})
    expected = run(sched, opt, 25, "betas" if name.startswith("OneCycleLR") else "momentum")

    opt2 = nr_opt(adam) if name.startswith("OneCycleLR") else nr_opt()
    sched2 = lr_scheduler.LambdaLR(opt2, Warmup(1)) if name == "LambdaLR-callable-object" else make(lr_scheduler, opt2)
    checkpoint = io.load(path, optimizer=opt2)
    sched2.load_state_dict(checkpoint.extra["sched"])
    got = run(sched2, opt2, 25, "betas" if name.startswith("OneCycleLR") else "momentum")
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_step_takes_no_epoch_argument():
    """torch's deprecated ``step(epoch)`` is gone; only warm restarts keep a (fractional) epoch."""
    for name in lr_scheduler.__all__:
        cls = getattr(lr_scheduler, name)
        params = list(inspect.signature(cls.step).parameters)
        if name == "CosineAnnealingWarmRestarts":
            assert params == ["self", "epoch"]
        elif name == "ReduceLROnPlateau":
            assert params == ["self", "metrics"]
        else:
            assert params == ["self"], name
    with pytest.raises(TypeError):
        lr_scheduler.StepLR(nr_opt(), step_size=2).step(3)
