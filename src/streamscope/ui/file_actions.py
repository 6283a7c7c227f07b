"""The File features of the main window: snapshots, chart CSV, layouts and recordings.

Built by ``app.build_window`` on a ``ChartHost`` (the main window): everything it uses of the
window is in that protocol (``file_menu``, ``quit_action``, ``charts``, ``chartAdded``, ...).
Layouts also carry a ``LayoutPart`` (the analysis) when one is given. Long work (opening or
converting a recording, big CSV exports) runs as a ``BackgroundTask`` with a progress dialog.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from streamscope.core.analysis.fmt import fmt_si
from streamscope.core.files import recording as rec
from streamscope.core.files.csvexport import export_recording_csv, write_csv_file
from streamscope.core.files.layout import (
    Layout,
    LayoutError,
    adopt_llm,
    default_layout,
    load_layout_file,
    save_layout_file,
)
from streamscope.core.files.sources import open_recording_file
from streamscope.core.files.userdirs import (
    Settings,
    exports_dir,
    last_layout_path,
    layouts_dir,
    recordings_dir,
    snapshots_dir,
    stamped_name,
    timestamp,
)
from streamscope.ui import export
from streamscope.ui.chart_dock import ChartDock
from streamscope.ui.host import ChartHost, LayoutPart
from streamscope.ui.layouts import apply_layout, capture_layout
from streamscope.ui.progress import BackgroundTask

IMAGE_FILTERS = {
    "PNG image (*.png)": ("png", 1.0),
    "PNG image at 2× size (*.png)": ("png", 2.0),
    "SVG vector image (*.svg)": ("svg", 1.0),
}
CSV_FILTERS = {
    "CSV, visible time range (*.csv)": True,
    "CSV, everything stored (*.csv)": False,
}
log = logging.getLogger(__name__)
RECORDING_FILTER = f"StreamScope recordings (*{rec.SUFFIX});;All files (*)"
OPEN_FILTER = f"Recordings and MCAP (*{rec.SUFFIX} *.mcap);;All files (*)"
LAYOUT_FILTER = "StreamScope layouts (*.json);;All files (*)"


class FileActions(QObject):
    def __init__(self, window: ChartHost, layout_part: LayoutPart | None = None) -> None:
        super().__init__(window.window())
        self.window = window
        self.layout_part = layout_part  # what else a layout saves and restores (analysis)
        self.store = window.store
        self.settings = Settings()
        self.recorder: rec.RecordingWriter | None = None
        self.last_notice = ""
        self.record_self = False  # --record-self: recordings also hold the app's own session
        self._recording_since = 0.0
        self._current: ChartDock | None = None
        self._tasks: set[BackgroundTask] = set()
        # other readers for File ▸ Open / --open, by suffix (ui/mcap_actions.py adds .mcap)
        self.openers: dict[str, Callable[[Path], BackgroundTask | None]] = {}
        self._build()
        window.chartAdded.connect(self._chart_added)
        window.clock.ticked.connect(self._update_recording_status)
        QApplication.instance().focusChanged.connect(self._focus_changed)

    # ------------------------------------------------------------ menus and toolbar

    def _build(self) -> None:
        w = self.window
        menu, before = w.file_menu, w.quit_action

        def act(text: str, key, slot, tip: str = "") -> QAction:
            a = QAction(text, w.window())
            if key:
                a.setShortcut(QKeySequence(key))
            if tip:
                a.setStatusTip(tip)
                a.setToolTip(f"{tip} ({a.shortcut().toString()})" if key else tip)
            a.triggered.connect(slot)
            menu.insertAction(before, a)
            return a

        self.open_recording_action = act(
            "&Open recording…", QKeySequence.StandardKey.Open, self._ask_open_recording,
            "Show a recorded session's streams in the browser",
        )  # fmt: skip
        self.close_recording_menu = QMenu("C&lose recording", w.window())
        self.close_recording_menu.setToolTip("Remove an opened recording and its curves")
        self.close_recording_menu.aboutToShow.connect(self._fill_close_recording_menu)
        menu.insertMenu(before, self.close_recording_menu)
        self.record_action = act(
            "&Record sessions", "Ctrl+R", self._record_toggled,
            "Write every session to a recording file as it streams",
        )  # fmt: skip
        self.record_action.setCheckable(True)
        act("Export recording as &CSV…", None, self._ask_export_recording)
        menu.insertSeparator(before)
        self.chart_image_action = act(
            "Export chart &image…", "Ctrl+E", self._ask_chart_image,
            "Save the current chart as PNG (1× or 2×) or SVG",
        )  # fmt: skip
        self.window_image_action = act(
            "Export &window image…", "Ctrl+Shift+E", self._ask_window_image,
            "Save the whole window as PNG",
        )  # fmt: skip
        self.copy_chart_action = act(
            "&Copy chart image", "Ctrl+Shift+C", self.copy_chart,
            "Copy the current chart to the clipboard",
        )  # fmt: skip
        act("Copy window ima&ge", "Ctrl+Alt+C", self.copy_window, "Copy the window as an image")
        self.chart_csv_action = act(
            "Export chart &data as CSV…", "Ctrl+Alt+E", self._ask_chart_csv,
            "Save the exact samples of the current chart (visible range or all)",
        )  # fmt: skip
        menu.insertSeparator(before)
        act("&Save layout…", "Ctrl+Shift+S", self._ask_save_layout, "Save charts and docks")
        act("&Load layout…", "Ctrl+Shift+O", self._ask_load_layout, "Restore a saved layout")
        act("Reset &layout", None, self.reset_layout, "Close all charts (the default layout)")
        menu.insertSeparator(before)

        bar = QToolBar("File")
        bar.setObjectName("file-toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for a in (
            self.record_action,
            self.open_recording_action,
            self.chart_image_action,
            self.copy_chart_action,
            self.chart_csv_action,
        ):
            bar.addAction(a)
        for a, short in (
            (self.record_action, "● Record"),
            (self.open_recording_action, "Open recording…"),
            (self.chart_image_action, "Snapshot…"),
            (self.copy_chart_action, "Copy chart"),
            (self.chart_csv_action, "CSV…"),
        ):
            a.setIconText(short)
        bar.widgetForAction(self.record_action).setObjectName("record-button")
        bar.setStyleSheet("QToolButton#record-button:checked { color: #e53935; font-weight: bold }")
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

        self.recording_label = QLabel()
        self.recording_label.setStyleSheet("color: #e53935; font-weight: bold")
        self.recording_label.setContentsMargins(6, 0, 6, 0)
        self.recording_label.hide()
        w.statusBar().addPermanentWidget(self.recording_label)

    def _chart_added(self, dock: ChartDock) -> None:
        """Track the chart the user works in; its right-click menu gets the exports."""
        dock.plot.viewport().installEventFilter(self)
        self._current = dock
        menu = QMenu("Export", dock)
        for text, slot in (
            ("Image (PNG/SVG)…", lambda: self._ask_chart_image(dock)),
            ("Copy image", lambda: self.copy_chart(dock)),
            ("Data as CSV…", lambda: self._ask_chart_csv(dock)),
        ):
            menu.addAction(text).triggered.connect(slot)
        # pyqtgraph's own "Export..." opens its exporters, whose SVG one crashes on filled
        # bands (0.14.0): the scene's context entry opens ours instead.
        scene_actions = getattr(dock.plot.scene(), "contextMenu", None)
        if scene_actions:
            entry = scene_actions[0]
            with contextlib.suppress(RuntimeError, TypeError):  # nothing connected
                entry.triggered.disconnect()
            entry.setText("Export")
            entry.setMenu(menu)
        dock.export_menu = menu

    def eventFilter(self, obj, ev) -> bool:
        if ev.type() == QEvent.Type.MouseButtonPress:
            for dock in self.window.charts:
                if dock.plot.viewport() is obj:
                    self._current = dock
        return False

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        while new is not None:
            if isinstance(new, ChartDock):
                self._current = new
                return
            new = new.parentWidget()

    def current_chart(self) -> ChartDock | None:
        """The chart last clicked, focused or added, else the newest one."""
        charts = self.window.charts
        if self._current in charts:
            return self._current
        return charts[-1] if charts else None

    # ------------------------------------------------------------ messages

    def notify(self, title: str, text: str, warning: bool = True) -> QMessageBox:
        """Tell the user without blocking: a message box and the status bar."""
        self.last_notice = text
        self.window.show_status(text, 15_000)
        box = QMessageBox(
            QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information,
            title,
            text,
            QMessageBox.StandardButton.Ok,
            self.window.window(),
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        return box

    def _say(self, text: str) -> None:
        self.last_notice = text
        self.window.show_status(text, 8_000)

    def _run(self, label: str, fn, on_done) -> BackgroundTask:
        task = BackgroundTask(self.window.window(), label, fn)
        self._tasks.add(task)

        def finish() -> None:
            self._tasks.discard(task)

        task.finished.connect(on_done)
        task.failed.connect(lambda msg: self.notify("StreamScope", msg))
        task.cancelled.connect(lambda: self._say(f"{label.rstrip('…')}: cancelled"))
        for sig in (task.finished, task.failed, task.cancelled):
            sig.connect(finish)
        return task.start()

    # ------------------------------------------------------------ snapshots

    def _no_chart(self) -> None:
        self._say("No chart to export: make one first (Ctrl+N, or drag a stream)")

    def _ask_chart_image(self, dock: ChartDock | None = None) -> None:
        dock = dock if isinstance(dock, ChartDock) else self.current_chart()
        if dock is None:
            return self._no_chart()
        path, kind = self._ask_save(
            f"Export chart “{dock.state.title}”", stamped_name(dock.state.title, ".png"),
            IMAGE_FILTERS, "snapshot_dir", snapshots_dir(),
        )  # fmt: skip
        if path:
            suffix, scale = IMAGE_FILTERS.get(kind, ("png", 1.0))
            self.save_chart_image(dock, path.with_suffix(f".{suffix}"), scale)

    def _ask_window_image(self) -> None:
        filters = {k: v for k, v in IMAGE_FILTERS.items() if v[0] == "png"}
        path, kind = self._ask_save(
            "Export window image", stamped_name("streamscope-window", ".png"), filters,
            "snapshot_dir", snapshots_dir(),
        )  # fmt: skip
        if path:
            self.save_window_image(path.with_suffix(".png"), filters.get(kind, ("png", 1.0))[1])

    def save_chart_image(self, dock: ChartDock, path: Path, scale: float = 1.0) -> Path | None:
        try:
            if path.suffix.lower() == ".svg":
                size = export.save_svg(export.chart_widget(dock), path, dock.state.title)
            else:
                size = export.save_image(export.chart_widget(dock), path, scale)
        except export.ExportError as e:
            self.notify("Export chart image", str(e))
            return None
        self._say(f"Saved {path.name} ({size.width()}×{size.height()})  —  {path.parent}")
        return path

    def save_window_image(self, path: Path, scale: float = 1.0) -> Path | None:
        try:
            size = export.save_image(self.window.window(), path, scale)
        except export.ExportError as e:
            self.notify("Export window image", str(e))
            return None
        self._say(f"Saved {path.name} ({size.width()}×{size.height()})  —  {path.parent}")
        return path

    def copy_chart(self, dock: ChartDock | None = None) -> None:
        dock = dock if isinstance(dock, ChartDock) else self.current_chart()
        if dock is None:
            return self._no_chart()
        export.copy_image(export.chart_widget(dock))
        self._say(f"Copied chart “{dock.state.title}” to the clipboard")

    def copy_window(self) -> None:
        export.copy_image(self.window.window())
        self._say("Copied the window to the clipboard")

    # ------------------------------------------------------------ chart CSV

    def _ask_chart_csv(self, dock: ChartDock | None = None) -> None:
        dock = dock if isinstance(dock, ChartDock) else self.current_chart()
        if dock is None:
            return self._no_chart()
        path, kind = self._ask_save(
            f"Export data of “{dock.state.title}”", stamped_name(dock.state.title, ".csv"),
            CSV_FILTERS, "csv_dir", exports_dir(),
        )  # fmt: skip
        if path:
            self.export_chart_csv(dock, path.with_suffix(".csv"), CSV_FILTERS.get(kind, True))

    def export_chart_csv(self, dock: ChartDock, path: Path, visible: bool) -> BackgroundTask:
        """Exact stored samples of ``dock`` (its visible range, or all) to ``path``."""
        columns, sessions = export.chart_series(
            self.store, dock, export.visible_range(dock) if visible else None
        )
        return self._run(
            f"Exporting {path.name}…",
            lambda progress: write_csv_file(path, columns, sessions, progress),
            lambda rows: self._say(f"Saved {path.name}: {rows:,} rows  —  {path.parent}"),
        )

    # ------------------------------------------------------------ file dialogs

    def _ask_save(
        self, title: str, name: str, filters: dict, key: str, default: Path
    ) -> tuple[Path | None, str]:
        folder = self.settings.start_folder(key, default)
        path, chosen = QFileDialog.getSaveFileName(
            self.window.window(), title, str(folder / name), ";;".join(filters)
        )
        if not path:
            return None, ""
        self.settings.set(key, str(Path(path).parent))
        return Path(path), chosen

    def _ask_open(self, title: str, filters: str, key: str, default: Path) -> Path | None:
        folder = self.settings.start_folder(key, default)
        path, _ = QFileDialog.getOpenFileName(self.window.window(), title, str(folder), filters)
        if not path:
            return None
        self.settings.set(key, str(Path(path).parent))
        return Path(path)

    # ------------------------------------------------------------ layouts

    def _ask_save_layout(self) -> None:
        path, _ = self._ask_save(
            "Save layout", f"layout_{timestamp()}.json", {"StreamScope layouts (*.json)": 0},
            "layout_dir", layouts_dir(),
        )  # fmt: skip
        if path:
            self.save_layout(path.with_suffix(".json"))

    def _ask_load_layout(self) -> None:
        path = self._ask_open("Load layout", LAYOUT_FILTER, "layout_dir", layouts_dir())
        if path:
            self.load_layout(path, ask=True)

    def save_layout(self, path: Path) -> bool:
        try:
            save_layout_file(path, capture_layout(self.window, self.layout_part))
        except OSError as e:
            self.notify("Save layout", f"cannot save layout to {path}: {e.strerror or e}")
            return False
        self._say(f"Saved layout {path.name}")
        return True

    def load_layout(self, path: Path, ask: bool = False, trusted: bool = False) -> bool:
        """Apply a layout file; a bad one is reported and the default layout is used, a bad
        field in it is reported and left to its default. A model endpoint it names is used
        only if ``trusted`` (the app's own last layout) or, with ``ask``, the user agrees."""
        try:
            layout = load_layout_file(path)
        except LayoutError as e:
            self.apply(default_layout())
            self.notify("Layout not loaded", f"{e}.\n\nStarted with the default layout instead.")
            return False
        endpoint = layout.llm.get("endpoint", "")
        adopt = bool(endpoint) and (trusted or (ask and self.confirm_endpoint(endpoint)))
        problems = [*layout.problems, *adopt_llm(layout, adopt)]
        try:
            problems += self.apply(layout)
        except Exception as e:  # a check missed something: still never a reason not to start
            log.exception("applying layout %s failed", path)
            self.apply(default_layout())
            self.notify("Layout not loaded", f"{path}: {e!r}.\n\nThe default layout is used.")
            return False
        self._say(f"Loaded layout {Path(path).name}: {len(layout.charts)} charts")
        if problems:
            shown = problems[:12] + ([f"… and {len(problems) - 12} more"] if problems[12:] else [])
            self.notify("Layout loaded in part", "\n".join(shown))
        return True

    def confirm_endpoint(self, endpoint: str) -> bool:
        """Ask before a layout file chooses where statistics are sent."""
        answer = QMessageBox.question(
            self.window.window(),
            "Model endpoint in layout",
            f"This layout sends stream statistics to {endpoint} when you ask for a model "
            "reading. Use this endpoint?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def apply(self, layout: Layout) -> list[str]:
        """Show ``layout``; returns what of its analysis settings was skipped."""
        problems = apply_layout(self.window, layout, self.layout_part)
        self._current = None
        return problems

    def reset_layout(self) -> None:
        self.apply(default_layout())

    def restore_last_layout(self) -> bool:
        """The layout of the last run, if there is one (a broken one is reported)."""
        path = last_layout_path()
        return self.load_layout(path, trusted=True) if path.is_file() else False

    def save_last_layout(self) -> None:
        with contextlib.suppress(OSError):  # a convenience: never a reason to fail on quit
            save_layout_file(last_layout_path(), capture_layout(self.window, self.layout_part))

    # ------------------------------------------------------------ recording

    def _record_toggled(self, on: bool) -> None:
        if on and self.recorder is None:
            self.start_recording()
        elif not on and self.recorder is not None:
            self.stop_recording()

    def start_recording(
        self, folder: Path | None = None, raise_errors: bool = False
    ) -> Path | None:
        """Record every session (what is stored already, then all that arrives) to a new
        file in ``folder`` (default: the recordings folder)."""
        if self.recorder is not None:
            return self.recorder.path
        folder = Path(folder) if folder else recordings_dir()
        path = folder / f"recording_{timestamp()}{rec.SUFFIX}"
        try:
            self.recorder = rec.RecordingWriter(path, internal=self.record_self)
        except rec.RecordingError as e:
            self.record_action.setChecked(False)
            if raise_errors:
                raise
            self.notify("Recording not started", str(e))
            return None
        self.recorder.attach(self.store)
        self._recording_since = time.monotonic()
        self.record_action.setChecked(True)
        self.recording_label.setToolTip(f"Recording to {path}")
        self.recording_label.show()
        self._update_recording_status(force=True)
        self._say(f"Recording to {path}")
        return path

    def stop_recording(self) -> Path | None:
        writer, self.recorder = self.recorder, None
        self.record_action.setChecked(False)
        self.recording_label.hide()
        if writer is None:
            return None
        writer.close()
        if writer.error:
            self.notify("Recording", writer.error)
        else:
            self._say(f"Recording saved: {writer.path}")
        return writer.path

    def _update_recording_status(self, force: bool = False) -> None:
        writer = self.recorder
        if writer is None:
            return
        if writer.error:
            self.stop_recording()
            return
        now = time.monotonic()
        if not force and now - getattr(self, "_rec_shown", 0.0) < 0.5:
            return
        self._rec_shown = now
        secs = int(now - self._recording_since)
        self.recording_label.setText(
            f"● REC {secs // 60:02d}:{secs % 60:02d}  {fmt_si(writer.samples_written)} samples  "
            f"{writer.size_bytes() / 1e6:.1f} MB"
        )

    def _fill_close_recording_menu(self) -> None:
        """One entry per opened recording (the browser's groups)."""
        self.close_recording_menu.clear()
        paths = self.window.browser.recording_paths()
        for path in paths:
            self.close_recording_menu.addAction(
                Path(path).name, lambda p=path: self.window.close_recording(p)
            )
        if not paths:
            self.close_recording_menu.addAction("No recording is open").setEnabled(False)

    def _ask_open_recording(self) -> None:
        path = self._ask_open("Open recording", OPEN_FILTER, "recording_dir", recordings_dir())
        if path:
            self.open_recording(path)

    def open_recording(self, path: Path, chart: bool = False) -> BackgroundTask | None:
        """Read a recording (in the background) and show its sessions in the browser, as a
        group of its own; ``chart``: then chart it too (``--open``). Live charts go on
        following live data."""
        path = Path(path)
        if opener := self.openers.get(path.suffix.lower()):
            return opener(path)
        try:
            recording = rec.Recording(path)
        except rec.RecordingError as e:
            self.notify("Open recording", str(e))
            return None

        def read(progress):
            with rec.Recording(path) as r:
                return r.read_all(progress), r.report

        def done(result) -> None:
            sessions, report = result
            added, problems = rec.add_to_store(self.store, path, sessions)
            self.window.browser.sync()
            if chart and added:
                self.window.chart_recording(added[0].source)
            n = sum(len(s.streams) for s in added)
            if report.ok:
                self._say(
                    f"Opened {path.name}: {len(added)} sessions, {n} streams (in the Streams "
                    "panel: drag them onto a chart, or right-click ▸ Chart this recording)"
                )
            else:  # never a plain "Opened" after a loss
                self.notify(
                    "Open recording",
                    f"{path.name} is damaged: opened what is "
                    f"intact ({len(added)} sessions, {n} streams);\n{report.message()}",
                )
            if problems:
                self.notify(
                    "Open recording", "Some streams were not loaded:\n" + "\n".join(problems)
                )

        recording.close()
        return self._run(f"Opening {path.name}…", read, done)

    def _ask_export_recording(self) -> None:
        src = self._ask_open("Recording to convert", OPEN_FILTER, "recording_dir", recordings_dir())
        if not src:
            return
        out, _ = self._ask_save(
            "Save CSV as", f"{src.stem}.csv", {"CSV (*.csv)": 0}, "csv_dir", exports_dir()
        )
        if out:
            self.export_recording(src, out.with_suffix(".csv"))

    def export_recording(self, src: Path, out: Path) -> BackgroundTask | None:
        """Convert a recording or an MCAP file to CSV in the background; what a damaged file
        cost (or an MCAP file's unread channels) is shown, never a plain "Saved"."""
        try:
            open_recording_file(src).close()
        except rec.RecordingError as e:
            self.notify("Export recording", str(e))
            return None

        def convert(progress):
            with open_recording_file(src) as r:
                rows = export_recording_csv(r, out, progress)
                if isinstance(r, rec.Recording):
                    return rows, None if r.report.ok else r.report.message()
                return rows, "\n".join(r.notes()) or None

        def done(result) -> None:
            rows, problems = result
            if problems is None:
                self._say(f"Saved {out.name}: {rows:,} rows  —  {out.parent}")
            else:
                self.notify(
                    "Export recording",
                    f"{out.name} holds what {src.name} could give ({rows:,} rows):\n{problems}",
                )

        return self._run(f"Converting {src.name}…", convert, done)

    def shutdown(self, save_layout: bool = True) -> None:
        """On quit: finish the recording, remember the layout."""
        for task in list(self._tasks):
            task.cancel()
        self.stop_recording()
        if save_layout:
            self.save_last_layout()
