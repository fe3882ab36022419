"""Interactive explorers for the chapters, one module per need.

Every explorer is an :class:`~dlcore.book.widgets.explorer.Explorer`: a dict of ipywidgets
controls, a matplotlib figure built once, its artists, and a redraw function that updates the
artists from the controls' values. They run headless, so the tests drive them by setting
``explorer.controls[name].value`` and reading ``explorer.artists``. ipywidgets and matplotlib
are imported only when an explorer is built.
"""
