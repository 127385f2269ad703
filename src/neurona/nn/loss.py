"""Losses as modules, as ``torch.nn``: each wraps the function of ``neurona.functional`` with its options.

``reduction``: 'mean' (default), 'sum' or 'none' (one loss per element/sample).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona import functional as F
from neurona.nn.module import Module
from neurona.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in self._allowed:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {', '.join(self._allowed)}, got {reduction!r}")
        self.reduction = reduction

    _allowed = _REDUCTIONS

    def _weight_buffer(self, name: str, value: Any) -> None:
        self.register_buffer(name, None if value is None else (value if isinstance(value, Tensor) else Tensor(np.asarray(value))))

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """L = mean (x - y)^2"""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """L = mean |x - y|"""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """L = mean of 0.5 d^2 (|d| < delta) or delta (|d| - delta/2)"""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """L = mean of 0.5 d^2 / beta (|d| < beta) or |d| - beta/2"""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class BCELoss(_Loss):
    """L = -mean w [y ln p + (1 - y) ln(1 - p)] for probabilities p (apply a sigmoid first)"""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._weight_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + BCE in one numerically stable step; ``pos_weight`` weighs the positive class"""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        self._weight_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class CrossEntropyLoss(_Loss):
    """L = -sum_c q_c ln softmax(x)_c: logits against class indices or class probabilities,
    with class ``weight``, ``ignore_index`` and ``label_smoothing``"""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, int | float) or not (
                0.0 <= label_smoothing <= 1.0):
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
        self._weight_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """L = -w_y logp_y for log-probabilities (use after LogSoftmax)"""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class KLDivLoss(_Loss):
    """L = y (ln y - x) for log-probabilities x; use reduction='batchmean' for the true KL divergence"""

    _allowed = (*_REDUCTIONS, "batchmean")

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)
