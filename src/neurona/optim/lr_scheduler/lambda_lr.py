"""``LambdaLR``: the learning rate is the initial one times a function of the epoch."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from neurona.optim.lr_scheduler.base import LRScheduler
from neurona.optim.optimizer import Optimizer


class LambdaLR(LRScheduler):
    """lr_t = initial_lr * lr_lambda(t).

    Parameters
    ----------
    optimizer : Optimizer
    lr_lambda : callable or list of callables
        A function of the epoch index giving a multiplicative factor, or one per parameter group.
        Only callable objects (not plain functions or lambdas) have their state saved in ``state_dict``.
    last_epoch : int, default -1

    Examples
    --------
    >>> sched = LambdaLR(opt, lr_lambda=lambda epoch: 0.95**epoch)   # doctest: +SKIP
    """

    def __init__(
        self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list, last_epoch: int = -1
    ) -> None:
        if isinstance(lr_lambda, (list, tuple)):
            groups = len(getattr(optimizer, "param_groups", []))
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(getattr(optimizer, "param_groups", []))
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy() for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, lr_lambdas):
            if saved is not None:
                fn.__dict__.update(saved)
