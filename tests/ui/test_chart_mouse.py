"""A time chart's mouse: the wheel zooms time only, Ctrl+wheel the values, and Fit or a
double-click bring the live view back."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from support.data import game_store


@pytest.fixture
def store():
    t = np.arange(0, 60, 0.01)
    return game_store({"fps": (t, 60 + 10 * np.sin(t))})


def wheel(widget, steps: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    at = QPointF(widget.width() / 2, widget.height() / 2)
    ev = QWheelEvent(
        at,
        widget.mapToGlobal(at),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, ev)


class DoubleClick:
    """What pyqtgraph's scene hands the view for a double-click (test clicks do not reach the
    scene's click synthesis offscreen)."""

    accepted = False

    def double(self) -> bool:
        return True

    def button(self):
        return Qt.MouseButton.LeftButton

    def accept(self) -> None:
        self.accepted = True


@pytest.fixture
def chart(window, qtbot):
    chart = window.new_chart(["fps"])
    window.resize(1000, 700)
    qtbot.wait(20)
    chart.refresh()
    return chart


def ranges(chart):
    return chart.plot.getPlotItem().getViewBox().viewRange()


def test_wheel_zooms_time_only_and_values_keep_fitting(chart):
    (x0, x1), y = ranges(chart)
    wheel(chart.plot.viewport(), 3)
    (nx0, nx1), ny = ranges(chart)
    assert nx1 - nx0 < (x1 - x0) * 0.9  # time zoomed in
    assert ny == pytest.approx(y)  # values untouched...
    vb = chart.plot.getPlotItem().getViewBox()
    assert vb.autoRangeEnabled()[1]  # ...and still fitted automatically
    assert not chart.state.follow  # a zoomed view stays where the user put it


def test_ctrl_wheel_zooms_values_only(chart):
    (x0, x1), (y0, y1) = ranges(chart)
    wheel(chart.plot.viewport(), 3, Qt.KeyboardModifier.ControlModifier)
    (nx0, nx1), (ny0, ny1) = ranges(chart)
    assert (nx0, nx1) == pytest.approx((x0, x1))
    assert ny1 - ny0 < (y1 - y0) * 0.9


def test_fit_and_double_click_bring_the_live_view_back(chart, qtbot):
    for back in (
        chart.fit_btn.click,
        lambda: chart.view.mouseClickEvent(DoubleClick()),
    ):
        wheel(chart.plot.viewport(), 2, Qt.KeyboardModifier.ControlModifier)
        wheel(chart.plot.viewport(), 2)
        vb = chart.plot.getPlotItem().getViewBox()
        assert not chart.state.follow and not vb.autoRangeEnabled()[1]
        back()
        assert chart.state.follow and vb.autoRangeEnabled()[1]
        chart.refresh()
        (x0, x1), _ = ranges(chart)
        assert x1 == pytest.approx(60, abs=1) and x1 - x0 == pytest.approx(30, abs=1)
