"""``Module`` and ``Parameter``: the base of every layer and model, as in ``torch.nn``.

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it, so ``parameters()``,
``state_dict()`` and ``print(model)`` find it. State-dict keys are PyTorch's (``features.0.weight``),
so weights move between a neurona model and the equivalent torch model with no renaming.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.tensor import AnomalyMode, Tensor, to_numpy


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module: it requires grad and is registered on assignment."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = data.data if isinstance(data, Tensor) else np.asarray(data)
        super().__init__(array, dtype=array.dtype if array.dtype.kind == "f" else np.float32)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys the model had and the state dict lacked, and the reverse."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class _HookHandle:
    """Returned by ``register_forward_hook`` / ``register_forward_pre_hook``: ``handle.remove()`` unhooks."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self.hooks, self.id = hooks, _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Module:
    """Base class of layers and models: define ``__init__`` (assign sub-modules and Parameters) and ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---- registration -------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params, modules, buffers = d.get("_parameters"), d.get("_modules"), d.get("_buffers")
        if params is None:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in params or name in modules:
            if value is not None:
                kind = "a Parameter" if name in params else "a Module"
                raise TypeError(f"cannot assign {type(value).__name__} to {name!r}: expected {kind} or None")
            (params if name in params else modules)[name] = None
        elif name in buffers:
            value = value if value is None or isinstance(value, Tensor) else Tensor(value)
            buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._modules, self._buffers):
            table.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not learnt (BatchNorm's running mean); saved in ``state_dict``
        unless ``persistent=False``."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: buffer name must be a non-empty string without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer: cannot register a {type(tensor).__name__} as buffer {name!r} "
                "(a Tensor or None is required; wrap arrays with neurona.tensor)"
            )
        if name in self._parameters or name in self._modules or (
            name not in self._buffers and name in self.__dict__
        ):
            raise KeyError(f"register_buffer: attribute {name!r} already exists on {type(self).__name__}")
        self._buffers[name] = tensor
        self._non_persistent.discard(name)
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def register_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    add_module = register_module

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> _HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None result replaces the output."""
        handle = _HookHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple], Any]) -> _HookHandle:
        """Call ``hook(module, inputs)`` before every forward; a non-None result replaces the inputs
        (a tuple, or one value that becomes a 1-tuple)."""
        handle = _HookHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # ---- calling ------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                replaced = hook(self, args)
                if replaced is not None:
                    args = replaced if isinstance(replaced, tuple) else (replaced,)
        if AnomalyMode.enabled:  # remember which layer is running, to name it if an op fails
            AnomalyMode.module_stack.append(self)
            try:
                out = self.forward(*args, **kwargs)
            finally:
                AnomalyMode.module_stack.pop()
        else:
            out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                replaced = hook(self, args, out)
                if replaced is not None:
                    out = replaced
        return out

    # ---- traversal ----------------------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo: set | None = None) -> Iterator[tuple[str, Module]]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{module_prefix}.{name}" if module_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return (b for _, b in self.named_buffers(recurse=recurse))

    # ---- modes and gradients ------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._wrap(np.zeros_like(p.data))

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every sub-module (children first) and on self, e.g. for custom init."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating parameters and buffers to ``dtype`` in place (e.g. ``model.to(nr.float64)``);
        ``to("cpu")``/``to(device)``/``to(device, dtype)`` as in torch (only the CPU exists)."""
        from neurona.dtypes import as_numpy_dtype
        from neurona.ops.methods import _parse_to

        dtype = _parse_to(args, dict(kwargs))
        if dtype is None:
            return self
        dtype = as_numpy_dtype(dtype)
        for m in self.modules():
            for table in (m._parameters, m._buffers):
                for t in table.values():
                    if t is not None and t.data.dtype.kind == "f":
                        t.data = t.data.astype(dtype)
                        if t.grad is not None:
                            t.grad = Tensor._wrap(t.grad.data.astype(dtype))
        return self

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        from neurona.device import _unavailable

        raise RuntimeError(_unavailable("cuda"))

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.data.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ---- state dict ---------------------------------------------------------------------------
    def state_dict(
        self, *args: Any, destination: dict | None = None, prefix: str = "", keep_vars: bool = True
    ) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, sharing memory with the model.

        The values are the model's own Parameters and buffers (neurona code reads their ``.grad``);
        ``keep_vars=False`` gives detached tensors sharing their memory, as torch's default does.
        """
        if args:  # torch's old positional form state_dict(destination, prefix, keep_vars)
            destination, prefix, keep_vars = (*args, *(destination, prefix, keep_vars)[len(args):])[:3]
        out: OrderedDict[str, Tensor] = OrderedDict() if destination is None else destination  # type: ignore[assignment]
        for module_prefix, module in self.named_modules(prefix.rstrip(".")):
            base = f"{module_prefix}." if module_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[base + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[base + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (neurona or torch tensors, NumPy arrays) into this model's parameters and buffers.

        Nothing is changed unless every key and shape fits (with ``strict=False``: every shared key).
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays, mismatched = {}, []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = to_numpy(state_dict[key])
            if value.shape != target.shape:
                mismatched.append(f"{key}: checkpoint {fmt_shape(value.shape)} vs model {fmt_shape(target.shape)}")
            arrays[key] = value
        problems = []
        if mismatched:
            problems.append("size mismatch for " + "; ".join(mismatched))
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        if problems:
            raise ShapeError(f"Error loading state_dict into {type(self).__name__}: " + ". ".join(problems))
        for key, value in arrays.items():
            target = own[key]
            target.data = value.astype(target.data.dtype, copy=True).reshape(target.shape)
        return IncompatibleKeys(missing, unexpected)

    # ---- printing -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            body = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"{extra}" if extra else "")
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def summary(self, input_shape: tuple[int, ...], dtype: Any = np.float32) -> Any:
        """A Keras/torchinfo-style table: layer, output shape, parameter count, memory.

        ``input_shape`` includes the batch dimension, e.g. ``(1, 1, 28, 28)``.
        """
        from neurona.nn.summary import summary

        return summary(self, input_shape, dtype)

