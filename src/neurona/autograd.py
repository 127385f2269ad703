"""``grad`` (gradients as values instead of ``.grad``) and ``gradcheck`` (finite differences in float64).

``gradcheck`` is the student's check that a backward formula is right: on failure it names the
input, the element, the analytic and numeric values and their relative error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from neurona.errors import GradcheckError, fmt_shape
from neurona.graph_info import _EPOCH, _modified
from neurona.tensor import AnomalyMode, Tensor, is_grad_enabled, no_grad, run_backward, to_numpy
from neurona.tensor import Function as EngineFunction


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) returned as a tuple, without touching any ``.grad``.

    With ``create_graph=True`` the returned gradients are part of the graph, so they can be
    differentiated again (Hessian-vector products, gradient penalties).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    root_grads = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("grad(): an output does not require grad; it was not computed from the inputs")
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"grad(): output of shape {fmt_shape(out.shape)} needs grad_outputs: a gradient is "
                    "implicitly created only for scalar outputs"
                )
            g = Tensor._wrap(np.ones_like(out.data))
        root_grads.append(g)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"grad(): an input of shape {fmt_shape(t.shape)} does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    result = run_backward(outputs, root_grads, retain_graph=retain, create_graph=create_graph, inputs=inputs)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} (shape {fmt_shape(inputs[i].shape)}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
    return tuple(result)


def _flat_output(fn: Callable, inputs: Sequence[Tensor]) -> Tensor:
    out = fn(*inputs)
    if isinstance(out, tuple | list):
        from neurona.ops import cat

        out = cat([o.reshape(-1) for o in out if o.requires_grad or o.data.dtype.kind == "f"])
    return out.reshape(-1)


def _central_differences(fn: Callable, inputs: Sequence[Tensor], x: Tensor, eps: float) -> np.ndarray:
    """(x.size, n_outputs) matrix of (f(x + eps e_k) - f(x - eps e_k)) / (2 eps), perturbing x in place."""
    flat = x.data.reshape(-1)  # a view: perturb in place, then restore
    rows = []
    with no_grad():
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            plus = _flat_output(fn, inputs).data.copy()
            flat[k] = old - eps
            minus = _flat_output(fn, inputs).data.copy()
            flat[k] = old
            rows.append((plus - minus) / (2 * eps))
    return np.array(rows)


def numerical_grad(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6) -> list[np.ndarray]:
    """Finite-difference gradient of a scalar ``fn(*inputs)`` with respect to each input, shaped like it:
    dL/dx_k ~ (L(x + eps e_k) - L(x - eps e_k)) / (2 eps). Use float64 inputs."""
    inputs = list(inputs)
    return [_central_differences(fn, inputs, x, eps)[:, 0].reshape(x.shape) for x in inputs]


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare the autograd Jacobian of ``fn`` at ``inputs`` with central finite differences.

    numeric  d out_j / d x_i  ~  (f(x + eps e_i)_j - f(x - eps e_i)_j) / (2 eps)

    Inputs that require grad must be float64 (float32 round-off swamps a 1e-6 step). Passes when
    |analytic - numeric| <= atol + rtol |numeric| everywhere; otherwise raises ``GradcheckError``
    naming the input, the element and both values (or returns False with ``raise_exception=False``).
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {inputs[i].data.dtype}; use float64 (x.double()) so finite differences are accurate"
            )
    out = _flat_output(fn, inputs)
    n_out = out.shape[0]
    for i in checked:
        x = inputs[i]
        analytic = np.zeros((x.data.size, n_out))
        for j in range(n_out if out.requires_grad else 0):  # an output made without the inputs: zero Jacobian
            onehot = np.zeros(n_out)
            onehot[j] = 1.0
            (g,) = grad(out, x, Tensor._wrap(onehot), retain_graph=True, allow_unused=True)
            if g is not None:
                analytic[:, j] = g.data.reshape(-1)
        numeric = _central_differences(fn, inputs, x, eps).reshape(analytic.shape)
        bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            k, j = np.argwhere(bad)[0]
            index = np.unravel_index(k, x.shape) if x.ndim else ()
            a, n = analytic[k, j], numeric[k, j]
            message = (
                f"gradcheck failed for input {i} (shape {fmt_shape(x.shape)}) at element {tuple(int(v) for v in index)}, "
                f"output element {int(j)}: analytic {a:.6g}, numeric {n:.6g}, relative error "
                f"{abs(a - n) / max(abs(n), 1e-12):.3g} ({int(bad.sum())} of {bad.size} entries disagree)"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


class detect_anomaly:
    """Inside ``with detect_anomaly():`` every op checks its output; the first op that turns finite
    inputs into NaN or inf raises ``FloatingPointError(op_name, 'NaN' | 'inf', module)``. Slow: for debugging."""

    def __enter__(self) -> None:
        self.previous = AnomalyMode.enabled
        AnomalyMode.enabled = True

    def __exit__(self, *exc: object) -> None:
        AnomalyMode.enabled = self.previous
        AnomalyMode.module_stack.clear()


_OP_HINTS = {
    "Log": "the log of 0 or of a negative number (use F.cross_entropy on logits, or clamp the input)",
    "Div": "a division by 0",
    "Exp": "exp of a large number overflowing (are the weights or the learning rate too large?)",
    "Sqrt": "the square root of a negative number",
    "Pow": "a power of 0 or of a negative number",
    "PowScalar": "a power of 0 or of a negative number",
    "MatMul": "values so large that their products overflow (the weights have blown up)",
    "Linear": "values so large that their products overflow (the weights have blown up)",
}


def find_anomaly(fn: Callable[[], object], model: object | None = None) -> str:
    """Run ``fn`` under :class:`detect_anomaly` and describe, in plain words, the first op (and layer of
    ``model``) that produced a non-finite value."""
    names = {id(m): n or type(m).__name__ for n, m in model.named_modules()} if model is not None else {}
    try:
        with detect_anomaly():
            fn()
    except FloatingPointError as e:
        if len(e.args) != 3:
            raise
        op, kind, module = e.args
        layer = ""
        if module is not None:
            layer = f" in layer '{names.get(id(module), type(module).__name__)}' ({type(module).__name__})"
        hint = _OP_HINTS.get(op, "")
        return f"The first {kind} came from op {op}{layer}, whose inputs were all finite" + (
            f": likely {hint}." if hint else ".")
    return "No op produced a non-finite value in the forward pass; the NaN/inf was in the data or the gradients."


# --------------------------------------------------------------------------------------------------
# Custom autograd functions, the PyTorch way
# --------------------------------------------------------------------------------------------------
class FunctionCtx:
    """The ``ctx`` of a torch-style :class:`Function`: ``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad``, ``mark_non_differentiable``; other attributes (``ctx.scale = 2``) are free."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._non_differentiable: set[int] = set()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        self._saved, self._epoch = tensors, _EPOCH[0]

    @property
    def saved_tensors(self) -> tuple:
        for i, t in enumerate(self._saved):
            if isinstance(t, Tensor) and t._vc is not None and t._vc.changed_since(self._epoch):
                raise RuntimeError(_modified(t._vc, self._epoch, f"saved tensor {i} of a custom Function", t.data))
        return self._saved

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        self._non_differentiable.update(id(t) for t in outputs)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Accepted for compatibility (in-place custom forwards are not tracked specially)."""

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted; gradients of unused outputs are always zeros here."""


