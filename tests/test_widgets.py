"""Explorers driven headlessly: set a control, check the artists and the timing."""

import numpy as np
import pytest

from dlcore.book.widgets.linear import line_data, linear_fit_explorer


def test_linear_explorer_follows_its_sliders():
    e = linear_fit_explorer(rng=0)
    first_png = e.image.value
    e.controls["w"].value = 2.0
    e.controls["b"].value = -1.0
    np.testing.assert_allclose(e.artists["line"].get_ydata(), [2.0 * -1 - 1, 2.0 * 1 - 1])
    assert e.artists["point"].get_data() == ([2.0], [-1.0])
    assert e.image.value != first_png and e.image.value[:4] == b"\x89PNG"
    # The arrow is one step of -0.25 * gradient; check the gradient against the closed form.
    x, y = line_data(rng=0)
    r = 2.0 * x[:, 0] - 1.0 - y[:, 0]
    gw, gb = 2 * np.mean(r * x[:, 0]), 2 * np.mean(r)
    np.testing.assert_allclose(e.artists["arrow"].xy, (2.0 - 0.25 * gw, -1.0 - 0.25 * gb))
    assert "MSE" in e.status.value


def test_linear_explorer_callback_budget():
    e = linear_fit_explorer(rng=0)
    times = []
    for w in np.linspace(0, 3, 8):
        e.controls["w"].value = float(w)
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times
