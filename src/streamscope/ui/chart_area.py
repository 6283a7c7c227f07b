"""The area that holds the chart docks (and XY charts); a drop on its free space, or on the drop
zone shown along its bottom edge while a stream is dragged, makes a chart."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from streamscope.ui.dnd import AcceptsStreams

EMPTY_HINT = (
    "Drop a stream here to make a chart\n\n"
    "Streams appear on the left as clients connect to the address in the status bar.\n"
    "Ctrl+N makes an empty chart. F1 shows how to send data and every shortcut."
)


DROP_ZONE_TEXT = "Drop here for a new chart"
DROP_ZONE_HEIGHT = 56
DROP_ZONE_STYLE = (
    "QLabel { color: #e0e0e0; background: rgba(40, 90, 140, 210); font-size: 14px;"
    " border: 2px dashed #4fc3f7; border-radius: 6px }"
    'QLabel[hot="true"] { background: rgba(50, 120, 190, 240) }'
)


class DropZone(AcceptsStreams, QLabel):
    """A strip over the bottom edge of the chart area, shown while a stream is dragged: once
    charts fill the area, there is no free space left to drop on."""

    streamsDropped = Signal(QMimeData)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(DROP_ZONE_TEXT, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(DROP_ZONE_STYLE)
        self.setAcceptDrops(True)
        self.hide()

    def dragEnterEvent(self, ev) -> None:
        super().dragEnterEvent(ev)
        self._hot(True)

    def dragLeaveEvent(self, ev) -> None:
        self._hot(False)

    def dropEvent(self, ev) -> None:
        super().dropEvent(ev)
        self._hot(False)
        self.hide()

    def _hot(self, on: bool) -> None:
        self.setProperty("hot", on)
        self.style().unpolish(self)
        self.style().polish(self)


class ChartArea(AcceptsStreams, QMainWindow):
    """Holds the chart docks; a drop on its free space makes a new chart."""

    streamsDropped = Signal(QMimeData)

    def __init__(self) -> None:
        super().__init__()
        self.setWindowFlags(Qt.WindowType.Widget)
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.setAcceptDrops(True)
        self.hint = QLabel(EMPTY_HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: gray; font-size: 14px")
        self.setCentralWidget(self.hint)
        self.drop_zone = DropZone(self)
        self.drop_zone.streamsDropped.connect(self.streamsDropped)
        self.restores = 0  # layouts applied so far: a pending resize of older docks is void

    def restoreState(self, state: QByteArray, version: int = 0) -> bool:
        self.restores += 1
        return super().restoreState(state, version)

    def show_drop_zone(self, on: bool) -> None:
        """Show (while a stream is dragged) or hide the drop zone along the bottom edge."""
        if on:
            self._place_drop_zone()
            self.drop_zone.show()
            self.drop_zone.raise_()
        else:
            self.drop_zone.hide()

    def _place_drop_zone(self) -> None:
        h = DROP_ZONE_HEIGHT
        self.drop_zone.setGeometry(8, max(0, self.height() - h - 8), max(self.width() - 16, 1), h)

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        self._place_drop_zone()
