"""The building blocks every layer stands on: ``Parameter``, ``Module``, and the containers
``Sequential``, ``ModuleList`` and ``ModuleDict``.

A dlcore module is a PyTorch module with the autograd taken out. ``forward`` computes the
output and keeps what the backward pass needs; ``backward(grad_out)`` returns the gradient
with respect to the input and *adds* each parameter's gradient to ``param.grad``, exactly as
``loss.backward()`` accumulates into ``.grad`` in PyTorch.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

import numpy as np

from ..checks import check_int

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict"]


class Parameter:
    """A trainable array and its accumulated gradient.

    Attributes
    ----------
    data : numpy.ndarray
        The value, updated in place by the optimizers.
    grad : numpy.ndarray or None
        ``None`` until a backward pass writes to it, as in PyTorch; then an array shaped
        like ``data``.

    Examples
    --------
    >>> p = Parameter(np.zeros(3))
    >>> p.grad is None
    True
    >>> p.accumulate(np.ones(3)); p.accumulate(np.ones(3)); p.grad
    array([2., 2., 2.])
    """

    __slots__ = ("data", "grad")

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64 if np.asarray(data).dtype.kind != "f" else None)
        self.grad = None

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def accumulate(self, grad: np.ndarray) -> None:
        """Add ``grad`` to ``self.grad`` (creating it on the first call)."""
        if grad.shape != self.data.shape:
            raise ValueError(f"gradient shape {grad.shape} does not match parameter shape "
                             f"{self.data.shape}")
        if self.grad is None:
            self.grad = np.array(grad, dtype=self.data.dtype)
        else:
            self.grad += grad

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of all dlcore layers.

    Sub-classes assign ``Parameter`` and ``Module`` attributes in ``__init__``; they are
    registered in assignment order, which fixes the order of :meth:`parameters` (PyTorch's
    order: a module's own parameters first, then each child's, depth first).
    Sub-classes implement :meth:`forward` and :meth:`backward`.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration -----------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                               "before assigning attributes")
        if name in self._buffers and (value is None or isinstance(value, np.ndarray)):
            object.__setattr__(self, name, value)  # assigning to a buffer keeps it a buffer
            return
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value) -> None:
        """Register non-trainable state (e.g. BatchNorm running statistics) for ``state_dict``."""
        object.__setattr__(self, name, value)
        self._buffers[name] = True

    # -- computation ------------------------------------------------------------------
    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_out):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def _saved(self, *names):
        """Return the values ``forward`` cached for ``backward``, or explain that it never ran."""
        cache = self.__dict__.get("_cache")
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return cache if len(names) == 0 else tuple(cache[n] for n in names)

    def _save(self, **values) -> None:
        object.__setattr__(self, "_cache", values)

    # -- traversal --------------------------------------------------------------------
    def children(self) -> Iterator["Module"]:
        return iter(self._modules.values())

    def modules(self) -> Iterator["Module"]:
        """This module, then every descendant, depth first."""
        yield self
        for child in self._modules.values():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, child in self._modules.items():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        """All trainable parameters, in PyTorch's order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to ``None`` (PyTorch's default) or to zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0.0

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    # -- state ------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and buffer, keyed like PyTorch's ``state_dict``."""
        state = OrderedDict()
        for name, p in self._parameters.items():
            state[prefix + name] = p.data.copy()
        for name in self._buffers:
            value = getattr(self, name)
            state[prefix + name] = value.copy() if isinstance(value, np.ndarray) else value
        for name, child in self._modules.items():
            state.update(child.state_dict(prefix + name + "."))
        return state

    def load_state_dict(self, state) -> None:
        """Copy values from ``state`` into this module's parameters and buffers."""
        own = self.state_dict()
        missing = own.keys() - state.keys()
        unexpected = state.keys() - own.keys()
        if missing or unexpected:
            raise ValueError(f"state_dict mismatch: missing {sorted(missing)}, "
                             f"unexpected {sorted(unexpected)}")
        for key, value in state.items():
            *path, leaf = key.split(".")
            owner = self
            for part in path:
                owner = owner._modules[part]
            if leaf in owner._parameters:
                target = owner._parameters[leaf].data
                if np.shape(value) != target.shape:
                    raise ValueError(f"{key}: shape {np.shape(value)} does not match "
                                     f"{target.shape}")
                target[...] = value
            else:
                current = getattr(owner, leaf)
                object.__setattr__(owner, leaf,
                                   np.array(value) if isinstance(current, np.ndarray) else value)

    # -- display ----------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return head + ")"
        lines = [head]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another; ``backward`` walks them in reverse.

    Examples
    --------
    >>> from dlcore.nn import Linear, ReLU
    >>> net = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1))
    >>> net(np.ones((5, 3))).shape
    (5, 2)
    >>> [p.shape for p in net.parameters()]
    [(4, 3), (4,), (2, 4), (2,)]
    """

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential argument {i} must be a dlcore Module, "
                                f"got {type(layer).__name__}")
            setattr(self, str(i), layer)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def append(self, layer: Module) -> "Sequential":
        setattr(self, str(len(self)), layer)
        return self

    def forward(self, x):
        for layer in self:
            x = layer(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(list(self)):
            grad_out = layer.backward(grad_out)
        return grad_out


def _check_index(index, length: int) -> int:
    """A list position in ``[-length, length)`` as a non-negative int, or ``IndexError``."""
    index = check_int("index", index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for {length} modules")
    return index % length


def _as_module(value, where: str) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{where} must be a dlcore Module, got {type(value).__name__}")
    return value


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner, as ``torch.nn.ModuleList``.

    It has no ``forward``: the owner decides how the modules are called. Keys in
    ``state_dict`` are the positions (``"0.weight"``); deleting or inserting renumbers them,
    as in PyTorch.

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> layers = ModuleList([Linear(2, 2, rng=i) for i in range(3)])
    >>> len(layers), list(layers.state_dict())[:2]
    (3, ['0.weight', '0.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _reset(self, modules) -> None:
        for name in list(self._modules):
            del self.__dict__[name]
        self._modules.clear()
        for i, m in enumerate(modules):
            setattr(self, str(i), _as_module(m, f"ModuleList item {i}"))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[_check_index(index, len(items))]

    def __setitem__(self, index, module) -> None:
        items = list(self._modules.values())
        items[_check_index(index, len(items))] = _as_module(module, "ModuleList item")
        self._reset(items)

    def __delitem__(self, index) -> None:
        items = list(self._modules.values())
        del items[index if isinstance(index, slice) else _check_index(index, len(items))]
        self._reset(items)

    def __iadd__(self, modules) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def append(self, module) -> "ModuleList":
        setattr(self, str(len(self)), _as_module(module, "ModuleList.append argument"))
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module) -> None:
        items = list(self._modules.values())
        items.insert(check_int("index", index), _as_module(module, "ModuleList.insert argument"))
        self._reset(items)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module


class ModuleDict(Module):
    """Modules by name, in insertion order, as ``torch.nn.ModuleDict`` (no ``forward``).

    Names must be non-empty strings without ``"."`` that do not shadow an attribute.

    Examples
    --------
    >>> from dlcore.nn import Linear, ReLU
    >>> heads = ModuleDict({"cls": Linear(4, 3, rng=0), "act": ReLU()})
    >>> list(heads), list(heads.state_dict())
    (['cls', 'act'], ['cls.weight', 'cls.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check_key(self, key) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict key must be a string, got {type(key).__name__}")
        if key == "" or "." in key:
            raise KeyError(f"ModuleDict key must be a non-empty string without '.', got {key!r}")
        if key not in self._modules and hasattr(self, key):
            raise KeyError(f"ModuleDict key {key!r} would shadow the attribute of that name")
        return key

    def __getitem__(self, key) -> Module:
        return self._modules[key]

    def __setitem__(self, key, module) -> None:
        setattr(self, self._check_key(key), _as_module(module, f"ModuleDict[{key!r}]"))

    def __delitem__(self, key) -> None:
        del self._modules[key]
        del self.__dict__[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return list(self._modules.keys())

    def values(self):
        return list(self._modules.values())

    def items(self):
        return list(self._modules.items())

    def pop(self, key) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def update(self, modules) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for i, pair in enumerate(pairs):
            if isinstance(pair, (str, bytes)) or len(pair) != 2:
                raise ValueError(f"ModuleDict update element {i} must be a (key, module) pair")
            self[pair[0]] = pair[1]
