"""neurona.optim.lr_scheduler.sequential: SequentialLR hands over at its milestones; its errors."""

import pytest

from lr_scheduler_cases import nr_opt, run
from neurona.optim import lr_scheduler


def test_each_scheduler_counts_its_epochs_from_its_milestone():
    opt = nr_opt()
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    sched = lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[3])
    lrs, _ = run(sched, opt, 7)
    assert lrs[:, 0].tolist() == pytest.approx([0.05, 0.075, 0.1, 0.1, 0.1, 0.01, 0.01])
    assert (warmup.last_epoch, decay.last_epoch, sched.last_epoch) == (2, 4, 7)


def test_sequential_errors():
    opt = nr_opt()
    with pytest.raises(ValueError, match="at least one scheduler"):
        lr_scheduler.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="one more scheduler than milestones"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ReduceLROnPlateau(opt)], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(nr_opt(), 2)], milestones=[])
