"""Pooling layers: ``MaxPool1d``, ``MaxPool2d``, ``AvgPool1d``, ``AvgPool2d``, ``AdaptiveAvgPool1d``,
``AdaptiveAvgPool2d``, as ``torch.nn``. They have no parameters; each calls the op of the same name in
:mod:`neurona.ops.pool`, and keeps its arguments as given, so ``print(layer)`` reads like torch's.
"""

from __future__ import annotations

from typing import Any

from neurona.errors import ShapeError
from neurona.nn._checks import check_rank, check_tensor
from neurona.nn.module import Module
from neurona.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from neurona.ops.window import ntuple
from neurona.tensor import Tensor

_LAYOUT = {1: "(N, C, L) or unbatched (C, L)", 2: "(N, C, H, W) or unbatched (C, H, W)"}


class _Pool(Module):
    _nd = 2

    def _call(self, op, x: Tensor, *args: Any) -> Any:
        check_tensor(x, self)
        check_rank(x, (self._nd + 1, self._nd + 2), self, _LAYOUT[self._nd])
        try:
            return op(x, *args)
        except ShapeError as e:
            raise ShapeError(f"{self!r}: {e}") from None


class _MaxPoolNd(_Pool):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Tensor) -> Any:
        op = max_pool2d if self._nd == 2 else max_pool1d
        return self._call(op, x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """y[n,c,i,j] = max over the window (p, q) of x_pad[n, c, i s_h + p d_h, j s_w + q d_w], as torch.nn.MaxPool2d.

    Input (N, C, H, W) or (C, H, W); Ho = floor((H + 2 padding - dilation (k - 1) - 1) / stride) + 1
    (the ceiling with ``ceil_mode``), Wo likewise. ``stride`` defaults to ``kernel_size``; padding
    (at most half the kernel) is -inf. The gradient flows to the first maximum of each window;
    with ``return_indices=True`` the layer returns ``(output, indices)`` (flat h W + w positions).

    Examples
    --------
    >>> nn.MaxPool2d(2)(nr.randn(64, 6, 28, 28)).shape
    (64, 6, 14, 14)
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding, dilation, return_indices, ceil_mode)


class MaxPool1d(_MaxPoolNd):
    """y[n,c,i] = max_{p < k} x_pad[n, c, i s + p d], as torch.nn.MaxPool1d; input (N, C, L) or (C, L).

    Lo = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1 (ceiling with ``ceil_mode``).
    """

    _nd = 1

    def __init__(
        self,
        kernel_size: int,
        stride: int | None = None,
        padding: int = 0,
        dilation: int = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding, dilation, return_indices, ceil_mode)


class AvgPool2d(_Pool):
    """y[n,c,i,j] = (1 / D_ij) sum over the window of x_pad[n, c, i s_h + p, j s_w + q], as torch.nn.AvgPool2d.

    Zero padding; D_ij = kH kW, minus the overhang of a ceil-mode window, and minus the padding when
    ``count_include_pad=False``; ``divisor_override`` fixes D. Output size as :class:`MaxPool2d`
    with dilation 1.
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return self._call(avg_pool2d, x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_Pool):
    """y[n,c,i] = (1 / D_i) sum_{p < k} x_pad[n, c, i s + p], as torch.nn.AvgPool1d; input (N, C, L) or (C, L).

    See :class:`AvgPool2d` for D_i and the output size.
    """

    _nd = 1

    def __init__(
        self,
        kernel_size: int,
        stride: int | None = None,
        padding: int = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = ntuple(stride if stride is not None else kernel_size, 1, "stride", "AvgPool1d")
        self.padding = ntuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        return self._call(avg_pool1d, x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(_Pool):
    """Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d.

    Output row i averages input rows [floor(i H / Ho), ceil((i + 1) H / Ho)), columns likewise;
    ``output_size`` is an int, a pair, or a pair with None (keep that input size).
    ``AdaptiveAvgPool2d(1)`` is global average pooling.
    """

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return self._call(adaptive_avg_pool2d, x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_Pool):
    """Average pooling of (N, C, L) or (C, L) to length Lo: output i averages [floor(i L / Lo), ceil((i + 1) L / Lo))."""

    _nd = 1

    def __init__(self, output_size: int) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return self._call(adaptive_avg_pool1d, x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
