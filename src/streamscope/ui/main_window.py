"""The main window: stream browser, an area of chart docks, menus, status bar, render clock.

It knows no feature built on top of it: ``app.build_window`` hands it to the analysis
controller and the file actions, which use it as a ``ui.host.ChartHost``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox

from streamscope import __version__
from streamscope.core.analysis.fmt import fmt_si
from streamscope.core.store.store import Store
from streamscope.ui.chart_area import ChartArea
from streamscope.ui.chart_dock import ChartDock, source_of
from streamscope.ui.chart_engine import ANTIALIAS
from streamscope.ui.dnd import streams_from_mime
from streamscope.ui.help_dialog import HelpDialog
from streamscope.ui.render_clock import FPS_CAPS, RenderClock
from streamscope.ui.stream_browser import StreamBrowser

HEADLESS_PLATFORMS = ("offscreen", "minimal")  # Qt platforms with a made-up screen size
RECORDING_CURVES_PER_CHART = 4
EVICTION_NOTICE_MS = 10_000  # how long the status bar says an ended session was removed
EVICTIONS_IN_TOOLTIP = 5  # the newest notices listed in the status bar's tooltip


class MainWindow(QMainWindow):
    chartAdded = Signal(object)  # a new ChartDock (for features that decorate charts)

    def __init__(
        self,
        store: Store,
        status: Callable[[], tuple[str, int]] = lambda: ("", 0),
    ) -> None:
        """``status`` gives (listening address, connected clients) for the status bar."""
        super().__init__()
        self.store = store
        self._status = status
        self.setWindowTitle(f"StreamScope {__version__}")
        self._fit_to_screen(1400, 860)
        self.charts: list[ChartDock] = []
        self._next_chart = 1
        self._help: HelpDialog | None = None

        self.area = ChartArea()
        self.area.streamsDropped.connect(self.handle_drop)
        self.setCentralWidget(self.area)

        self.browser = StreamBrowser(store)
        self.browser.streamActivated.connect(self._add_to_current)
        self.browser.chartRecording.connect(self.chart_recording)
        self.browser.closeRecording.connect(self.close_recording)
        self.browser.tree.dragging.connect(self.area.show_drop_zone)
        self.browser_dock = QDockWidget("Streams", self)
        self.browser_dock.setObjectName("streams")
        self.browser_dock.setWidget(self.browser)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.browser_dock)
        self.browser.setMinimumWidth(160)  # charts can never squeeze the names away
        self.resizeDocks([self.browser_dock], [280], Qt.Orientation.Horizontal)

        self.clock = RenderClock(lambda: self.charts)
        self.clock.ticked.connect(self._on_tick)
        self._build_menus()
        self._build_status()
        self._last_status = (time.monotonic(), store.total_samples)
        self._status_due = 0.0
        self._evicted_shown = store.evicted
        # Set by app.build_window, for callers that hold only the window (tests, tools);
        # the window itself never uses them.
        self.analysis: QObject | None = None  # tiles, anomalies, alerts, XY, overlays
        self.file_actions: QObject | None = None  # snapshots, CSV, layouts, recordings

    def _fit_to_screen(self, width: int, height: int) -> None:
        """The default size, but never bigger than the screen (a 1366x768 laptop). Offscreen
        (tests, ``--snapshot`` in CI) there is no real screen: keep the default."""
        screen = self.screen()
        if screen is not None and QGuiApplication.platformName() not in HEADLESS_PLATFORMS:
            width, height = fit_to(width, height, screen.availableGeometry().size())
        self.resize(width, height)

    # ------------------------------------------------------------ menus

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = file_menu = bar.addMenu("&File")
        self.quit_action = self._action(
            file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close
        )
        chart_menu = bar.addMenu("&Chart")
        self._action(chart_menu, "&New chart", QKeySequence.StandardKey.New, self.new_chart)
        self._action(
            chart_menu, "Add &selected streams to a new chart", "Ctrl+Shift+N", self._plot_selected
        )
        self._action(chart_menu, "&Close all charts", "Ctrl+Shift+W", self.close_all_charts)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.browser_dock.toggleViewAction())
        self._action(
            view_menu, "&Filter streams", QKeySequence.StandardKey.Find, self._focus_filter
        )
        self.antialias_action = QAction("&Antialiased curves", self, checkable=True)
        self.antialias_action.setChecked(ANTIALIAS[0])
        self.antialias_action.setToolTip("Smoother lines at ~10-15% more drawing time")
        self.antialias_action.toggled.connect(self.set_antialias)
        view_menu.addAction(self.antialias_action)
        cap_menu = view_menu.addMenu("Frame rate &cap")
        group = QActionGroup(cap_menu)
        self.fps_cap_actions: dict[int, QAction] = {}
        for fps in FPS_CAPS:
            act = QAction(f"{fps} fps", cap_menu, checkable=True)
            act.setChecked(fps == self.clock.fps_cap)
            act.triggered.connect(lambda _=False, f=fps: self.set_fps_cap(f))
            group.addAction(act)
            cap_menu.addAction(act)
            self.fps_cap_actions[fps] = act
        help_menu = bar.addMenu("&Help")
        self._action(
            help_menu,
            "&Getting started and shortcuts",
            QKeySequence.StandardKey.HelpContents,
            self.show_help,
        )
        self._action(help_menu, "&About StreamScope", None, self._about)

    def _action(self, menu, text: str, key, slot) -> QAction:
        act = QAction(text, self)
        if key is not None:
            act.setShortcut(QKeySequence(key))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_status(self) -> None:
        self.status_address = QLabel()
        self.status_clients = QLabel()
        self.status_rate = QLabel()
        self.status_fps = QLabel()
        for w in (self.status_address, self.status_clients, self.status_rate, self.status_fps):
            w.setContentsMargins(6, 0, 6, 0)
            self.statusBar().addPermanentWidget(w)

    # ------------------------------------------------------------ charts

    def new_chart(self, streams: Iterable[str] = (), title: str | None = None) -> ChartDock:
        n = self._next_chart
        self._next_chart += 1
        streams = list(streams)
        dock = ChartDock(
            self.store, title or (", ".join(streams[:3]) or f"Chart {n}"), f"chart-{n}"
        )
        dock.closed.connect(self._chart_closed)
        for name in streams:
            dock.add_stream(name)
        if self.charts:
            self._split_tallest(dock)
        else:
            self.area.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock)
        self.charts.append(dock)
        self.area.hint.setVisible(False)
        self.chartAdded.emit(dock)
        return dock

    def _split_tallest(self, dock: ChartDock) -> None:
        """Put ``dock`` under the tallest chart, sharing that chart's height: the other docks
        keep theirs (Qt would give the new dock its size hint, squeezing a neighbour)."""
        shown = [c for c in self.charts if c.isVisible()] or self.charts
        target = max(shown, key=lambda c: c.height())
        others = [d for d in self.area.findChildren(QDockWidget) if d.isVisible()]
        heights = {d: d.height() for d in others}
        heights[target] = target.height() // 2
        heights[dock] = target.height() - heights[target]
        self.area.splitDockWidget(target, dock, Qt.Orientation.Vertical)
        restores = self.area.restores

        def restore() -> None:  # once the split is laid out (before that it is undone)
            if restores != self.area.restores:
                return  # a layout was applied meanwhile: its sizes win
            docks = [d for d in heights if d.isVisible()]
            self.area.resizeDocks(docks, [heights[d] for d in docks], Qt.Orientation.Vertical)

        QTimer.singleShot(0, restore)

    def reserve_chart_ids(self, ids: Iterable[str]) -> None:
        """Charts made from now on get numbers after those in ``ids`` (``chart-N``), so a
        restored layout's ids are never given out again."""
        numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"chart-(\d+)", i))]
        self._next_chart = max(self._next_chart, max(numbers, default=0) + 1)

    def selected_streams(self) -> list[str]:
        """Names of the streams selected in the Streams panel, once each, in order."""
        return list(dict.fromkeys(n for _, n in self.browser.selected_refs()))

    def show_status(self, text: str, ms: int = 0) -> None:
        """A passing message in the status bar (``ms`` 0: until the next one)."""
        self.statusBar().showMessage(text, ms)

    def _chart_closed(self, dock: ChartDock) -> None:
        if dock in self.charts:
            self.charts.remove(dock)
        self.area.hint.setVisible(not self.charts)

    def close_all_charts(self) -> None:
        for dock in list(self.charts):
            dock.close()

    def handle_drop(self, mime: QMimeData) -> ChartDock | None:
        """Streams dropped on free space: one new chart holding them (a recording's streams
        stay bound to that recording)."""
        refs = streams_from_mime(mime)
        if not refs:
            return None
        names = list(dict.fromkeys(name for _, name in refs))
        dock = self.new_chart(title=", ".join(names[:3]))
        dock.handle_drop(mime)
        return dock

    def _add_to_current(self, sid: str, name: str) -> None:
        source = source_of(self.store, sid)
        target = next((c for c in reversed(self.charts) if c.isVisible()), None)
        if target is None:
            target = self.new_chart(title=name)
        target.add_stream(name, source)

    # ------------------------------------------------------------ recordings

    def chart_recording(self, source: str) -> list[ChartDock]:
        """Charts of recording ``source``'s streams (up to 4 a chart), bound to it: live
        charts keep following live data."""
        names = sorted({n for s in self.store.recordings().get(source, []) for n in s.streams})
        docks = []
        for i in range(0, len(names), RECORDING_CURVES_PER_CHART):
            part = names[i : i + RECORDING_CURVES_PER_CHART]
            dock = self.new_chart(title=f"{Path(source).name}: {', '.join(part)}")
            dock.recording = source
            for name in part:
                dock.add_stream(name, source)
            docks.append(dock)
        return docks

    def close_recording(self, source: str) -> None:
        """Forget recording ``source``: its sessions, its curves in every chart, and the charts
        made for it."""
        for dock in list(self.charts):
            dock.remove_source(source)
            if dock.recording == source and not dock.curves:
                dock.close()
        self.store.remove_source(source)
        self.browser.sync()
        self.show_status(f"Closed recording {Path(source).name}", 5000)

    def _plot_selected(self) -> None:
        names = self.selected_streams()
        if names:
            self.new_chart(names)

    def _focus_filter(self) -> None:
        self.browser_dock.show()
        self.browser.filter.setFocus()
        self.browser.filter.selectAll()

    # ------------------------------------------------------------ clock

    def start(self) -> None:
        self.clock.start()

    def set_antialias(self, on: bool) -> None:
        """Antialiased curves in every chart (charts over budget still drop it)."""
        ANTIALIAS[0] = on
        for chart in self.charts:
            chart.engine.set_antialias(on)
            chart._invalidate()

    def set_fps_cap(self, fps: int) -> None:
        """The global frame-rate cap (View menu): the render clock's rate and every chart's
        fastest rate; charts over budget still step down from there."""
        self.clock.set_fps(fps)
        if (act := self.fps_cap_actions.get(fps)) is not None:
            act.setChecked(True)

    def _on_tick(self) -> None:
        now = time.monotonic()
        if now >= self._status_due:
            self._status_due = now + 0.25
            self.browser.sync()
            self._update_status(now)
            self._announce_evictions()

    def _update_status(self, now: float) -> None:
        then, samples = self._last_status
        if now - then >= 1.0:
            rate = (self.store.total_samples - samples) / (now - then)
            self._last_status = (now, self.store.total_samples)
            self.status_rate.setText(f"{fmt_si(rate)} samples/s in")
        address, clients = self._status()
        self.status_address.setText(f"Listening on {address}" if address else "Not listening")
        self.status_clients.setText(f"{clients} client{'s' if clients != 1 else ''}")
        self.status_fps.setText(f"{self.clock.fps():.0f} fps drawn")

    def _announce_evictions(self) -> None:
        """Say in the status bar when the store removed ended sessions to make room (pull-based:
        ``store.evicted`` counts them), the newest few in its tooltip: nothing goes silently."""
        evicted = self.store.evicted
        if evicted == self._evicted_shown or not self.store.evictions:
            return
        fresh, self._evicted_shown = evicted - self._evicted_shown, evicted
        notices = list(self.store.evictions)
        more = f" (and {fresh - 1} more)" if fresh > 1 else ""
        self.show_status(notices[-1].text() + more, EVICTION_NOTICE_MS)
        recent = notices[-EVICTIONS_IN_TOOLTIP:]
        self.statusBar().setToolTip(
            f"Ended sessions removed to make room ({evicted:,} in all), newest last:\n"
            + "\n".join(n.text() for n in recent)
        )

    def show_help(self) -> HelpDialog:
        """The one Getting started dialog (F1 again brings it to the front)."""
        if self._help is None:
            address, _ = self._status()
            self._help = HelpDialog(self, address or "ws://127.0.0.1:8765")
        self._help.show()
        self._help.raise_()
        self._help.activateWindow()
        return self._help

    def _about(self) -> None:
        import platform

        import pyqtgraph
        from PySide6 import __version__ as pyside_version

        QMessageBox.about(
            self,
            "About StreamScope",
            f"StreamScope {__version__}\nLive telemetry plots over WebSocket.\n\n"
            f"Python {platform.python_version()}, PySide6 {pyside_version}, "
            f"pyqtgraph {pyqtgraph.__version__}\n"
            "Help ▸ Getting started (F1) shows how to send data.",
        )

    def closeEvent(self, ev) -> None:
        self.clock.stop()
        super().closeEvent(ev)


def fit_to(width: int, height: int, avail: QSize) -> tuple[int, int]:
    """A size that leaves a margin of the available screen area around it."""
    return min(width, int(avail.width() * 0.95)), min(height, int(avail.height() * 0.92))
