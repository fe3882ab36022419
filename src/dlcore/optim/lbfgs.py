r"""L-BFGS (Nocedal, 1980; Liu and Nocedal, 1989) with PyTorch's optional strong-Wolfe search.

A quasi-Newton method: from the last ``history_size`` pairs of parameter steps
:math:`s_k` and gradient changes :math:`y_k` it builds, without ever forming a matrix, the
product of an inverse-Hessian approximation with the gradient (the two-loop recursion). It needs
a ``closure`` that re-evaluates the loss and its gradient, because one ``step`` makes up to
``max_iter`` iterations, each with one or more evaluations.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_choice, check_int, check_range
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1``, ``g2``,
    clipped to ``bounds`` (default: the interval between the points); the midpoint of the bounds
    when the cubic has no real minimiser."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 ** 2 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(disc)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    r"""Line search for a step :math:`t` along ``d`` satisfying the strong Wolfe conditions
    :math:`f(t) \le f(0) + c_1 t\, g^\top d` and :math:`|g(t)^\top d| \le c_2 |g^\top d|`:
    first bracket an interval (growing :math:`t` by cubic extrapolation), then zoom into it by
    cubic interpolation, the procedure of PyTorch's ``_strong_wolfe`` (from minFunc).

    Returns ``(f_new, g_new, t, evaluations)``.
    """
    d_norm = np.abs(d).max()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    it = 0
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], \
                [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], \
                [gtd_prev, gtd_new]
            break
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
    if it == max_ls:
        bracket, bf, bg = [0.0, t], [f, f_new], [g, g_new]
        bgtd = [gtd, gtd_new]  # torch leaves these as the last bracketing values
    insufficient = False
    low, high = (0, 1) if bf[0] <= bf[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1])
        # a trial too close to an end of the bracket twice in a row (or outside it) is moved
        # a tenth of the bracket inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) \
                    else min(bracket) + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[low]:
            bracket[high], bf[high], bg[high], bgtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bf[high], bg[high], bgtd[high] = \
                    bracket[low], bf[low], bg[low], bgtd[low]
            bracket[low], bf[low], bg[low], bgtd[low] = t, f_new, g_new, gtd_new
    return bf[low], bg[low], bracket[low], evals


class LBFGS(Optimizer):
    r"""``torch.optim.LBFGS``: same arguments, defaults, iteration, stopping rules and state.

    Each iteration computes the direction :math:`d = -H_k g` by the two-loop recursion over the
    stored pairs :math:`(s_i, y_i)`, :math:`\rho_i = 1 / y_i^\top s_i`, starting from
    :math:`H_0 = \gamma I` with :math:`\gamma = s^\top y / y^\top y` of the newest pair; a pair is
    stored only when :math:`y^\top s > 10^{-10}` (curvature condition). The step is ``lr``
    (``min(1, 1/‖g‖₁)·lr`` on the very first iteration), or the result of a strong-Wolfe line
    search with ``line_search_fn="strong_wolfe"``. One :meth:`step` stops after ``max_iter``
    iterations or ``max_eval`` evaluations, when :math:`\max|g| \le` ``tolerance_grad``, or
    when the step or the change of the loss falls below ``tolerance_change``.

    The closure must zero the gradients, compute the loss, run the backward pass and return the
    loss. The state (held, as in PyTorch, under the first parameter) carries the history over
    to the next :meth:`step`: ``func_evals``, ``n_iter``, ``d``, ``t``, ``old_dirs`` (the
    :math:`y`), ``old_stps`` (the :math:`s`), ``ro``, ``H_diag``, ``prev_flat_grad``,
    ``prev_loss`` and ``al``. One parameter group only.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([3.0, -2.0]))
    >>> def closure():                        # f = x0^2 + 10 x1^2
    ...     p.grad = np.array([2.0, 20.0]) * p.data
    ...     return float(p.data[0] ** 2 + 10 * p.data[1] ** 2)
    >>> opt = LBFGS([p], line_search_fn="strong_wolfe"); _ = opt.step(closure)
    >>> bool(np.abs(p.data).max() < 1e-4), opt.state[p]["n_iter"]   # stopped: loss change < 1e-9
    (True, 7)
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval=None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn=None):
        check_range("lr", lr, 0.0, what="LBFGS")
        max_iter = check_int("max_iter", max_iter, minimum=1)
        max_eval = max_iter * 5 // 4 if max_eval is None else \
            check_int("max_eval", max_eval, minimum=1)
        check_int("history_size", history_size, minimum=1)
        if line_search_fn is not None:
            check_choice("line_search_fn", line_search_fn, ("strong_wolfe",))
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, group: dict) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(group)

    # the parameters seen as one flat vector
    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([np.zeros(p.data.size, p.data.dtype) if p.grad is None
                               else np.asarray(p.grad).reshape(-1) for p in self._params])

    def _add(self, t: float, d: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data += t * d[offset:offset + n].reshape(p.data.shape)
            offset += n

    def _evaluate_at(self, closure, x0, t, d):
        self._add(t, d)
        loss = float(closure())
        g = self._flat_grad()
        for p, x in zip(self._params, x0):
            p.data[...] = x
        return loss, g

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss at the start."""
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that re-evaluates the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history = group["history_size"]
        state = self._state(self._params[0])
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_g, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), \
            state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = g - prev_g
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(old_dirs) == history:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                al = state.setdefault("al", [None] * history)
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):      # first loop: newest to oldest
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):                 # second loop: oldest to newest
                    be_i = float(old_dirs[i] @ d) * ro[i]
                    d += (al[i] - be_i) * old_stps[i]
            prev_g = g.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = float(g @ d)
            if gtd > -tol_change:
                break
            ls_evals = 0
            if group["line_search_fn"] is not None:
                x0 = [p.data.copy() for p in self._params]
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda step: self._evaluate_at(closure, x0, step, d), t, d, loss, g, gtd,
                    max_ls=max_eval - evals)
                self._add(t, d)
                opt_cond = np.abs(g).max() <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:      # the last iteration's point is not evaluated
                    loss = float(closure())
                    g = self._flat_grad()
                    opt_cond = np.abs(g).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss
