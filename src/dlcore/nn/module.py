"""The building blocks every layer stands on: ``Parameter``, ``Module``, and the containers
``Sequential``, ``ModuleList`` and ``ModuleDict``.

A dlcore module is a PyTorch module with the autograd taken out. ``forward`` computes the
output and keeps what the backward pass needs; ``backward(grad_out)`` returns the gradient
with respect to the input and *adds* each parameter's gradient to ``param.grad``, exactly as
``loss.backward()`` accumulates into ``.grad`` in PyTorch.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator, NamedTuple

import numpy as np

from ..checks import check_int

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict"]


def _check_flag(what: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be a bool, got {value!r}")
    return bool(value)


class Parameter:
    """A trainable array and its accumulated gradient.

    Parameters
    ----------
    data : array_like
        The initial value (integers become float64).
    requires_grad : bool, default True
        Whether backward passes accumulate into ``grad`` (``torch.nn.Parameter``'s argument).

    Attributes
    ----------
    data : numpy.ndarray
        The value, updated in place by the optimizers.
    grad : numpy.ndarray or None
        ``None`` until a backward pass writes to it, as in PyTorch; then an array shaped
        like ``data``.
    requires_grad : bool
        When False the parameter is frozen: :meth:`accumulate` does nothing, so ``grad``
        stays ``None`` and every optimizer skips it, while the layer's backward still returns
        the gradient of its input (gradients flow *through* a frozen layer). As in PyTorch,
        a gradient assigned by hand is still used by an optimizer.

    Examples
    --------
    >>> p = Parameter(np.zeros(3))
    >>> p.grad is None
    True
    >>> p.accumulate(np.ones(3)); p.accumulate(np.ones(3)); p.grad
    array([2., 2., 2.])
    >>> q = Parameter(np.zeros(3)).requires_grad_(False)
    >>> q.accumulate(np.ones(3)); q.grad is None
    True
    """

    __slots__ = ("data", "grad", "_requires_grad")

    def __init__(self, data, requires_grad: bool = True):
        self.data = np.array(data, dtype=np.float64 if np.asarray(data).dtype.kind != "f" else None)
        self.grad = None
        self.requires_grad = requires_grad

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        self._requires_grad = _check_flag("Parameter requires_grad", value)

    def requires_grad_(self, requires_grad: bool = True) -> "Parameter":
        """Set :attr:`requires_grad` in place and return the parameter (``Tensor.requires_grad_``)."""
        self.requires_grad = requires_grad
        return self

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def accumulate(self, grad: np.ndarray) -> None:
        """Add ``grad`` to ``self.grad`` (creating it on the first call); nothing when frozen."""
        if grad.shape != self.data.shape:
            raise ValueError(f"gradient shape {grad.shape} does not match parameter shape "
                             f"{self.data.shape}")
        if not self._requires_grad:
            return
        if self.grad is None:
            self.grad = np.array(grad, dtype=self.data.dtype)
        else:
            self.grad += grad

    def __repr__(self) -> str:
        frozen = "" if self._requires_grad else ", requires_grad=False"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}{frozen})"


class _IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns, as torch's ``_IncompatibleKeys``."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


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

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freeze (``False``) or unfreeze every parameter of this module and its children;
        returns the module (``torch.nn.Module.requires_grad_``).

        Only the parameters change: buffers such as BatchNorm's running statistics keep
        updating in training mode, and Dropout keeps dropping; call :meth:`eval` for that.

        Examples
        --------
        >>> from dlcore.nn import Linear
        >>> net = Sequential(Linear(4, 3, rng=0), Linear(3, 2, rng=1))
        >>> _ = net[0].requires_grad_(False)
        >>> sum(p.data.size for p in net.parameters() if p.requires_grad)
        8
        """
        flag = _check_flag("requires_grad_ requires_grad", requires_grad)
        for p in self.parameters():
            p.requires_grad = flag
        return self

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

    def load_state_dict(self, state_dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers, in
        place, with ``torch.nn.Module.load_state_dict``'s semantics.

        Parameters
        ----------
        state_dict : mapping of str to array_like
            Values keyed like :meth:`state_dict` (torch tensors convert through NumPy).
        strict : bool, default True
            If True, a key of this module absent from ``state_dict`` (missing) or a key of
            ``state_dict`` that names nothing in this module (unexpected) raises; if False,
            the keys that match are loaded and the others are only reported.

        Returns
        -------
        _IncompatibleKeys
            A named tuple ``(missing_keys, unexpected_keys)``, lists in module order and in
            ``state_dict`` order, as torch returns. As in torch, a BatchNorm's
            ``num_batches_tracked`` absent from a ``state_dict`` that carries no version-2
            ``_metadata`` (every dlcore ``state_dict``, and any dict rebuilt from torch's) is
            not missing: the layer keeps its own counter.

        Raises
        ------
        RuntimeError
            Torch's error, ``Error(s) in loading state_dict for <class>:`` followed by one
            tab-indented line per problem: missing and unexpected keys (strict only) and
            size mismatches (always, as in torch, which checks shapes even when not strict).

        Examples
        --------
        >>> from dlcore.nn import Linear
        >>> a, b = Linear(2, 1, rng=0), Linear(2, 1, rng=1)
        >>> b.load_state_dict(a.state_dict())
        <All keys matched successfully>
        >>> b.load_state_dict({"module." + k: v for k, v in a.state_dict().items()}, strict=False)
        _IncompatibleKeys(missing_keys=['weight', 'bias'], unexpected_keys=['module.weight', 'module.bias'])
        """
        strict = _check_flag("load_state_dict strict", strict)
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"load_state_dict state_dict must be a mapping, got "
                            f"{type(state_dict).__name__}")
        owners = {}   # key -> (module, leaf name), in this module's state_dict order
        metadata = getattr(state_dict, "_metadata", None) or {}
        optional = set()
        for mod_prefix, module in self._named_modules():
            for leaf in list(module._parameters) + list(module._buffers):
                owners[mod_prefix + leaf] = (module, leaf)
            if "num_batches_tracked" in module._buffers and (
                    metadata.get(mod_prefix[:-1], {}).get("version") or 0) < 2:
                # torch's BatchNorm keeps its own counter when a state_dict without version-2
                # metadata (an old checkpoint, or any rebuilt dict) lacks the key
                optional.add(mod_prefix + "num_batches_tracked")
        missing = [k for k in owners if k not in state_dict and k not in optional]
        unexpected = [k for k in state_dict.keys() if k not in owners]
        errors = []
        for key, (module, leaf) in owners.items():
            if key not in state_dict:
                continue
            value = np.asarray(state_dict[key])
            if leaf in module._parameters:
                target = module._parameters[leaf].data
            else:
                target = getattr(module, leaf)
                if not isinstance(target, np.ndarray):
                    object.__setattr__(module, leaf, np.array(value))
                    continue
            if value.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{value.shape} from checkpoint, the shape in current model is "
                              f"{target.shape}.")
                continue
            target[...] = value
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def _named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """``(key prefix, module)`` for this module and every descendant, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child._named_modules(prefix + name + ".")

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
