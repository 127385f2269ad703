"""Gradient clipping and parameter/vector conversion, as ``torch.nn.utils``, plus L1/L2 weight penalties.

The penalties serve the lesson "loss = error + complexity"::

    loss = F.mse_loss(model(x), y) + lam * nn.utils.l2_penalty(model)

They are ordinary differentiable Tensors, so ``loss.backward()`` adds their gradient (2 * lam * w
for L2, lam * sign(w) for L1) to the weights' gradients.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.nn.module import Module
from neurona.nn.utils import rnn
from neurona.ops import cat, reshape
from neurona.tensor import Tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "l1_penalty",
    "l2_penalty",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    return parameters


def _vector_norm(x: np.ndarray, norm_type: float) -> np.ndarray:
    """||x||_p of all elements of x (p may be inf, -inf or 0), like torch.linalg.vector_norm."""
    x = np.abs(x.reshape(-1))
    if norm_type == math.inf:
        return x.max(initial=0)
    if norm_type == -math.inf:
        return x.min()
    if norm_type == 0:
        return np.asarray(np.count_nonzero(x), dtype=x.dtype)
    if norm_type == 1:
        return x.sum()
    if norm_type == 2:
        return np.sqrt(np.dot(x, x))
    return np.sum(x**norm_type) ** (1.0 / norm_type)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients so that their joint norm is at most ``max_norm``; returns the norm before clipping.

    total = || (||g_1||_p, ||g_2||_p, ...) ||_p   (the p-norm of all gradients as one vector), and each
    gradient becomes g * min(1, max_norm / (total + 1e-6)). The gradients are replaced by new Tensors,
    never scaled in place. A standard guard against exploding gradients in RNNs.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensors
        Those whose ``.grad`` to clip (parameters without a gradient are skipped).
    max_norm : float
    norm_type : float, default 2.0
        p of the p-norm; ``math.inf`` for the largest absolute value.
    error_if_nonfinite : bool, default False
        Raise when the total norm is nan or inf, instead of scaling by a non-finite factor.
    foreach : bool, optional
        Accepted for torch's signature; changes nothing.

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping, as a 0-d Tensor.
    """
    parameters = _as_list(parameters)
    norm_type = float(norm_type)
    with_grad = [p for p in parameters if p.grad is not None]
    if not with_grad:
        return Tensor(0.0)
    norms = np.stack([_vector_norm(p.grad.data, norm_type) for p in with_grad])
    total_norm = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`"
        )
    clip_coef = min(float(max_norm) / (total_norm + 1e-6), 1.0)
    for p in with_grad:
        grad = p.grad.data
        p.grad = Tensor._wrap(grad * grad.dtype.type(clip_coef))
    return Tensor._wrap(np.asarray(total_norm))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clip every gradient element into [-clip_value, clip_value] (gradients are replaced, not changed)."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad = Tensor._wrap(np.clip(p.grad.data, -clip_value, clip_value))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one vector (differentiable: gradients flow back to them)."""
    return cat([reshape(p, -1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (the inverse of :func:`parameters_to_vector`).

    Unlike torch, the parameters get copies (in their own dtype), not views into ``vec``, and the
    length of ``vec`` must equal the number of parameter elements.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got {type(vec).__name__}")
    parameters = list(parameters)
    total = sum(p.data.size for p in parameters)
    if vec.data.ndim != 1 or vec.data.size != total:
        raise ShapeError(
            f"vector_to_parameters: vec has shape {fmt_shape(vec.shape)}, but the parameters hold {total} "
            f"elements; expected shape ({total},)"
        )
    offset = 0
    for p in parameters:
        n = p.data.size
        p.data = vec.data[offset : offset + n].reshape(p.data.shape).astype(p.data.dtype, copy=True)
        offset += n


def _penalised(model_or_params: Module | Tensor | Iterable[Tensor], weights_only: bool) -> list[Tensor]:
    if isinstance(model_or_params, Module):
        params = list(model_or_params.parameters())
    elif isinstance(model_or_params, Tensor):
        params = [model_or_params]
    else:
        params = list(model_or_params)
    return [p for p in params if p.ndim >= 2] if weights_only else params


def _total(terms: list[Tensor], fn: str) -> Tensor:
    if not terms:
        warnings.warn(
            f"{fn}: no parameters to penalise (with weights_only=True, only weights with ndim >= 2 "
            "count); the penalty is 0",
            stacklevel=3,
        )
        return Tensor(0.0)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l1_penalty(model_or_params: Module | Tensor | Iterable[Tensor], weights_only: bool = True) -> Tensor:
    """sum |w| over the weights: the L1 (lasso) complexity term, which drives weights to exactly 0.

    Parameters
    ----------
    model_or_params : Module, Tensor or iterable of Tensors
    weights_only : bool, default True
        Penalise only weights with ``ndim >= 2`` (Linear and conv weights), not biases or
        normalisation scales and shifts; pass False to penalise every parameter.

    Returns
    -------
    Tensor
        A differentiable scalar; d/dw = sign(w) (0 at w = 0).

    Examples
    --------
    >>> loss = F.mse_loss(model(x), y) + 1e-3 * nn.utils.l1_penalty(model)
    """
    return _total([p.abs().sum() for p in _penalised(model_or_params, weights_only)], "l1_penalty")


def l2_penalty(model_or_params: Module | Tensor | Iterable[Tensor], weights_only: bool = True) -> Tensor:
    """sum w^2 over the weights: the L2 (ridge, "weight decay") complexity term.

    ``loss + (lam / 2) * l2_penalty(model)`` has the same gradient as SGD's ``weight_decay=lam``
    (lam * w), though SGD's weight decay also reaches the biases. Arguments as :func:`l1_penalty`.

    Returns
    -------
    Tensor
        A differentiable scalar; d/dw = 2 w.

    Examples
    --------
    >>> loss = F.mse_loss(model(x), y) + 1e-4 * nn.utils.l2_penalty(model)
    """
    return _total([(p * p).sum() for p in _penalised(model_or_params, weights_only)], "l2_penalty")
