"""Counting paints, so a measured frame ends when Qt has really finished drawing it.

Why: ``setData`` only schedules work. Qt paints on a later pass of the event loop, and
pyqtgraph often paints twice per change (the auto-range it recomputes asks for a second
paint); ``repaint()`` on a plot widget paints nothing, since the scene defers its updates.
So a frame is timed until an event-loop pass paints nothing more.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

MAX_PASSES = 8


class PaintCounter(QObject):
    """Counts paint events reaching the watched widgets (plot viewports)."""

    def __init__(self, widgets: list[QWidget]) -> None:
        super().__init__()
        self.paints = 0
        self._widgets = widgets
        for w in widgets:
            w.installEventFilter(self)

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if ev.type() == QEvent.Type.Paint:
            self.paints += 1
        return False

    def settle(self, app: QApplication) -> int:
        """Run event-loop passes until one paints nothing after something was painted
        (or a few passes paint nothing at all). Returns the paints seen."""
        start = self.paints
        idle = 0
        for _ in range(MAX_PASSES):
            before = self.paints
            app.processEvents()
            if self.paints == before:
                idle += 1
                if self.paints > start or idle >= 3:
                    break
        return self.paints - start

    def close(self) -> None:
        for w in self._widgets:
            w.removeEventFilter(self)
