r"""Explorers for chapter 3: the convolution arithmetic of one layer, and a VGG shape trace.

``conv_arithmetic_explorer`` draws the padded input grid with the (dilated) kernel window at a
chosen output position, and the output grid, for sliders n, k, s, p, d; a configuration
without any output is explained rather than drawn. ``vgg_trace_explorer`` traces every layer
of a VGG feature extractor for an input size the reader picks.
"""

from __future__ import annotations

import numpy as np

from ...functional.conv import conv2d_output_size
from ...maths.cnn_shapes import trace, vgg_spec
from ..plotting import figure
from .explorer import Explorer

__all__ = ["conv_arithmetic_explorer", "conv_grids", "grid_rgba", "vgg_trace_explorer"]

# cell codes of the drawn grids (NaN = outside the grid, drawn as background)
PAD, INPUT, TAP_PAD, TAP_INPUT = 0.0, 1.0, 2.0, 3.0
OUT, OUT_CURRENT = 1.0, 3.0
_COLORS = ["#d9d9d9", "#f7fbff", "#fdae6b", "#e6550d"]


def conv_grids(n, kernel, stride, padding, dilation, step, canvas):
    """The input and output grids of a square convolution, as ``canvas x canvas`` arrays.

    The input grid holds ``PAD``/``INPUT`` cells, with the kernel taps of output number
    ``step`` (row-major, taken modulo the number of outputs) marked ``TAP_PAD``/``TAP_INPUT``;
    the output grid holds ``OUT`` with ``OUT_CURRENT`` at that output. Cells outside are NaN.

    Returns
    -------
    (input_grid, output_grid, out_size, (row, col)) ; ``out_size`` raises ``ValueError``
    (from :func:`dlcore.functional.conv.conv2d_output_size`) when there is no output.

    Examples
    --------
    >>> grid, out, m, pos = conv_grids(5, 3, 2, 1, 1, step=1, canvas=8)
    >>> m, pos
    (3, (0, 1))
    >>> np.argwhere(grid >= TAP_PAD)[:3].tolist()  # taps of output (0, 1): rows 0-2, cols 2-4
    [[0, 2], [0, 3], [0, 4]]
    """
    size = n + 2 * padding
    grid = np.full((canvas, canvas), np.nan)
    grid[:size, :size] = PAD
    grid[padding:padding + n, padding:padding + n] = INPUT
    out = np.full((canvas, canvas), np.nan)
    m = conv2d_output_size(n, kernel, stride, padding, dilation)
    row, col = divmod(step % (m * m), m)
    taps = np.arange(kernel) * dilation
    rows, cols = np.ix_(row * stride + taps, col * stride + taps)
    grid[rows, cols] += TAP_PAD  # PAD -> TAP_PAD, INPUT -> TAP_INPUT
    out[:m, :m] = OUT
    out[row, col] = OUT_CURRENT
    return grid, out, m, (row, col)


def grid_rgba(codes):
    """Colour a grid of cell codes (NaN = outside, white) as an RGBA image: one table look-up,
    cheaper to draw than a colour-mapped image."""
    from matplotlib.colors import to_rgba_array

    table = np.round(255 * to_rgba_array(_COLORS + ["white"])).astype(np.uint8)
    index = np.where(np.isnan(codes), len(_COLORS), np.nan_to_num(codes)).astype(int)
    return table[index]


def _grid_axes(ax, canvas, title):
    """An RGBA image for the cells and a line collection for the cell borders (drawn on top:
    both are redrawn on every change, so the borders stay visible over the image)."""
    from matplotlib.collections import LineCollection

    image = ax.imshow(grid_rgba(np.full((canvas, canvas), np.nan)), interpolation="nearest",
                      extent=(-0.5, canvas - 0.5, canvas - 0.5, -0.5))
    edges = np.arange(canvas + 1) - 0.5
    segments = [[(e, -0.5), (e, canvas - 0.5)] for e in edges]
    segments += [[(-0.5, e), (canvas - 0.5, e)] for e in edges]
    lines = LineCollection(segments, colors="0.75", linewidths=0.4)
    ax.add_collection(lines)
    ax.set(xlim=(-0.5, canvas - 0.5), ylim=(canvas - 0.5, -0.5), xticks=[], yticks=[])
    ax.set_title(title, fontsize=9)
    return image, lines


