"""What features built on the main window (analysis, file actions, layouts) may use of it.

They type against ``ChartHost`` instead of importing ``MainWindow``, so the window never
depends on them and they never reach into its private state. ``MainWindow`` satisfies it.
``LayoutPart`` is the other direction: what a feature adds to saved layouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from PySide6.QtCore import QByteArray, QObject, Qt, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar, QStatusBar, QToolBar, QWidget

from streamscope.core.store.store import Store
from streamscope.ui.chart_area import ChartArea
from streamscope.ui.chart_dock import ChartDock
from streamscope.ui.render_clock import RenderClock
from streamscope.ui.stream_browser import StreamBrowser


class ChartHost(Protocol):
    """The window that holds the charts, as its features see it."""

    store: Store
    charts: list[ChartDock]  # open charts, oldest first
    area: ChartArea  # where charts (and XY charts) dock
    clock: RenderClock  # the one timer that draws; features add stages to it
    browser: StreamBrowser
    file_menu: QMenu
    quit_action: QAction  # File menu entries go before it
    chartAdded: SignalInstance  # (ChartDock) a new chart, for features that decorate charts

    def new_chart(self, streams: Iterable[str] = (), title: str | None = None) -> ChartDock: ...
    def reserve_chart_ids(self, ids: Iterable[str]) -> None: ...
    def selected_streams(self) -> list[str]: ...
    def show_status(self, text: str, ms: int = 0) -> None: ...
    def chart_recording(self, source: str) -> list[ChartDock]: ...
    def close_recording(self, source: str) -> None: ...

    # the Qt side of a main window that features place their docks, menus and bars in
    def window(self) -> QWidget: ...  # the parent for dialogs
    def menuBar(self) -> QMenuBar: ...
    def statusBar(self) -> QStatusBar: ...
    def addToolBar(self, area: Qt.ToolBarArea, toolbar: QToolBar, /) -> None: ...
    def addDockWidget(self, area: Qt.DockWidgetArea, dock: QDockWidget, /) -> None: ...
    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget, /) -> None: ...
    def resizeDocks(
        self, docks: Sequence[QDockWidget], sizes: Sequence[int], o: Qt.Orientation, /
    ) -> None: ...
    def installEventFilter(self, filter: QObject, /) -> None: ...
    def saveGeometry(self) -> QByteArray: ...
    def restoreGeometry(self, geometry: QByteArray, /) -> bool: ...
    def saveState(self, version: int = 0, /) -> QByteArray: ...
    def restoreState(self, state: QByteArray, version: int = 0, /) -> bool: ...


class LayoutPart(Protocol):
    """A feature's share of a saved layout (the analysis controller's): a JSON-ready dict,
    and the docks it keeps in the chart area, which a layout closes before it rebuilds."""

    def state(self) -> dict: ...
    def restore(self, state: object) -> list[str]: ...  # returns what had to be skipped
    def area_docks(self) -> list[QDockWidget]: ...
