"""``Optimizer``: the base class of every optimiser, as ``torch.optim.Optimizer``.

An optimiser holds ``param_groups`` (a list of dicts: ``'params'`` plus the hyper-parameters of those
parameters, defaults filled in) and ``state`` (one dict per parameter: momentum buffers, running
averages, step counts). ``step()`` walks every parameter that has a gradient and calls
:meth:`Optimizer.update` on raw NumPy arrays, so an update rule reads like its equations and builds
no autograd graph. ``state_dict()`` has torch's layout: state keyed by the parameter's position
(0, 1, 2, ... across groups) and groups listing those positions, so a checkpoint does not depend on
object identity and a torch optimiser's state dict loads directly.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from neurona.errors import ConfigError, ShapeError, fmt_shape
from neurona.tensor import Tensor, enable_grad, to_numpy

# State entries that are one number per parameter, not an array shaped like it (and their type).
_SCALAR_STATE = {"step": int, "mu_product": float}


class Optimizer:
    """Base class of optimisers.

    Parameters
    ----------
    params : iterable of Parameters (or of ``(name, Parameter)`` pairs), or of dicts
        What to optimise. Dicts define parameter groups: ``{"params": [...], "lr": 0.1}``; keys a
        group leaves out take the optimiser's defaults.
    defaults : dict
        Default hyper-parameters of the optimiser.

    A subclass implements :meth:`update` for one parameter (the usual case) or overrides
    :meth:`step`, and :meth:`_check_group` to validate its hyper-parameters.
    """

    # torch's order of a group's hyper-parameters (a subclass lists its own): state dicts and
    # ``param_groups`` then read key for key like torch's
    _group_keys: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if self._group_keys:
            defaults = {k: defaults[k] for k in self._group_keys if k in defaults} | defaults
        if defaults.get("differentiable"):
            raise ConfigError(
                f"{self._name}: differentiable=True is not supported; neurona's optimisers update the "
                "weights outside autograd (foreach, fused and capturable are accepted and change nothing)"
            )
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._check_group(defaults)
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors or dicts, got a single Tensor; "
                "pass model.parameters() or [tensor]"
            )
        if callable(getattr(params, "parameters", None)):  # a Module: the commonest first mistake
            raise TypeError(
                f"{self._name}: got the model ({type(params).__name__}) itself; pass its parameters: "
                f"{self._name}(model.parameters(), lr=...)"
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors (model.parameters()) or of dicts, "
                f"got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list (does the model have parameters?)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ---- parameter groups ----------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. to unfreeze layers)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: a param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}: a param_group needs a 'params' entry, got {sorted(param_group)}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{self._name}: parameters must be in an ordered collection (a list), not a set: the order "
                "of a set changes between runs, and the state dict refers to parameters by position"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    f"{self._name}: give every parameter a name, or none (some names are missing)"
                )
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{self._name} can only optimise Tensors, but one of the params is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name}: can't optimise a non-leaf Tensor (one computed from others); "
                    "optimise the Parameters it was computed from"
                )
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(f"{self._name}: a parameter group holds the same parameter twice", stacklevel=2)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{self._name}: some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in group) != ("param_names" in self.param_groups[0]):
            raise ValueError(f"{self._name}: all parameter groups must be given with names, or all without")
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise a ConfigError for an invalid hyper-parameter of ``group`` (subclasses extend this)."""

    def _check_non_negative(self, group: dict[str, Any], *names: str) -> None:
        for name in names:
            if name in group:
                value = _number(self._name, name, group[name])
                if not value >= 0:
                    raise ConfigError(f"{self._name}: {name} must be >= 0, got {value}")

    def _check_unit_interval(self, name: str, value: Any, closed_right: bool) -> None:
        value = _number(self._name, name, value)
        if not (0 <= value <= 1 if closed_right else 0 <= value < 1):
            interval = "[0, 1]" if closed_right else "[0, 1)"
            raise ConfigError(f"{self._name}: {name} must be in {interval}, got {value}")

    # ---- the update ----------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once. Returns ``closure()`` when a closure is given.

        ``closure`` re-evaluates the model and returns the loss (it should zero the gradients and
        call ``backward()`` itself); it runs with gradients enabled.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.data
                if grad.shape != p.data.shape:
                    raise ShapeError(
                        f"{self._name}: a parameter of shape {fmt_shape(p.data.shape)} has a gradient "
                        f"of shape {fmt_shape(grad.shape)}"
                    )
                self.update(p.data, grad, self.state[p], group)
        return loss

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Update one parameter in place: ``param`` is its array, ``grad`` its gradient (read-only: other
        tensors may share it), ``state`` its entry of ``self.state``, ``group`` its hyper-parameters."""
        raise NotImplementedError(f"{self._name} must define update() or step()")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients: set them to None (the default) or to new zero arrays."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor._wrap(np.zeros_like(p.grad.data))

    # ---- state dict ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``, torch's layout.

        Parameters are numbered by position across the groups. The arrays are copies, so the
        checkpoint does not change as training goes on.
        """
        index: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = copy.deepcopy({k: v for k, v in group.items() if k != "params"})
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {
            index[id(p)]: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state dict from :meth:`state_dict` (or from a torch optimiser of the same kind).

        Parameters are matched by position; the saved hyper-parameters replace the current ones.
        State arrays may be NumPy arrays, neurona Tensors or torch tensors; they are copied and cast
        to the parameter's dtype.
        """
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{self._name}.load_state_dict: the state dict has {len(saved_groups)} parameter groups, "
                f"this optimiser has {len(self.param_groups)}"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{self._name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                    f"parameters in the state dict and {len(group['params'])} in this optimiser"
                )
        by_index = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, entries in state_dict["state"].items():
            if key in by_index:
                p = by_index[key]
                state[p] = {k: self._restore(k, v, p) for k, v in entries.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state, self.param_groups = state, saved_groups

    def _restore(self, key: str, value: Any, param: Tensor) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        array = to_numpy(value)
        if key in _SCALAR_STATE:
            return _SCALAR_STATE[key](array.item())
        if array.shape != param.data.shape:
            raise ShapeError(
                f"{self._name}.load_state_dict: state {key!r} has shape {fmt_shape(array.shape)}, but its "
                f"parameter has shape {fmt_shape(param.data.shape)}"
            )
        dtype = param.data.dtype if array.dtype.kind == "f" else array.dtype
        return np.array(array, dtype=dtype, copy=True)

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _number(optimizer: str, name: str, value: Any) -> float:
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise ConfigError(f"{optimizer}: {name} must be a number, got {value!r}")
    return float(value)



def step_gradient(param: np.ndarray, grad: np.ndarray, group: dict[str, Any], weight_decay: float,
                  lr: float = 0.0) -> np.ndarray:
    """g_t of every optimiser's update: the gradient (negated when ``maximize``) plus lambda * theta
    (L2 weight decay); with ``decoupled_weight_decay`` the weights shrink in place instead,
    theta <- theta (1 - lr lambda) (AdamW), and g_t is the bare gradient."""
    g = -grad if group["maximize"] else grad
    if weight_decay != 0:
        if group.get("decoupled_weight_decay"):
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    return g


def hyper(group: dict[str, Any], *names: str) -> list[float]:
    """The named hyper-parameters of ``group`` as Python floats.

    Python floats keep float32 arithmetic in float32 (NumPy promotes float32 * np.float64 to float64),
    whatever type the user or a scheduler stored.
    """
    return [float(group[name]) for name in names]
