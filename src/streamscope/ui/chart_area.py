"""The area that holds the chart docks (and XY charts); a drop on its free space makes a chart."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow

from streamscope.ui.dnd import AcceptsStreams

EMPTY_HINT = (
    "Drop a stream here to make a chart\n\n"
    "Streams appear on the left as clients connect to the address in the status bar.\n"
    "Ctrl+N makes an empty chart. F1 shows how to send data and every shortcut."
)


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
