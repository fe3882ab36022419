"""The optimizer base class: parameter groups, per-parameter state, ``zero_grad`` and
``state_dict``, laid out as in ``torch.optim.Optimizer``."""

from __future__ import annotations

import copy

import numpy as np

from ..nn.module import Parameter

__all__ = ["Optimizer"]


class Optimizer:
    """Base class: holds ``param_groups`` (a list of dicts with ``"params"`` and the
    hyper-parameters) and ``state`` (a dict from ``Parameter`` to that parameter's buffers).

    :meth:`step` (with PyTorch's optional ``closure``) calls ``_update_group(group)`` for each
    group; sub-classes implement that, reading the hyper-parameters from the group at every
    step so that a scheduler can change ``group["lr"]`` between steps, and use
    ``_gradients(group)`` for the gradients with ``maximize`` and L2 ``weight_decay`` applied.

    Parameters
    ----------
    params : iterable of Parameter, or of dicts
        Either parameters, or parameter groups ``{"params": [...], "lr": ...}`` whose keys
        override ``defaults`` for that group.
    defaults : dict
        Hyper-parameters applied to every group that does not set its own.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = list(group["params"]) if not isinstance(group["params"], Parameter) \
            else [group["params"]]
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer params[{i}] must be a dlcore Parameter, "
                                f"got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient, to ``None`` by default as PyTorch does."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad[...] = 0.0

    def step(self, closure=None):
        """Update every parameter that has a gradient. ``closure``, if given, re-evaluates the
        model and returns the loss; it is called first and its loss returned, as in PyTorch."""
        loss = None if closure is None else closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement its update")

    @staticmethod
    def _gradients(group: dict, *, coupled_decay: bool = True):
        """Yield ``(p, g)`` for each parameter of ``group`` with a gradient: ``g`` negated when
        ``maximize``, plus ``weight_decay * p`` (L2 in the gradient) when ``coupled_decay``."""
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad if group.get("maximize") else p.grad
            if coupled_decay and group.get("weight_decay"):
                g = g + group["weight_decay"] * p.data
            yield p, g

    def _state(self, p: Parameter) -> dict:
        return self.state.setdefault(p, {})

    def state_dict(self) -> dict:
        """State keyed by parameter index (in group order), and the groups' hyper-parameters."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[id(p)] = len(index)
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)):
            raise ValueError("loaded state_dict has a different group structure "
                             "from this optimizer")
        params = [p for g in self.param_groups for p in g["params"]]
        self.state = {}
        for i, s in state_dict["state"].items():
            self.state[params[i]] = {k: (np.array(v) if isinstance(v, np.ndarray) else
                                         copy.deepcopy(v)) for k, v in s.items()}
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
