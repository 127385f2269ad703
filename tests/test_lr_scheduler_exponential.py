"""neurona.optim.lr_scheduler.exponential: ExponentialLR is initial_lr * gamma^t, also after many steps."""

from lr_scheduler_cases import nr_opt, run
from neurona.optim import lr_scheduler


def test_exponential_is_gamma_to_the_step_count():
    opt = nr_opt()
    lrs, _ = run(lr_scheduler.ExponentialLR(opt, gamma=0.99), opt, 1000)
    assert lrs[999, 0] == 0.1 * 0.99**999 and lrs[999, 1] == 0.05 * 0.99**999  # no drift from 999 products