def conv_arithmetic_explorer(n: int = 7, kernel: int = 3, stride: int = 2, padding: int = 1,
                             dilation: int = 1, max_n: int = 12) -> Explorer:
    r"""Sliders for input size, kernel, stride, padding, dilation and the output position.

    Left: the padded input (grey padding, pale input, orange kernel taps of the current
    output); right: the output grid with the current output in red. The status line gives
    :math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1` with the numbers, or, for a
    configuration without output, dlcore's explanation.

    ``artists``: ``"input"`` and ``"output"`` (the two images: :func:`grid_rgba` of
    :func:`conv_grids`), ``"grid"`` (cell borders), ``"label"`` (the output-size text).
    """
    import ipywidgets as widgets

    canvas = max_n + 2 * 3  # padding slider goes to 3; output is never larger than this
    fig, (ax_in, ax_out) = figure(ncols=2, width=6.0, height=3.2)
    image_in, lines_in = _grid_axes(ax_in, canvas, "padded input and the kernel window")
    image_out, lines_out = _grid_axes(ax_out, canvas, "output")
    label = ax_out.text(canvas / 2 - 0.5, canvas - 1, "", ha="center", va="center",
                        fontsize=10)

    def redraw(n, kernel, stride, padding, dilation, step):
        try:
            grid, out, m, (row, col) = conv_grids(n, kernel, stride, padding, dilation, step,
                                                  canvas)
        except ValueError as err:
            grid = np.full((canvas, canvas), np.nan)
            grid[:n + 2 * padding, :n + 2 * padding] = PAD
            grid[padding:padding + n, padding:padding + n] = INPUT
            image_in.set_data(grid_rgba(grid))
            image_out.set_data(grid_rgba(np.full((canvas, canvas), np.nan)))
            label.set_text("no output")
            return f"No output: {err}"
        image_in.set_data(grid_rgba(grid))
        image_out.set_data(grid_rgba(out))
        label.set_text(f"{m} x {m}")
        return (f"output size = floor(({n} + 2*{padding} - {dilation}*({kernel}-1) - 1)/"
                f"{stride}) + 1 = {m}; showing output ({row}, {col})")

    def slider(value, low, high, description):
        return widgets.IntSlider(value=value, min=low, max=high, description=description,
                                 continuous_update=False)

    controls = {"n": slider(n, 1, max_n, "input n"), "kernel": slider(kernel, 1, 7, "kernel k"),
                "stride": slider(stride, 1, 4, "stride s"),
                "padding": slider(padding, 0, 3, "padding p"),
                "dilation": slider(dilation, 1, 3, "dilation d"),
                "step": slider(0, 0, canvas * canvas - 1, "output #")}
    artists = {"input": image_in, "output": image_out, "grid": [lines_in, lines_out],
               "label": label}
    return Explorer(controls, fig, artists,
                    redraw, title="Convolution arithmetic: move the window")


def vgg_trace_explorer(config="A", height: int = 224, width: int = 224) -> Explorer:
    """Sliders for the input height and width; every layer of a VGG ``features`` block as two
    bars, :math:`\\log_2` of its output height x width and of its channel count, and the
    full table (output shape, parameters, receptive field) in the status line.

    ``artists``: ``"spatial"`` and ``"channels"`` (one rectangle per layer each, of width
    log2(H_out W_out) and log2(C_out)).
    """
    import ipywidgets as widgets

    from ...maths.cnn_shapes import format_trace

    spec = vgg_spec(config)
    count = len(spec)
    fig, (ax_hw, ax_c) = figure(ncols=2, width=6.4, height=0.17 * count + 0.9)
    spatial = list(ax_hw.barh(np.arange(count), np.zeros(count), color="C0", height=0.6))
    channels = list(ax_c.barh(np.arange(count), np.zeros(count), color="C1", height=0.6))
    ax_hw.set(xlim=(0, 21), ylim=(count - 0.5, -0.5), xlabel="log2(H_out x W_out)")
    ax_c.set(xlim=(0, 10), ylim=(count - 0.5, -0.5), xlabel="log2(C_out)", yticks=[])
    ax_hw.set_yticks(np.arange(count), [f"{i} {name}" for i, (name, _) in enumerate(spec)],
                     fontsize=7)

    def redraw(height, width):
        try:
            rows = trace(spec, (1, 3, height, width))
        except ValueError as err:
            for bar in spatial + channels:
                bar.set_width(0)
            return f"No output for 1x3x{height}x{width}: {err}"
        for bar_hw, bar_c, row in zip(spatial, channels, rows):
            _, c, h, w = row.output_shape
            bar_hw.set_width(np.log2(h * w))
            bar_c.set_width(np.log2(c))
        return f"<pre>input (1, 3, {height}, {width})\n{format_trace(rows)}</pre>"

    controls = {name: widgets.IntSlider(value=value, min=1, max=1024, step=1,
                                        description=name, continuous_update=False)
                for name, value in (("height", height), ("width", width))}
    return Explorer(controls, fig, {"spatial": spatial, "channels": channels}, redraw,
                    title=f"VGG config {config!r}: the shape after every layer")
