"""Adadelta: steps from running averages of squared gradients and updates, as ``torch.optim.Adadelta``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurona.optim.optimizer import Optimizer, hyper, step_gradient


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012).

    With g_t the gradient (negated when ``maximize``), lambda = ``weight_decay``, gamma = ``lr``::

        g_t      <- g_t + lambda * theta_{t-1}                   (if weight_decay != 0)
        v_t      <- rho * v_{t-1} + (1 - rho) * g_t^2
        dx_t     <- sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        u_t      <- rho * u_{t-1} + (1 - rho) * dx_t^2
        theta_t  <- theta_{t-1} - gamma * dx_t

    The ratio of the two RMS values gives the update the units of the parameter, so the method
    works without tuning ``lr`` (default 1.0).

    Parameters
    ----------
    params : iterable of Parameters or of dicts (parameter groups)
    lr : float, default 1.0
    rho : float, default 0.9
        Decay of the running averages, in [0, 1].
    eps : float, default 1e-6
    weight_decay : float, default 0
    maximize : bool, default False
    """

    _group_keys = ('lr', 'rho', 'eps', 'weight_decay', 'maximize', 'capturable', 'foreach', 'differentiable')

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
            capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_non_negative(group, "lr", "eps", "weight_decay")
        self._check_unit_interval("rho", group["rho"], closed_right=True)

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, rho, eps, weight_decay = hyper(group, "lr", "rho", "eps", "weight_decay")
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        g = step_gradient(param, grad, group, weight_decay)
        state["step"] += 1
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * (g * g)
        std = square_avg + eps
        np.sqrt(std, out=std)
        delta = acc_delta + eps
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)
        delta *= lr
        param -= delta
