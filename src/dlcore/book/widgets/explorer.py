"""The one widget pattern of the book: controls -> redraw artists -> PNG image."""

from __future__ import annotations

import io
import time

__all__ = ["Explorer"]


class Explorer:
    """Controls and a figure, wired together.

    Parameters
    ----------
    controls : dict[str, ipywidgets.ValueWidget]
        Named controls; their ``value`` s are passed to ``redraw`` as keyword arguments.
    figure : matplotlib.figure.Figure
        Built once; ``redraw`` only changes its artists.
    artists : dict
        The artists ``redraw`` updates (an artist or a list of artists per key), exposed so
        tests can read their data.
    redraw : callable
        ``redraw(**values)``; may return a status string shown under the controls.
    blit : bool, default True
        Draw the static part of the figure once and, on each change, only the artists in
        ``artists`` on top of it. Set False when ``redraw`` changes axes limits, ticks or
        anything else outside ``artists``.

    Notes
    -----
    The figure is shown as PNG bytes in an ``ipywidgets.Image``. That keeps the inline
    matplotlib backend (no ipympl, which breaks the static book and Colab), and the image is
    part of the saved widget state, so the static page shows the initial view. The layout is
    computed on the first draw and then frozen. ``last_callback_ms`` records how long the
    latest update took, rendering included.
    """

    def __init__(self, controls: dict, figure, artists: dict, redraw, title: str = "",
                 blit: bool = True):
        import ipywidgets as widgets
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.controls = dict(controls)
        self.figure = figure
        self.artists = artists
        self.blit = blit
        self._redraw = redraw
        self._canvas = FigureCanvasAgg(figure)
        self._background = None
        self._animated = [a for v in artists.values()
                          for a in (v if isinstance(v, (list, tuple)) else [v])]
        if blit:
            for a in self._animated:
                a.set_animated(True)
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.title = title
        self.last_callback_ms = None
        self.refresh()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def refresh(self) -> None:
        """Redraw the artists from the current control values and re-render the image."""
        start = time.perf_counter()
        message = self._redraw(**self.values())
        self.status.value = message or ""
        self.image.value = self._render()
        self.last_callback_ms = 1000 * (time.perf_counter() - start)

    def _render(self) -> bytes:
        from PIL import Image

        canvas = self._canvas
        if self._background is None or not self.blit:
            canvas.draw()
            self.figure.set_layout_engine("none")
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        if self.blit:
            canvas.restore_region(self._background)
            for artist in self._animated:
                self.figure.draw_artist(artist)
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _on_change(self, _change) -> None:
        self.refresh()

    @property
    def widget(self):
        """The assembled view: title, controls, status line and the figure."""
        import ipywidgets as widgets

        controls = widgets.HBox(list(self.controls.values()),
                                layout=widgets.Layout(flex_flow="row wrap"))
        parts = [widgets.HTML(f"<b>{self.title}</b>")] if self.title else []
        return widgets.VBox(parts + [controls, self.status, self.image])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
