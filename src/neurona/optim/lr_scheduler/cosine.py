"""Cosine annealing: ``CosineAnnealingLR`` (one half-cosine) and ``CosineAnnealingWarmRestarts`` (SGDR)."""

from __future__ import annotations

import math

from neurona.errors import ConfigError
from neurona.optim.lr_scheduler.base import LRScheduler
from neurona.optim.optimizer import Optimizer


def cosine_anneal(base_lr: float, eta_min: float, t: float, period: float) -> float:
    """eta_min + (base_lr - eta_min) * (1 + cos(pi * t / period)) / 2: base_lr at t = 0, eta_min at t = period."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial lr down to ``eta_min`` over ``T_max`` epochs (SGDR without restarts).

    lr_t = eta_min + (initial_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2; past T_max the lr rises
    again (a cosine with period 2 * T_max), as in torch.

    Examples
    --------
    >>> sched = CosineAnnealingLR(opt, T_max=100, eta_min=1e-4)   # doctest: +SKIP
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max <= 0:
            raise ConfigError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [cosine_anneal(base_lr, self.eta_min, self.last_epoch, self.T_max) for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter, 2017).

    lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, where the i-th cycle lasts
    T_i = T_0 * T_mult^i epochs and T_cur counts the epochs since it began: cycle i begins at epoch
    T_0 * (T_mult^i - 1) / (T_mult - 1) (at i * T_0 when T_mult = 1). ``step(epoch)`` accepts a
    fractional epoch, to update every batch: ``sched.step(epoch + i / iters_per_epoch)``.

    Parameters
    ----------
    optimizer : Optimizer
    T_0 : int
        Length of the first cycle, in epochs.
    T_mult : int, default 1
        Factor by which each cycle is longer than the one before.
    eta_min : float, default 0
    last_epoch : int, default -1
    """

    def __init__(
        self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        if isinstance(T_0, bool) or not isinstance(T_0, int) or T_0 <= 0:
            raise ConfigError(f"CosineAnnealingWarmRestarts: expected a positive integer T_0, got {T_0!r}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ConfigError(f"CosineAnnealingWarmRestarts: expected an integer T_mult >= 1, got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ConfigError(f"CosineAnnealingWarmRestarts: expected a number eta_min, got {eta_min!r}")
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = 0
        self.T_i = T_0
        super().__init__(optimizer, last_epoch)

    def cycle_position(self, epoch: float) -> tuple[float, int]:
        """(T_cur, T_i) at ``epoch``: the epochs since the current cycle began, and that cycle's length."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        start, length = 0, self.T_0
        while epoch >= start + length:  # exact where log_{T_mult} would round at a cycle's boundary
            start, length = start + length, length * self.T_mult
        return epoch - start, length

    def get_lr(self) -> list[float]:
        return [cosine_anneal(base_lr, self.eta_min, self.T_cur, self.T_i) for base_lr in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (a float is a point inside that epoch)."""
        if epoch is None:
            epoch = self.last_epoch + 1
        elif epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: expected a non-negative epoch, got {epoch}")
        self.T_cur, self.T_i = self.cycle_position(epoch)
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())
