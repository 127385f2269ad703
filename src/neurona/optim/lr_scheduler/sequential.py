"""``SequentialLR``: run several schedules one after another."""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from neurona.optim.lr_scheduler.base import LRScheduler
from neurona.optim.lr_scheduler.plateau import ReduceLROnPlateau
from neurona.optim.optimizer import Optimizer


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the epochs in ``milestones``.

    Scheduler k runs from milestone k - 1 (epoch 0 for the first) and counts its own epochs from
    there: at epoch t it is at epoch t - milestones[k - 1].

    Examples
    --------
    >>> warmup = LinearLR(opt, start_factor=0.1, total_iters=5)   # doctest: +SKIP
    >>> decay = ExponentialLR(opt, gamma=0.9)                     # doctest: +SKIP
    >>> sched = SequentialLR(opt, schedulers=[warmup, decay], milestones=[5])   # doctest: +SKIP
    """

    def __init__(
        self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int], last_epoch: int = -1
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got no scheduler.")
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(
                    f"SequentialLR: the scheduler at index {i} should have `optimizer` as its attribute."
                )
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"SequentialLR does not support ReduceLROnPlateau (index {i}): its step() needs a metric"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR expects all schedulers to belong to the same optimizer, but the scheduler "
                    f"{type(scheduler).__name__} at index {i} has another one"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects one more scheduler than milestones, but got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        super().__init__(optimizer, last_epoch)

    def step(self) -> None:
        """Advance one epoch: the scheduler whose turn it is moves to its own epoch and sets the rates."""
        self.last_epoch += 1
        k = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[k]
        scheduler.last_epoch = self.last_epoch - (self._milestones[k - 1] if k > 0 else 0) - 1
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        schedulers = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for scheduler, saved in zip(self._schedulers, schedulers):
            scheduler.load_state_dict(saved)
