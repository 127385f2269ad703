"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``, as ``torch.nn``.

Each holds a ``weight`` and an optional ``bias`` and calls the op of the same name in
:mod:`neurona.ops.conv`. Weight layouts, default initialisation, ``state_dict`` keys and
``print(layer)`` are torch's, so ``layer.load_state_dict(torch_layer.state_dict())`` just works.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurona.device import check_device
from neurona.errors import ShapeError
from neurona.nn import init
from neurona.nn._checks import check_dim, check_floating, check_rank, check_tensor
from neurona.nn.module import Module, Parameter
from neurona.ops.conv import conv1d, conv2d, conv_padding, conv_transpose1d, conv_transpose2d
from neurona.ops.shape import getitem
from neurona.ops.window import ntuple
from neurona.tensor import Tensor

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class _ConvNd(Module):
    """What every convolution layer shares: arguments, parameters, init, checks and ``extra_repr``."""

    _nd = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: Any = 0,
        dtype: Any = np.float32,
        device: Any = None,
    ) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__()
        name, nd = type(self).__name__, self._nd
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"{name}: in_channels and out_channels must be > 0, got {in_channels}, {out_channels}")
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                f"divisible by groups ({groups})"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size", name)
        self.stride = ntuple(stride, nd, "stride", name)
        self.dilation = ntuple(dilation, nd, "dilation", name)
        self.output_padding = ntuple(output_padding, nd, "output_padding", name)
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
            conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)  # the op's own check
            self.padding = padding
        else:
            self.padding = ntuple(padding, nd, "padding", name)
        if padding_mode not in _PADDING_MODES or (self._transposed and padding_mode != "zeros"):
            allowed = ("zeros",) if self._transposed else _PADDING_MODES
            raise ValueError(f"{name}: padding_mode must be one of {allowed}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default: weight ~ U(+-1/sqrt(fan_in)) (Kaiming-uniform, a = sqrt(5)), bias likewise,
        with fan_in = weight.shape[1] * prod(kernel_size) (for a transposed conv: out_channels/groups * ...)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            init.fan_in_uniform_(self.bias, fan_in)

    def _check_input(self, x: Tensor) -> bool:
        """Check rank and channels; returns whether ``x`` is unbatched."""
        check_tensor(x, self)
        layout = "(N, C, L) or unbatched (C, L)" if self._nd == 1 else "(N, C, H, W) or unbatched (C, H, W)"
        check_rank(x, (self._nd + 1, self._nd + 2), self, layout)
        check_floating(x, self)
        check_dim(x, -self._nd - 1, self.in_channels, self, "input channels")
        return x.ndim == self._nd + 1

    def _mode_padded(self, x: Tensor) -> Tensor:
        """x padded with ``padding_mode`` (reflect/replicate/circular) by indexing with repeated positions."""
        lo, hi = conv_padding(self.padding, self.kernel_size, self.stride, self.dilation, type(self).__name__)
        pads, index = list(zip(lo, hi)), []
        for (lo, hi), size in zip(pads, x.shape[-self._nd :]):
            if self.padding_mode == "reflect" and max(lo, hi) >= size:
                raise ShapeError(f"{self!r}: reflect padding {max(lo, hi)} must be smaller than the input size {size}")
            index.append(np.pad(np.arange(size), (lo, hi), mode=_NUMPY_PAD_MODE[self.padding_mode]))
        if self._nd == 2:
            return getitem(x, (Ellipsis, index[0].reshape(-1, 1), index[1].reshape(1, -1)))
        return getitem(x, (Ellipsis, index[0]))

    def _run(self, op, x: Tensor, *args: Any) -> Tensor:
        try:
            return op(x, *args)
        except ShapeError as e:
            raise ShapeError(f"{self!r}: {e}") from None

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        op = conv1d if self._nd == 1 else conv2d
        padding = self.padding if self._nd == 2 or isinstance(self.padding, str) else self.padding[0]
        stride, dilation = (self.stride, self.dilation) if self._nd == 2 else (self.stride[0], self.dilation[0])
        if self.padding_mode != "zeros":
            x, padding = self._mode_padded(x), 0
        return self._run(op, x, self.weight, self.bias, stride, padding, dilation, self.groups)


class Conv2d(_Conv):
    """2-D convolution layer:  y[n,o] = b[o] + sum_c w[o,c] ⋆ x[n,c]  (⋆: cross-correlation), as torch.nn.Conv2d.

    Input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, Ho, Wo) with
    Ho = floor((H + 2 padding - dilation (k - 1) - 1) / stride) + 1, Wo likewise.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride, dilation : int or (int, int), default 1
    padding : int, (int, int), ``'valid'`` or ``'same'`` (output size = input size; stride 1), default 0
    groups : int, default 1 — channels split into independent groups (``groups=in_channels``: depthwise)
    bias : bool, default True
    padding_mode : ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``

    Attributes: ``weight`` (C_out, C_in/groups, kH, kW) and ``bias`` (C_out,), initialised
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C_in/groups * kH * kW, like torch.

    Examples
    --------
    >>> conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    >>> conv(nr.randn(64, 1, 28, 28)).shape
    (64, 6, 28, 28)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = np.float32,
        device: Any = None,
    ) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype=dtype)


class Conv1d(_Conv):
    """1-D convolution layer over sequences, as torch.nn.Conv1d:  y[n,o] = b[o] + sum_c w[o,c] ⋆ x[n,c].

    Input (N, C_in, L) or (C_in, L); output (N, C_out, Lo), Lo = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1.
    Arguments as :class:`Conv2d` with ints; ``weight`` is (C_out, C_in/groups, k).
    """

    _nd = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | str = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = np.float32,
        device: Any = None,
    ) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype=dtype)


class _ConvTranspose(_ConvNd):
    _transposed = True

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        """The output_padding that gives ``output_size`` (torch's ``forward(x, output_size=...)``)."""
        if output_size is None:
            return self.output_padding
        sizes = tuple(output_size)[-self._nd :]
        if len(sizes) != self._nd:
            raise ValueError(f"{self!r}: output_size must have {self._nd} spatial sizes, got {output_size!r}")
        padding = []
        for size, n, k, s, p, d in zip(sizes, x.shape[-self._nd :], self.kernel_size, self.stride, self.padding,
                                       self.dilation):
            smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= size < smallest + s:
                raise ShapeError(
                    f"{self!r}: requested an output size of {tuple(sizes)}, but valid sizes for an input of "
                    f"shape {tuple(x.shape)} range from {smallest} to {smallest + s - 1} in each dimension"
                )
            padding.append(size - smallest)
        return tuple(padding)

    def forward(self, x: Tensor, output_size: Any = None) -> Tensor:
        self._check_input(x)
        output_padding = self._output_padding(x, output_size)
        if self._nd == 2:
            return self._run(conv_transpose2d, x, self.weight, self.bias, self.stride, self.padding, output_padding,
                             self.groups, self.dilation)
        return self._run(conv_transpose1d, x, self.weight, self.bias, self.stride[0], self.padding[0],
                         output_padding[0], self.groups, self.dilation[0])


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution layer ("deconvolution"), as torch.nn.ConvTranspose2d.

    The gradient of a Conv2d with respect to its input, used to upsample: each input pixel adds
    its kernel-weighted value to a window of the output. Input (N, C_in, H, W) or (C_in, H, W); output
    (N, C_out, Ho, Wo) with  Ho = (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.
    ``forward(x, output_size=...)`` picks output_padding for a wanted size.

    Attributes: ``weight`` (C_in, C_out/groups, kH, kW), ``bias`` (C_out,); initialised
    U(+-1/sqrt(fan_in)) with torch's fan_in = weight.shape[1] * kH * kW = C_out/groups * kH * kW.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, int] = 1,
        padding_mode: str = "zeros",
        dtype: Any = np.float32,
        device: Any = None,
    ) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype=dtype)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution layer, as torch.nn.ConvTranspose1d:  Lo = (L - 1) s - 2 p + d (k - 1) + output_padding + 1.

    ``weight`` is (C_in, C_out/groups, k); see :class:`ConvTranspose2d`.
    """

    _nd = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        output_padding: int = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int = 1,
        padding_mode: str = "zeros",
        dtype: Any = np.float32,
        device: Any = None,
    ) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype=dtype)
