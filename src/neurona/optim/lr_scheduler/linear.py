"""``LinearLR``: scale the learning rate linearly between two factors (a common warm-up)."""

from __future__ import annotations

from neurona.errors import ConfigError
from neurona.optim.lr_scheduler.base import LRScheduler
from neurona.optim.optimizer import Optimizer


class LinearLR(LRScheduler):
    """lr_t = initial_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters).

    Examples
    --------
    >>> sched = LinearLR(opt, start_factor=0.05, total_iters=40)   # warm up to the full lr in 40 epochs  # doctest: +SKIP
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ConfigError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ConfigError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        if isinstance(total_iters, bool) or not isinstance(total_iters, int) or total_iters <= 0:
            raise ConfigError(f"LinearLR: total_iters must be a positive integer, got {total_iters!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        fraction = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * fraction
        return [base_lr * factor for base_lr in self.base_lrs]
