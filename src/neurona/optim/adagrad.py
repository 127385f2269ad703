"""AdaGrad: per-coordinate learning rates from the sum of squared gradients, as ``torch.optim.Adagrad``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurona.optim.optimizer import Optimizer, hyper, step_gradient


class Adagrad(Optimizer):
    r"""AdaGrad (Duchi et al., 2011).

    With g_t the gradient (negated when ``maximize``), lambda = ``weight_decay``, eta = ``lr``::

        g_t      <- g_t + lambda * theta_{t-1}                   (if weight_decay != 0)
        eta_t    <- eta / (1 + (t - 1) * lr_decay)
        s_t      <- s_{t-1} + g_t^2                              (s_0 = initial_accumulator_value)
        theta_t  <- theta_{t-1} - eta_t * g_t / (sqrt(s_t) + eps)

    Coordinates with large past gradients take small steps; the sum only grows, so the steps shrink
    over time (RMSprop and Adam replace the sum with a moving average).

    Parameters
    ----------
    params : iterable of Parameters or of dicts (parameter groups)
    lr : float, default 1e-2
    lr_decay : float, default 0
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
    eps : float, default 1e-10
    maximize : bool, default False
    """

    _group_keys = ('lr', 'lr_decay', 'eps', 'weight_decay', 'initial_accumulator_value', 'foreach', 'maximize', 'differentiable', 'fused')

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:  # like torch, the state exists from the start
            for p in group["params"]:
                self._init_state(self.state[p], p.data, group)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_non_negative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    @staticmethod
    def _init_state(state: dict[str, Any], param: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = 0
        state["sum"] = np.full_like(param, float(group["initial_accumulator_value"]))

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:  # a parameter added later with add_param_group
            self._init_state(state, param, group)
        lr, lr_decay, weight_decay, eps = hyper(group, "lr", "lr_decay", "weight_decay", "eps")
        g = step_gradient(param, grad, group, weight_decay)
        state["step"] += 1
        clr = lr / (1 + (state["step"] - 1) * lr_decay)
        total = state["sum"]
        total += g * g
        std = np.sqrt(total)
        std += eps
        np.divide(g, std, out=std)
        std *= clr
        param -= std
