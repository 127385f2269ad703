"""RMSprop: gradient steps scaled by a moving RMS of recent gradients, as ``torch.optim.RMSprop``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurona.optim.optimizer import Optimizer, hyper, step_gradient


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), optionally centred and with momentum.

    With g_t the gradient (negated when ``maximize``), lambda = ``weight_decay``, gamma = ``lr``::

        g_t      <- g_t + lambda * theta_{t-1}                   (if weight_decay != 0)
        v_t      <- alpha * v_{t-1} + (1 - alpha) * g_t^2
        a_t      <- alpha * a_{t-1} + (1 - alpha) * g_t          (if centered)
        d_t      <- sqrt(v_t - a_t^2) + eps  if centered  else  sqrt(v_t) + eps
        b_t      <- mu * b_{t-1} + g_t / d_t;   theta_t <- theta_{t-1} - gamma * b_t   (if momentum mu > 0)
        theta_t  <- theta_{t-1} - gamma * g_t / d_t                                   (otherwise)

    ``centered`` divides by an estimate of the gradient's standard deviation instead of its RMS.

    Parameters
    ----------
    params : iterable of Parameters or of dicts (parameter groups)
    lr : float, default 1e-2
    alpha : float, default 0.99
        Smoothing constant of the moving averages.
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
    maximize : bool, default False
    """

    _group_keys = ('lr', 'momentum', 'alpha', 'eps', 'centered', 'weight_decay', 'capturable', 'foreach', 'maximize', 'differentiable')

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_non_negative(group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, alpha, eps, weight_decay, momentum = hyper(
            group, "lr", "alpha", "eps", "weight_decay", "momentum"
        )
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        g = step_gradient(param, grad, group, weight_decay)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (g * g)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (g - grad_avg)
            avg = square_avg - grad_avg * grad_avg
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        np.divide(g, avg, out=avg)  # avg now holds g_t / d_t
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += avg
            param -= lr * buf
        else:
            avg *= lr
            param -= avg
