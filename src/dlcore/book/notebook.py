"""Helpers for the chapter notebooks: show dlcore source, and glue computed values into prose.

IPython is imported lazily; nothing here needs myst-nb, so the chapters run the same on Colab.
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

    Emits the record myst-nb reads when it builds the page (the value's display data, keyed
    ``application/papermill.record/<mime type>``, with ``scrapbook`` metadata naming it),
    without importing myst-nb itself, which costs seconds per chapter. With
    ``display=True`` the value is also shown in the cell output. Floats are best formatted by
    the caller (or in the reference, e.g. ``{glue:text}`name:.3f```).
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display as _display

    bundle, metadata = format_display_data(value)
    prefix = "" if display else "application/papermill.record/"
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    _display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
