"""Padding layers (``torch.nn.ZeroPad2d``, ``ConstantPad2d``, ``ReflectionPad2d``,
``ReplicationPad2d``, ``CircularPad2d`` and their 1-D and 3-D versions), over
:func:`dlcore.functional.padding.pad`."""

from __future__ import annotations

import numbers

from ..checks import as_array, check_int, check_range
from ..functional.padding import pad, pad_backward
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """Pads the last ``_dims`` dimensions of an unbatched or batched input."""

    _dims = 2
    _mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        n = 2 * self._dims
        if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
            padding = (int(padding),) * n
        elif not isinstance(padding, (tuple, list)):
            raise TypeError(f"{type(self).__name__} padding must be an int or a tuple of {n} "
                            f"ints, got {padding!r}")
        if len(padding) != n:
            raise ValueError(f"{type(self).__name__} padding must be an int or a tuple of {n} "
                             f"ints, got {padding!r}")
        self.padding = tuple(check_int(f"padding[{i}]", v) for i, v in enumerate(padding))
        self.value = check_range("value", value, what=type(self).__name__)

    def forward(self, x):
        x = as_array("input", x)
        if x.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"{type(self).__name__} expects a {self._dims + 1}-D or "
                             f"{self._dims + 2}-D input, got shape {x.shape}")
        self._save(shape=x.shape)
        value = self.value if self._mode == "constant" else None
        return pad(x, self.padding, self._mode, value)

    def backward(self, grad_out):
        (shape,) = self._saved("shape")
        return pad_backward(grad_out, shape, self.padding, self._mode)

    def extra_repr(self) -> str:
        extra = f", value={self.value}" if type(self).__name__.startswith("Constant") else ""
        return f"{self.padding}{extra}"




class ZeroPad1d(_PadNd):
    """``torch.nn.ZeroPad1d``: Zero-pads the last 1 dimension(s) of a 2-D
    or 3-D input; ``padding`` is an int or ``(left, right)``."""

    _dims, _mode = 1, "constant"


class ZeroPad2d(_PadNd):
    """``torch.nn.ZeroPad2d``: Zero-pads the last 2 dimension(s) of a 3-D
    or 4-D input; ``padding`` is an int or ``(left, right, top, bottom)``."""

    _dims, _mode = 2, "constant"


class ZeroPad3d(_PadNd):
    """``torch.nn.ZeroPad3d``: Zero-pads the last 3 dimension(s) of a 4-D
    or 5-D input; ``padding`` is an int or ``(left, right, top, bottom, front, back)``."""

    _dims, _mode = 3, "constant"


class ConstantPad1d(_PadNd):
    """``torch.nn.ConstantPad1d``: Pads with ``value`` the last 1 dimension(s) of a 2-D
    or 3-D input; ``padding`` is an int or ``(left, right)``."""

    _dims, _mode = 1, "constant"

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """``torch.nn.ConstantPad2d``: Pads with ``value`` the last 2 dimension(s) of a 3-D
    or 4-D input; ``padding`` is an int or ``(left, right, top, bottom)``."""

    _dims, _mode = 2, "constant"

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ConstantPad3d(_PadNd):
    """``torch.nn.ConstantPad3d``: Pads with ``value`` the last 3 dimension(s) of a 4-D
    or 5-D input; ``padding`` is an int or ``(left, right, top, bottom, front, back)``."""

    _dims, _mode = 3, "constant"

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ReflectionPad1d(_PadNd):
    """``torch.nn.ReflectionPad1d``: Reflects the last 1 dimension(s) of a 2-D
    or 3-D input; ``padding`` is an int or ``(left, right)``."""

    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """``torch.nn.ReflectionPad2d``: Reflects the last 2 dimension(s) of a 3-D
    or 4-D input; ``padding`` is an int or ``(left, right, top, bottom)``.

    Examples
    --------
    >>> import numpy as np
    >>> ReflectionPad2d((1, 0, 0, 1))(np.arange(4.0).reshape(1, 2, 2))
    array([[[1., 0., 1.],
            [3., 2., 3.],
            [1., 0., 1.]]])
    """

    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """``torch.nn.ReflectionPad3d``: Reflects the last 3 dimension(s) of a 4-D
    or 5-D input; ``padding`` is an int or ``(left, right, top, bottom, front, back)``."""

    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """``torch.nn.ReplicationPad1d``: Replicates the last 1 dimension(s) of a 2-D
    or 3-D input; ``padding`` is an int or ``(left, right)``."""

    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """``torch.nn.ReplicationPad2d``: Replicates the last 2 dimension(s) of a 3-D
    or 4-D input; ``padding`` is an int or ``(left, right, top, bottom)``."""

    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """``torch.nn.ReplicationPad3d``: Replicates the last 3 dimension(s) of a 4-D
    or 5-D input; ``padding`` is an int or ``(left, right, top, bottom, front, back)``."""

    _dims, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """``torch.nn.CircularPad1d``: Wraps around the last 1 dimension(s) of a 2-D
    or 3-D input; ``padding`` is an int or ``(left, right)``."""

    _dims, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """``torch.nn.CircularPad2d``: Wraps around the last 2 dimension(s) of a 3-D
    or 4-D input; ``padding`` is an int or ``(left, right, top, bottom)``."""

    _dims, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """``torch.nn.CircularPad3d``: Wraps around the last 3 dimension(s) of a 4-D
    or 5-D input; ``padding`` is an int or ``(left, right, top, bottom, front, back)``."""

    _dims, _mode = 3, "circular"
