"""Helpers for the chapter notebooks: show dlcore source, and glue computed values into prose.

IPython and myst-nb are imported lazily; without myst-nb (e.g. on Colab) ``glue`` still
displays the value, it just cannot be referenced from Markdown.
"""

from __future__ import annotations

import inspect

__all__ = ["show_source", "glue"]


def show_source(obj):
    """Display the source of a dlcore function, class or method, as the package has it.

    Chapters call this instead of pasting code, so the page cannot drift from the library.
    """
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


def glue(name: str, value, display: bool = False):
    """Make ``value`` available to the page's Markdown as ``{glue:text}`name```.

    Floats are best rounded by the caller (or formatted in the reference, e.g.
    ``{glue:text}`name:.3f```).
    """
    try:
        from myst_nb import glue as _glue
    except ImportError:  # pragma: no cover - only outside the book's environment
        if display:
            from IPython.display import display as _display
            _display(value)
        return
    _glue(name, value, display=display)
