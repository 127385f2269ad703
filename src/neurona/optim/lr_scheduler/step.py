"""Step decay: ``StepLR`` (every ``step_size`` epochs) and ``MultiStepLR`` (at listed epochs)."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from typing import Any

from neurona.errors import ConfigError
from neurona.optim.lr_scheduler.base import LRScheduler
from neurona.optim.optimizer import Optimizer


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: lr_t = initial_lr * gamma^floor(t / step_size).

    Examples
    --------
    >>> sched = StepLR(opt, step_size=30, gamma=0.1)   # 0.05 until epoch 30, then 0.005, ...  # doctest: +SKIP
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size <= 0:
            raise ConfigError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch in ``milestones``: lr_t = initial_lr * gamma^k, where k
    counts the milestones <= t (a milestone listed twice counts twice).

    Examples
    --------
    >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)   # doctest: +SKIP
    """

    def __init__(
        self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        """As the base's, with ``milestones`` as a sorted list (JSON has no integer keys)."""
        state = super().state_dict()
        state["milestones"] = sorted(self.milestones.elements())
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        milestones = state_dict.pop("milestones")
        self.__dict__.update(state_dict)
        if isinstance(milestones, dict):  # a Counter, as torch saves it
            milestones = Counter({int(epoch): count for epoch, count in milestones.items()}).elements()
        self.milestones = Counter(int(epoch) for epoch in milestones)
