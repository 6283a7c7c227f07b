"""A cheap chart grid: the axes' major ticks as opaque, non-antialiased lines in one call.

Why not pyqtgraph's grid (``showGrid``): it is drawn by the AxisItems, whose bounding box then
covers the whole plot, so every curve update repaints both axes, and their QPicture (tick text
and every tick level) is played back with alpha blending over the plot area. Under a flood that
painting dominated the GUI thread (tick gap p95 ~170 ms with the grid, ~63 ms without). This
item draws only the major tick lines, in a solid colour close to the background, with one
``drawLines`` call; the axes keep their small boxes and repaint only when their range changes.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

GRID_COLOR = "#2b2b2b"  # opaque: on the black background this reads like alpha ~0.17 white


class CheapGrid(pg.GraphicsObject):
    """Grid lines at the major ticks of a PlotItem's bottom and left axes."""

    def __init__(self, plot: pg.PlotItem, color: str = GRID_COLOR) -> None:
        super().__init__()
        self._plot = plot
        self._vb = plot.getViewBox()
        self._pen = QPen(QColor(color))
        self._pen.setCosmetic(True)
        self._pen.setWidth(1)
        self._rect = QRectF()
        self.setZValue(-1000)  # under the curves and bands
        self._vb.addItem(self, ignoreBounds=True)
        self._vb.sigRangeChanged.connect(self._range_changed)
        self._range_changed()

    def _range_changed(self, *_) -> None:
        self.prepareGeometryChange()
        self._rect = self._vb.viewRect()

    def boundingRect(self) -> QRectF:
        return self._rect

    def lines(self) -> list[QLineF]:
        """The lines drawn now: one per major tick of each axis (for tests)."""
        r = self._vb.viewRect()
        out: list[QLineF] = []
        for name, vertical in (("bottom", True), ("left", False)):
            axis = self._plot.getAxis(name)
            lo, hi = (r.left(), r.right()) if vertical else (r.top(), r.bottom())
            size = self._vb.width() if vertical else self._vb.height()
            if not (hi > lo) or size <= 0:
                continue
            levels = axis.tickValues(lo, hi, size)
            major = levels[0][1] if levels else []
            for v in major:
                if vertical:
                    out.append(QLineF(v, r.top(), v, r.bottom()))
                else:
                    out.append(QLineF(r.left(), v, r.right(), v))
        return out

    def paint(self, p: QPainter, *_) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(self._pen)
        p.drawLines(self.lines())
