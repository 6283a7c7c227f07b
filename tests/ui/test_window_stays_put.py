"""Nothing in the window moves because of content: hovering every chart of the demo layout
(the crosshair readout) leaves every dock exactly where it was."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget

from streamscope.app import DEMO_LAYOUT
from streamscope.resources import resource_path
from support.data import game_store

DEMO_STREAMS = [
    "fps",
    "memory_usage_mb",
    "player_health",
    "active_enemies",
    "sine_1khz",
    "score",
    "player_position_x",
    "player_position_z",
]


@pytest.fixture
def store():
    t = np.arange(0, 40, 0.01)
    # long numbers: the readout of the Gameplay chart is wider than its share of the window
    return game_store({n: (t, 123456.789 + np.sin(t + i)) for i, n in enumerate(DEMO_STREAMS)})


def geometries(window) -> dict[str, tuple[int, int, int, int]]:
    docks = window.findChildren(QDockWidget)
    return {d.objectName() or d.windowTitle(): d.geometry().getRect() for d in docks}


def test_hovering_every_chart_of_the_demo_layout_moves_no_dock(window, qtbot):
    window.resize(1400, 860)
    assert window.file_actions.load_layout(resource_path(DEMO_LAYOUT))
    window.browser.sync()
    for chart in window.charts:
        chart.refresh()
    qtbot.wait(50)
    before = geometries(window)
    browser_width = window.browser_dock.width()
    assert len(window.charts) >= 4 and len(before) >= 5
    for chart in window.charts:
        view = chart.plot.viewport()
        for fx in (0.2, 0.5, 0.9):
            QTest.mouseMove(view, QPoint(int(view.width() * fx), view.height() // 2))
            qtbot.waitUntil(lambda c=chart: c.readout.text().startswith("t = "), timeout=2000)
            qtbot.wait(40)  # let a layout pass run, as it would under a real mouse
            assert geometries(window) == before, f"hovering {chart.state.title} moved docks"
        assert any(n in chart.readout.text() for n in chart.curves)  # the values show...
        assert chart.readout.width() <= chart.plot.width()  # ...elided to the plot's width
    assert window.browser_dock.width() == browser_width


def test_readout_clears_when_the_mouse_leaves(window, qtbot):
    chart = window.new_chart(["fps"])
    chart.refresh()
    view = chart.plot.viewport()
    QTest.mouseMove(view, QPoint(view.width() // 2, view.height() // 2))
    qtbot.waitUntil(lambda: chart.readout.text().startswith("t = "), timeout=2000)
    QTest.mouseMove(window.browser.tree.viewport(), QPoint(5, 5))
    qtbot.waitUntil(lambda: chart.readout.text() == "", timeout=2000)
    assert not chart.cursor.isVisible()


def test_a_new_chart_shares_the_tallest_chart_and_squeezes_no_other_dock(window, qtbot):
    window.resize(1400, 860)
    assert window.file_actions.load_layout(resource_path(DEMO_LAYOUT))
    qtbot.wait(50)
    heights = {d: d.height() for d in window.findChildren(QDockWidget) if d.isVisible()}
    tallest = max(window.charts, key=lambda c: c.height())
    new = window.new_chart(["score"])
    qtbot.waitUntil(lambda: new.isVisible() and abs(new.height() - tallest.height()) <= 4)
    assert abs(new.height() + tallest.height() - heights[tallest]) <= 12  # it shared that one
    moved = {
        d.windowTitle(): (h, d.height())
        for d, h in heights.items()
        if d is not tallest and abs(d.height() - h) > 4
    }
    assert not moved, f"docks squeezed by a new chart: {moved}"
