"""An axis sped up gives pyqtgraph's own tick values, cheaper, for any linear range."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from streamscope.ui.axes import speed_up


@pytest.mark.parametrize("side", ["bottom", "left"])
def test_tick_values_equal_pyqtgraphs(qapp, side):
    rng = np.random.default_rng(5)
    fast, ref = speed_up(pg.AxisItem(side)), pg.AxisItem(side)
    for _ in range(500):
        scale = 10.0 ** int(rng.integers(-3, 4))
        lo = float(rng.choice([0.0, -1.0, 1e6, 157.3])) + float(rng.normal()) * scale
        hi = lo + float(10.0 ** rng.uniform(-4, 6))
        size = float(rng.integers(50, 2000))
        got, want = fast.tickValues(lo, hi, size), ref.tickValues(lo, hi, size)
        assert [s for s, _ in got] == [s for s, _ in want]
        for (_, a), (_, b) in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * max(1.0, abs(hi)))


def test_the_last_answer_is_kept(qapp):
    axis = speed_up(pg.AxisItem("bottom"))
    first = axis.tickValues(0.0, 30.0, 1200)
    assert axis.tickValues(0.0, 30.0, 1200) is first
    assert axis.tickValues(0.0, 31.0, 1200) is not first


def test_tick_labels_are_measured_once_per_text_and_drawn_the_same(qapp):
    """A sped-up axis draws exactly what pyqtgraph's draws (same tick and text specs), and
    scrolling back over the same labels measures none of them again."""
    from PySide6.QtGui import QPainter, QPicture

    def specs(plot, lo, hi):
        plot.setXRange(lo, hi, padding=0)
        picture = QPicture()
        painter = QPainter(picture)
        try:
            _, ticks, texts = plot.getPlotItem().getAxis("bottom").generateDrawSpecs(painter)
        finally:
            painter.end()
        return [(a.x(), a.y(), b.x(), b.y()) for _, a, b in ticks], [(r, t) for r, _, t in texts]

    plots = [pg.PlotWidget(), pg.PlotWidget()]
    for plot in plots:
        plot.resize(1200, 300)
        plot.show()
    fast_plot, ref = plots
    speed_up(fast_plot.getPlotItem().getAxis("bottom"))
    fast = fast_plot
    for lo in (0.0, 3.25, 17.5):
        assert specs(fast, lo, lo + 30) == specs(ref, lo, lo + 30)
    known = len(fast.getPlotItem().getAxis("bottom").fast_ticks.rects)
    assert known > 0
    for lo in (3.25, 0.0, 17.5):  # the same labels again: all measured before
        assert specs(fast, lo, lo + 30) == specs(ref, lo, lo + 30)
    assert len(fast.getPlotItem().getAxis("bottom").fast_ticks.rects) == known
    for plot in plots:
        plot.close()


def test_the_axis_picture_stands_while_ticks_move_under_half_a_pixel(qapp):
    plot = pg.PlotWidget()
    plot.resize(1200, 300)
    plot.show()
    axis = speed_up(plot.getPlotItem().getAxis("bottom"))
    plot.setXRange(100.0, 130.0, padding=0)
    plot.grab()  # paints: the axis builds its picture
    drawn = axis.picture
    assert drawn is not None
    px = 30.0 / axis.width()
    plot.setXRange(100.0 + 0.3 * px, 130.0 + 0.3 * px, padding=0)
    assert axis.picture is drawn  # 0.3 px: the same picture
    plot.setXRange(100.0 + 2 * px, 130.0 + 2 * px, padding=0)
    assert axis.picture is None  # 2 px: built again at the next paint
    plot.close()
