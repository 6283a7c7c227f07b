"""Synchronized time axes: linked charts share their x range, their window / follow / pause
choices, and one time cursor that shows every linked chart's values at the same time.

Charts keep drawing themselves; the link only copies the view range from the chart that moved
to the others (with a guard against echoes) and mirrors the user's choices, so zooming one
linked chart zooms them all and pressing Follow on one brings them all back to live.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import QObject

from streamscope.ui.chart_dock import ChartDock

SLACK = 0.01  # while all follow, ranges within 1 % of the span count as the same


@dataclass(eq=False)
class _Member:
    chart: ChartDock
    connections: list[tuple[object, Callable]] = field(default_factory=list)
    proxy: pg.SignalProxy | None = None


class TimeLink(QObject):
    def __init__(self, on_change: Callable[[ChartDock, bool], None] = lambda c, on: None) -> None:
        super().__init__()
        self.members: dict[ChartDock, _Member] = {}
        self._busy = False
        self._on_change = on_change
        self.cursor_x: float | None = None

    def is_linked(self, chart: ChartDock) -> bool:
        return chart in self.members

    def add(self, chart: ChartDock) -> None:
        if chart in self.members:
            return
        first = next(iter(self.members), None)
        m = self.members[chart] = _Member(chart)
        vb = chart.plot.getPlotItem().getViewBox()
        pairs = [
            (vb.sigXRangeChanged, lambda *_: self._range_from(chart)),
            (vb.sigRangeChangedManually, lambda *_: self._manual_from(chart)),
            (chart.follow_btn.toggled, lambda on: self._each(chart, lambda c: c.set_follow(on))),
            (chart.pause_btn.toggled, lambda on: self._each(chart, lambda c: c.set_paused(on))),
            (
                chart.window_box.currentIndexChanged,
                lambda i: self._each(chart, lambda c: c.window_box.setCurrentIndex(i)),
            ),
        ]
        for signal, slot in pairs:
            signal.connect(slot)
            m.connections.append((signal, slot))
        m.proxy = pg.SignalProxy(
            chart.plot.scene().sigMouseMoved, rateLimit=30, slot=lambda a: self._mouse(chart, a)
        )
        if first is not None:  # adopt the group's choices and range
            self._busy = True
            try:
                chart.window_box.setCurrentIndex(first.window_box.currentIndex())
                chart.set_follow(first.state.follow)
                chart.set_paused(first.state.paused)
                fvb = first.plot.getPlotItem().getViewBox()
                vb.setXRange(*fvb.viewRange()[0], padding=0)
            finally:
                self._busy = False
        self._on_change(chart, True)

    def remove(self, chart: ChartDock) -> None:
        m = self.members.pop(chart, None)
        if m is None:
            return
        for signal, slot in m.connections:
            with contextlib.suppress(RuntimeError, TypeError):  # the chart is already gone
                signal.disconnect(slot)
        if m.proxy is not None:
            m.proxy.disconnect()
        self._on_change(chart, False)

    def prune(self, alive: set[ChartDock]) -> None:
        for chart in [c for c in self.members if c not in alive]:
            self.remove(chart)

    # ------------------------------------------------------------ mirroring

    def _others(self, chart: ChartDock) -> list[ChartDock]:
        return [c for c in self.members if c is not chart]

    def _each(self, source: ChartDock, fn: Callable[[ChartDock], None]) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            for c in self._others(source):
                fn(c)
        finally:
            self._busy = False

    def _range_from(self, chart: ChartDock) -> None:
        x0, x1 = chart.plot.getPlotItem().getViewBox().viewRange()[0]
        # Following charts move by themselves every frame; copying each one's range to every
        # other would cost N² range updates per frame for differences of a few milliseconds.
        slack = SLACK * (x1 - x0) if all(c.state.follow for c in self.members) else 0.0

        def apply(c: ChartDock) -> None:
            vb = c.plot.getPlotItem().getViewBox()
            (c0, c1) = vb.viewRange()[0]
            if abs(c0 - x0) > slack or abs(c1 - x1) > slack:
                vb.setXRange(x0, x1, padding=0)

        self._each(chart, apply)

    def _manual_from(self, chart: ChartDock) -> None:
        """A zoom or pan on one linked chart stops all of them following."""
        self._each(chart, lambda c: c.set_follow(False))

    # ------------------------------------------------------------ shared cursor

    def _mouse(self, chart: ChartDock, args) -> None:
        vb = chart.plot.getPlotItem().getViewBox()
        pos = args[0]
        if not vb.sceneBoundingRect().contains(pos):
            self.show_cursor(None, source=chart)
            return
        self.show_cursor(vb.mapSceneToView(pos).x(), source=chart)

    def show_cursor(self, x: float | None, source: ChartDock | None = None) -> None:
        """Put the time cursor at session-relative ``x`` on every linked chart (None hides)."""
        self.cursor_x = x
        for c in self.members:
            if c is source:
                continue  # the chart under the mouse draws its own cursor and readout
            if x is None:
                c.cursor.setVisible(False)
                c.readout.setText("")
            else:
                c.cursor.setPos(x)
                c.cursor.setVisible(True)
                c.readout.setText(c.values_at(x))
