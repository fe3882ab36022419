"""Matplotlib helpers shared by the chapters and widgets (matplotlib is imported lazily).

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot``: no global figure
state, nothing shown twice by the inline backend, and the same code runs headless in tests.
"""

from __future__ import annotations

import io

__all__ = ["figure", "to_png"]


def figure(ncols: int = 1, nrows: int = 1, width: float = 6.0, height: float = 3.6,
           dpi: int = 90, **subplot_kw):
    """A new ``Figure`` and its axes (a single ``Axes`` when there is one panel).

    Examples
    --------
    >>> fig, ax = figure()
    >>> type(ax).__name__
    'Axes'
    """
    from matplotlib.figure import Figure

    _show_figures_as_png()
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    axes = fig.subplots(nrows, ncols, subplot_kw=subplot_kw or None, squeeze=True)
    return fig, axes


def _show_figures_as_png() -> None:
    """In IPython, display a ``Figure`` that ends a cell as a PNG image.

    Without pyplot nothing installs matplotlib's inline display hook, and a bare figure would
    show as its text repr. Outside IPython this does nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        from matplotlib.figure import Figure

        shell.display_formatter.formatters["image/png"].for_type(Figure, to_png)


def to_png(fig) -> bytes:
    """Render ``fig`` to PNG bytes (for an ``ipywidgets.Image`` or a saved file)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
