"""neurona.optim.lr_scheduler.lambda_lr: LambdaLR, one factor function for all groups or one per group."""

import numpy as np
import pytest

from lr_scheduler_cases import nr_opt, run
from neurona.optim import lr_scheduler


def test_one_function_per_group():
    opt = nr_opt()
    sched = lr_scheduler.LambdaLR(opt, [lambda t: 1 + t, lambda t: 0.5**t])
    lrs, _ = run(sched, opt, 3)
    np.testing.assert_allclose(lrs, [[0.1, 0.05], [0.2, 0.025], [0.3, 0.0125]], rtol=1e-15)
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(nr_opt(), [lambda t: 1.0])
