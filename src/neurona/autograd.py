"""``grad`` (gradients as values instead of ``.grad``) and ``gradcheck`` (finite differences in float64).

``gradcheck`` is the student's check that a backward formula is right: on failure it names the
input, the element, the analytic and numeric values and their relative error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from neurona.errors import GradcheckError, fmt_shape
from neurona.tensor import AnomalyMode, Tensor, no_grad, run_backward


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
                f"gradcheck: input {i} is {inputs[i].dtype}; use float64 (x.double()) so finite differences are accurate"
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
