"""``ExponentialLR``: multiply the learning rate by the same factor every epoch."""

from __future__ import annotations

from neurona.optim.lr_scheduler.base import LRScheduler
from neurona.optim.optimizer import Optimizer


class ExponentialLR(LRScheduler):
    """lr_t = initial_lr * gamma^t.

    Examples
    --------
    >>> sched = ExponentialLR(opt, gamma=0.95)   # doctest: +SKIP
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]
