"""A ViewBox whose auto-range reads bounds the chart already knows.

Why: pyqtgraph settles auto-range at paint time by asking every item for its data bounds
(``ViewBox.childrenBounds`` → ``PlotDataItem.dataBounds`` → a min/max over each curve's data,
with pixel padding and mapping): measured ~7% of a live frame with 8 curves. The chart computes
each curve's bounds once per redraw from the points it has just decimated, so the view reads
those and walks only the items it was not told about (overlays, marks).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

Bounds = tuple[float, float, float, float]  # x0, x1, y0, y1


class KnownBoundsViewBox(pg.ViewBox):
    """``pg.ViewBox`` with :meth:`set_bounds` hints; items without one are walked as usual.

    Its mouse is that of a time chart: the wheel zooms time (x) only, Ctrl+wheel the values
    (y); a double-click asks for the live view back (``fitRequested``). pyqtgraph's wheel
    zoomed both axes, so y stopped auto-fitting and the live curve left the view."""

    fitRequested = Signal()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known: dict[object, Bounds | None] = {}

    def set_bounds(self, item: object, bounds: Bounds | None) -> None:
        """``item``'s data bounds in view coordinates (None: it has nothing to show)."""
        self._known[item] = bounds

    def forget(self, item: object) -> None:
        self._known.pop(item, None)

    def wheelEvent(self, ev, axis=None):
        if axis is None:
            ctrl = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
            axis = 1 if ctrl else 0
        super().wheelEvent(ev, axis)

    def mouseClickEvent(self, ev) -> None:
        if ev.double() and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.fitRequested.emit()
            return
        super().mouseClickEvent(ev)

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):
        # Known bounds are those of what is in view (the chart computes them so), which is what
        # an auto-visible axis asks for with ``orthoRange``; a fraction is not known: walk.
        whole = frac is None or all(f == 1.0 for f in frac)
        if items is not None or not self._known or not whole:
            return super().childrenBounds(frac, orthoRange, items)
        others = [i for i in self.addedItems if i not in self._known]
        found = super().childrenBounds(frac, orthoRange, others) if others else [None, None]
        rng: list[list[float] | None] = [list(r) if r is not None else None for r in found]
        for item, b in self._known.items():
            if b is None or not item.isVisible():
                continue
            for ax, (lo, hi) in enumerate((b[:2], b[2:])):
                if not (math.isfinite(lo) and math.isfinite(hi)):
                    continue
                r = rng[ax]
                rng[ax] = [lo, hi] if r is None else [min(r[0], lo), max(r[1], hi)]
        return rng


def keep_bounds_while_scrolling(item: pg.GraphicsObject, view: pg.ViewBox) -> None:
    """Let ``item`` (a curve or a scatter) keep its bounding rect while the view only moves.

    pyqtgraph drops these items' bounds on every view change and finds them again at the next
    paint (a min/max over the data plus a pixel of padding, or symbol sizes in pixels): every
    frame of a scrolling chart, for every item. The bounds are in data coordinates, so a move
    that keeps the pixel size leaves them exactly as they were; only a new pixel size (zoom,
    resize) needs them again. What the base class does on a view change (its cached view rect)
    still happens every time. Call it before the item is added to the view: the view connects
    to the method then.
    """
    drop_bounds = item.viewTransformChanged
    seen: list[tuple[float, float]] = []

    def view_changed() -> None:
        (x0, x1), (y0, y1) = view.viewRange()
        w, h = max(view.width(), 1.0), max(view.height(), 1.0)
        size = ((x1 - x0) / w, (y1 - y0) / h)
        if seen and all(
            math.isclose(a, b, rel_tol=1e-9) for a, b in zip(size, seen[0], strict=True)
        ):
            pg.GraphicsObject.viewTransformChanged(item)
            return
        seen[:] = [size]
        drop_bounds()

    item.viewTransformChanged = view_changed
