"""Cheaper axes for scrolling charts: tick values in a few microseconds instead of ~0.2 ms, tick
labels measured once per text, and the axis label laid out again only when its text changes.

Why: a following chart scrolls its x axis every frame, so pyqtgraph recomputes the ticks every
frame, twice (the axis and the grid ask the same question), and its ``tickValues`` removes
ticks already on a coarser level with ``np.isclose`` over an all-pairs array; it also sets the
label's HTML again on every range change, which re-lays out the text, and it measures every tick
label with ``QPainter.boundingRect`` each time it draws the axis (20% of the demo's CPU while
its four charts scroll; tick values and label ~10% of a live frame with two charts). Same
ticks here (same spacing and offsets from ``tickSpacing``, same 1%-of-spacing tolerance),
computed in plain Python, the last answer kept; the same text rects, measured once per text.

Installed on the plot's own axes (``speed_up``) rather than by passing AxisItem subclasses to
the PlotItem: axes made outside it stay owned by Python, and a later garbage collection then
deleted them a second time after Qt had (a crash, seen in the test suite).
"""

from __future__ import annotations

import bisect
import math
import types

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QPainter

Ticks = list[tuple[float, list[float]]]
MAX_MEASURED = 4096  # text rects kept per axis (a scrolling axis shows a few dozen labels)


class _MeasuringPainter:
    """What ``AxisItem.generateDrawSpecs`` uses of its painter (``setFont`` and
    ``boundingRect``), with the text rects kept per font and text: a scrolling axis shows the
    same labels frame after frame, and laying one out costs far more than the rest of it."""

    def __init__(self, painter: QPainter, rects: dict[tuple, QRectF]) -> None:
        self._p = painter
        self._rects = rects

    def setFont(self, font: QFont) -> None:
        self._p.setFont(font)

    def boundingRect(self, rect: QRectF, flags: object, text: str) -> QRectF:
        key = (self._p.font().key(), rect.width(), rect.height(), flags, text)
        hit = self._rects.get(key)
        if hit is None:
            if len(self._rects) >= MAX_MEASURED:
                self._rects.clear()
            hit = self._rects[key] = self._p.boundingRect(rect, flags, text)
        return QRectF(hit)  # a copy: pyqtgraph resizes what it gets

    def __getattr__(self, name: str) -> object:
        return getattr(self._p, name)


class _FastTicks:
    """The replacement methods of one axis and what they remember."""

    def __init__(self, axis: pg.AxisItem) -> None:
        self.axis = axis
        self.pg_tick_values = axis.tickValues
        self.pg_update_label = axis._updateLabel
        self.pg_generate = axis.generateDrawSpecs
        self.rects: dict[tuple, QRectF] = {}
        self.drawn: tuple[float, float, float] | None = None  # range and length last drawn
        self.last: tuple[tuple[float, float, float, float], Ticks] | None = None
        self.label_html: str | None = None

    def tick_values(self, minVal: float, maxVal: float, size: float) -> Ticks:
        axis = self.axis
        if axis.logMode:
            return self.pg_tick_values(minVal, maxVal, size)
        key = (minVal, maxVal, size, axis.scale)
        if self.last is not None and self.last[0] == key:
            return self.last[1]
        ticks = tick_values(axis, minVal, maxVal, size)
        self.last = (key, ticks)
        return ticks

    def update_label(self) -> None:
        html = self.axis.labelString()
        if html != self.label_html:
            self.label_html = html
            self.pg_update_label()
            return
        if self._still_drawn():
            return  # the ticks would move by less than half a pixel: the picture stands
        self.axis.picture = None  # what pyqtgraph's does besides the label: redraw the ticks
        self.axis.update()

    def _still_drawn(self) -> bool:
        """Whether the axis picture drawn last still shows the current range to within half a
        pixel (a chart scrolling 30 s over 1200 px moves ~0.7 px a frame: about every other
        frame keeps the picture instead of building it again)."""
        if self.drawn is None or self.axis.picture is None:
            return False
        lo, hi = self.axis.range
        d_lo, d_hi, length = self.drawn
        span = hi - lo
        if length <= 0 or span <= 0 or length != self._length():
            return False
        half_px = 0.5 * span / length
        return abs(lo - d_lo) < half_px and abs(hi - d_hi) < half_px

    def _length(self) -> float:
        vertical = self.axis.orientation in ("left", "right")
        return float(self.axis.height() if vertical else self.axis.width())

    def generate(self, painter: QPainter) -> object:
        lo, hi = self.axis.range
        self.drawn = (float(lo), float(hi), self._length())
        return self.pg_generate(_MeasuringPainter(painter, self.rects))


def speed_up(axis: pg.AxisItem) -> pg.AxisItem:
    """Give ``axis`` the cheaper ``tickValues``, label update and text measuring (instance
    attributes: the axis and the grid call them from Python)."""
    fast = _FastTicks(axis)
    axis.tickValues = types.MethodType(lambda _self, *a: fast.tick_values(*a), axis)
    axis._updateLabel = types.MethodType(lambda _self: fast.update_label(), axis)
    axis.generateDrawSpecs = types.MethodType(lambda _self, p: fast.generate(p), axis)
    axis.fast_ticks = fast  # what it remembers (tests read it)
    return axis


def tick_values(axis: pg.AxisItem, lo: float, hi: float, size: float) -> Ticks:
    """What ``pg.AxisItem.tickValues`` returns for a linear axis, without numpy."""
    scale = axis.scale
    lo, hi = sorted((lo, hi))
    lo, hi = lo * scale, hi * scale
    seen: list[float] = []  # every tick value of the coarser levels, sorted
    ticks: Ticks = []
    for spacing, offset in axis.tickSpacing(lo, hi, size):
        start = math.ceil((lo - offset) / spacing) * spacing + offset
        num = int((hi - start) / spacing) + 1
        tol = spacing / scale * 0.01
        values = []
        for i in range(max(num, 0)):
            v = (i * spacing + start) / scale
            j = bisect.bisect_left(seen, v - tol)
            if j < len(seen) and seen[j] <= v + tol:
                continue  # already a tick of a coarser level
            values.append(v)
        seen = sorted(seen + values)
        ticks.append((spacing / scale, values))
    return ticks