class _CustomNode(EngineFunction):
    """y = a user's ``Function.forward`` (already run);  dL/dx = the user's ``backward(ctx, *grads)``"""

    def forward(self, ctx, *arrays):
        return self.results if len(self.results) > 1 else self.results[0]

    def backward(self, ctx, *grads):
        wrapped = [g if isinstance(g, Tensor) else Tensor._wrap(g) for g in grads]
        out = self.user.backward(self.user_ctx, *wrapped)
        out = out if isinstance(out, tuple) else (out,)
        picked = [g for g, is_tensor in zip(out, self.tensor_args) if is_tensor]
        return tuple(g if g is None or ctx.on_tensors else to_numpy(g) for g in picked)


class Function:
    """Base class of custom differentiable operations written as in PyTorch::

        class Exp(neurona.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    ``forward`` runs on Tensors without recording a graph; ``backward`` gets one gradient per output
    and returns one per ``forward`` argument (None for arguments that need none). neurona's own ops
    derive from the engine's :class:`neurona.tensor.Function` instead, which works on NumPy arrays.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a custom Function must define @staticmethod forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Tensor) -> Any:
        raise NotImplementedError("a custom Function must define @staticmethod backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        tensor_args = tuple(isinstance(a, Tensor) for a in args)
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        several = isinstance(result, tuple)
        outputs = result if several else (result,)
        if not (is_grad_enabled() and any(ctx.needs_input_grad)):
            return result
        arrays = tuple(to_numpy(o) for o in outputs)
        inputs = [a for a in args if isinstance(a, Tensor)]
        linked = _CustomNode.apply(*inputs, user=cls, user_ctx=ctx, results=arrays, tensor_args=tensor_args)
        linked = linked if isinstance(linked, tuple) else (linked,)
        for o, new in zip(outputs, linked):
            if id(o) in ctx._non_differentiable or new.data.dtype.kind != "f":
                new.requires_grad = False
        linked[0]._ctx.fn_name = cls.__name__
        return linked if several else linked[0]


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Tensor:
    """Deprecated, as in torch since 0.4: a Variable is just a Tensor. Returns ``data`` as a tensor."""
    warnings.warn("autograd.Variable is deprecated: use tensors directly (requires_grad=True where needed)",
                  DeprecationWarning, stacklevel=2)
    t = data if isinstance(data, Tensor) else Tensor(data)
    return t.requires_grad_(True) if requires_grad else t


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """``tensors[i].backward(grad_tensors[i])`` for all at once, as ``torch.autograd.backward``."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grads = [grad_tensors] * len(tensors) if grad_tensors is None or isinstance(grad_tensors, Tensor) else list(grad_tensors)
    for i, (t, g) in enumerate(zip(tensors, grads)):
        keep = True if i < len(tensors) - 1 else retain_graph
        t.backward(g, retain_graph=keep, create_graph=create_graph, inputs=inputs)
