"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: one file per family of schedules.

Each scheduler's ``get_lr`` is its formula in closed form, lr_t = f(initial_lr, t), where t counts the
calls to ``step()``; the values equal torch's (which mostly computes them recursively) to floating-point
rounding. Call ``optimizer.step()`` first, then ``scheduler.step()``, once per epoch (once per batch
for OneCycleLR)::

    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        train_one_epoch(model, opt)
        sched.step()

=========================== ==================================================================
``base.py``                 ``LRScheduler``: counts steps, sets the rates, ``state_dict``
``lambda_lr.py``            ``LambdaLR``: initial_lr * f(t) for any f
``step.py``                 ``StepLR``, ``MultiStepLR``: multiply by gamma every k epochs / at milestones
``exponential.py``          ``ExponentialLR``: initial_lr * gamma^t
``linear.py``               ``LinearLR``: linear between two factors (warm-up)
``cosine.py``               ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts`` (SGDR)
``one_cycle.py``            ``OneCycleLR``: the 1cycle policy, per batch, with momentum cycling
``sequential.py``           ``SequentialLR``: schedules one after another
``plateau.py``              ``ReduceLROnPlateau``: driven by a metric, not by t
=========================== ==================================================================
"""

from neurona.optim.lr_scheduler.base import LRScheduler
from neurona.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from neurona.optim.lr_scheduler.exponential import ExponentialLR
from neurona.optim.lr_scheduler.lambda_lr import LambdaLR
from neurona.optim.lr_scheduler.linear import LinearLR
from neurona.optim.lr_scheduler.one_cycle import OneCycleLR
from neurona.optim.lr_scheduler.plateau import ReduceLROnPlateau
from neurona.optim.lr_scheduler.sequential import SequentialLR
from neurona.optim.lr_scheduler.step import MultiStepLR, StepLR

__all__ = [
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
