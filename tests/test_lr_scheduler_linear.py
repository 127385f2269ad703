"""neurona.optim.lr_scheduler.linear: LinearLR warms up (or decays) linearly, then holds."""

import pytest

from lr_scheduler_cases import nr_opt, run
from neurona.errors import ConfigError
from neurona.optim import lr_scheduler


def test_linear_warm_up_by_hand():
    opt = nr_opt()
    lrs, _ = run(lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3), opt, 6)
    assert lrs[:, 0].tolist() == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_linear_errors():
    opt = nr_opt()
    with pytest.raises(ConfigError, match="start_factor must be in"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ConfigError, match="end_factor must be in"):
        lr_scheduler.LinearLR(opt, end_factor=1.5)
    with pytest.raises(ConfigError, match="total_iters must be a positive integer"):
        lr_scheduler.LinearLR(opt, total_iters=0)
