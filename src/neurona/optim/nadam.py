"""NAdam: Adam with Nesterov momentum, as ``torch.optim.NAdam``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurona.optim.adam import _betas, check_betas, update_moments
from neurona.optim.optimizer import Optimizer, hyper, step_gradient


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), with torch's momentum-decay schedule.

    With g_t the gradient (negated when ``maximize``), gamma = ``lr``, lambda = ``weight_decay``,
    psi = ``momentum_decay``::

        g_t      <- g_t + lambda * theta_{t-1}                   (or theta <- theta * (1 - gamma * lambda)
                                                                  if decoupled_weight_decay)
        mu_t     <- beta1 * (1 - 0.5 * 0.96^(t * psi))           momentum schedule
        m_t      <- beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t      <- beta2 * v_{t-1} + (1 - beta2) * g_t^2
        d_t      <- sqrt(v_t / (1 - beta2^t)) + eps
        theta_t  <- theta - gamma * (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g_t / d_t
                          - gamma * mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m_t / d_t

    The second term looks one step ahead with the next momentum coefficient (Nesterov).

    Parameters
    ----------
    params : iterable of Parameters or of dicts (parameter groups)
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum_decay : float, default 4e-3
    decoupled_weight_decay : bool, default False
    maximize : bool, default False
    """

    _group_keys = ('lr', 'betas', 'eps', 'weight_decay', 'momentum_decay', 'decoupled_weight_decay', 'maximize', 'foreach', 'capturable', 'differentiable')

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=_betas("NAdam", betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_non_negative(group, "lr", "eps", "weight_decay", "momentum_decay")
        check_betas(self, group)

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, eps, weight_decay, momentum_decay = hyper(group, "lr", "eps", "weight_decay", "momentum_decay")
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        g = step_gradient(param, grad, group, weight_decay, lr)
        state["step"] += 1
        step = state["step"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        exp_avg, exp_avg_sq = update_moments(state, g, beta1, beta2)
        denom = exp_avg_sq / (1 - beta2**step)
        np.sqrt(denom, out=denom)
        denom += eps
        param -= (lr * (1 - mu) / (1 - mu_product)) * (g / denom)
        param -= (lr * mu_next / (1 - mu_product * mu_next)) * (exp_avg / denom)
