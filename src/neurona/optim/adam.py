"""Adam and AdamW: momentum plus per-coordinate RMS scaling, as ``torch.optim.Adam``/``AdamW``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from neurona.errors import ConfigError
from neurona.optim.optimizer import Optimizer, hyper, step_gradient


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), with the AMSGrad variant.

    With g_t the gradient (negated when ``maximize``), gamma = ``lr``, lambda = ``weight_decay``::

        g_t      <- g_t + lambda * theta_{t-1}                   (L2 weight decay, the default)
        theta    <- theta_{t-1} * (1 - gamma * lambda)           (instead, if decoupled_weight_decay: AdamW)
        m_t      <- beta1 * m_{t-1} + (1 - beta1) * g_t           first moment (momentum)
        v_t      <- beta2 * v_{t-1} + (1 - beta2) * g_t^2         second moment
        v^max_t  <- max(v^max_{t-1}, v_t);  use v^max_t for v_t   (if amsgrad)
        m^_t     <- m_t / (1 - beta1^t),  v^_t <- v_t / (1 - beta2^t)    bias correction
        theta_t  <- theta - gamma * m^_t / (sqrt(v^_t) + eps)

    Parameters
    ----------
    params : iterable of Parameters or of dicts (parameter groups)
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        beta1 and beta2, each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0
    amsgrad : bool, default False
    maximize : bool, default False
    decoupled_weight_decay : bool, default False
        Shrink the weights directly (AdamW) instead of adding lambda * theta to the gradient.
    """

    _group_keys = ('lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'foreach', 'capturable', 'differentiable', 'fused', 'decoupled_weight_decay')

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=_betas(type(self).__name__, betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_non_negative(group, "lr", "eps", "weight_decay")
        check_betas(self, group)

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, eps, weight_decay = hyper(group, "lr", "eps", "weight_decay")
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        g = step_gradient(param, grad, group, weight_decay, lr)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = update_moments(state, g, beta1, beta2)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        else:
            second_moment = exp_avg_sq
        step_size = lr / (1 - beta1**step)
        denom = np.sqrt(second_moment)
        denom /= math.sqrt(1 - beta2**step)
        denom += eps
        np.divide(exp_avg, denom, out=denom)
        denom *= step_size
        param -= denom


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The weights shrink directly, theta <- theta * (1 - lr * weight_decay), before the Adam step, so
    the decay is not rescaled by the adaptive denominator (as L2 in the gradient would be). See
    :class:`Adam` for the other equations and arguments; ``weight_decay`` defaults to 1e-2.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
            capturable=capturable, differentiable=differentiable, fused=fused, decoupled_weight_decay=True,
        )


def update_moments(state: dict[str, Any], g: np.ndarray, beta1: float, beta2: float) -> tuple[np.ndarray, np.ndarray]:
    """Adam's moment estimates, in place: m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2."""
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg *= beta1
    exp_avg += (1 - beta1) * g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * (g * g)
    return exp_avg, exp_avg_sq


def _betas(optimizer: str, betas: Any) -> tuple[float, float]:
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ConfigError(f"{optimizer}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    return (beta1, beta2)


def check_betas(optimizer: Any, group: dict[str, Any]) -> None:
    """Validate a group's ``betas``: a pair of numbers in [0, 1), shared by the Adam family."""
    group["betas"] = _betas(optimizer._name, group["betas"])
    optimizer._check_unit_interval("betas[0]", group["betas"][0], closed_right=False)
    optimizer._check_unit_interval("betas[1]", group["betas"][1], closed_right=False)
