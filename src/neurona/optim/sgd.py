"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay, as ``torch.optim.SGD``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurona.errors import ConfigError
from neurona.optim.optimizer import Optimizer, hyper, step_gradient


class SGD(Optimizer):
    r"""Stochastic gradient descent.

    With g_t the gradient (negated when ``maximize``), lambda = ``weight_decay``, mu = ``momentum``,
    tau = ``dampening``, gamma = ``lr``::

        g_t   <- g_t + lambda * theta_{t-1}                      (if weight_decay != 0)
        b_t   <- g_t                                             (first step)
        b_t   <- mu * b_{t-1} + (1 - tau) * g_t                  (later steps, if momentum != 0)
        g_t   <- g_t + mu * b_t  if nesterov  else  b_t          (if momentum != 0)
        theta_t <- theta_{t-1} - gamma * g_t

    Weight decay lambda adds lambda * theta to the gradient: the gradient of (lambda / 2) * ||theta||^2.

    Parameters
    ----------
    params : iterable of Parameters or of dicts (parameter groups)
    lr : float, default 1e-3
        Learning rate gamma.
    momentum : float, default 0
    dampening : float, default 0
    weight_decay : float, default 0
        L2 penalty coefficient lambda.
    nesterov : bool, default False
        Nesterov momentum (needs momentum > 0 and dampening = 0).
    maximize : bool, default False
        Maximise the objective instead of minimising it.

    Examples
    --------
    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    _group_keys = ('lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'foreach', 'differentiable', 'fused')

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_non_negative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ConfigError(
                f"SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, momentum, dampening, weight_decay = hyper(group, "lr", "momentum", "dampening", "weight_decay")
        g = step_gradient(param, grad, group, weight_decay)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=param.dtype, copy=True)
            else:
                buf *= momentum
                buf += g if dampening == 0 else (1 - dampening) * g
            g = g + momentum * buf if group["nesterov"] else buf
        param -= lr * g
