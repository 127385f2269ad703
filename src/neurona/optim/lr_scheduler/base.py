"""``LRScheduler``, the base of every learning-rate schedule, as ``torch.optim.lr_scheduler.LRScheduler``.

A scheduler counts its ``step()`` calls in ``last_epoch`` (t) and sets ``group["lr"]`` of each parameter
group to the schedule's formula at t: lr_t = f(initial_lr, t), computed in closed form by ``get_lr``.
Call ``optimizer.step()`` first, then ``scheduler.step()``, once per epoch (once per batch for OneCycleLR).
"""

from __future__ import annotations

from typing import Any

from neurona.optim.optimizer import Optimizer


class LRScheduler:
    """Base class of learning-rate schedulers.

    On creation (``last_epoch=-1``) it stores each group's learning rate as ``group["initial_lr"]``
    (``base_lrs``) and takes step 0. A subclass defines :meth:`get_lr`: the learning rates at
    ``self.last_epoch``, from ``base_lrs`` and ``last_epoch`` alone.

    Parameters
    ----------
    optimizer : Optimizer
    last_epoch : int, default -1
        The index of the last epoch; only set it when resuming (the groups must then hold
        ``initial_lr``, as after loading the optimiser's state dict).

    Notes
    -----
    The rate comes from the formula, not from the current ``group["lr"]``: a rate changed by hand is
    replaced at the next ``step()``, and two schedulers on one optimiser do not multiply (torch's
    "chaining"); run schedules one after another with :class:`SequentialLR`, or combine factors in
    one :class:`LambdaLR`.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming a "
                        f"scheduler with last_epoch={last_epoch}; load the optimizer's state dict first, "
                        "or use last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each group at ``self.last_epoch`` (called by :meth:`step`)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group, as set by the last ``step()``."""
        return self._last_lr

    def step(self) -> None:
        """Advance one epoch and set the new learning rates (call it after ``optimizer.step()``)."""
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimiser (save the optimiser's state dict alongside)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (after loading the optimiser's state dict)."""
        self.__dict__.update(state_dict)
