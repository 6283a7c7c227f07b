"""Wires the app together: QApplication + qasync loop, store, ingest server, window, demo."""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from streamscope.core.store.self_metrics import SelfMetrics
from streamscope.core.store.store import (
    DEFAULT_CAPACITY,
    DEFAULT_MAX_TOTAL_SAMPLES,
    Store,
    StoreSettings,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from streamscope.ui.analysis.controller import AnalysisController
    from streamscope.ui.file_actions import FileActions
    from streamscope.ui.main_window import MainWindow

T = TypeVar("T")

log = logging.getLogger(__name__)
DEMO_LAYOUT = "layouts/demo.json"  # in resources/: what a first --demo run shows


@dataclass
class AppOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    demo: bool = False
    plots: list[list[str]] = field(default_factory=list)
    capacity: int = DEFAULT_CAPACITY
    token: str | None = None  # required from clients; mandatory when host is not loopback
    allow_origins: list[str] = field(default_factory=list)  # browser pages allowed to connect
    idle_timeout: float = 60.0  # close a connection that sends nothing this long (0: never)
    max_samples: int = DEFAULT_MAX_TOTAL_SAMPLES  # memory budget over all streams
    layout: str | None = None  # a layout file; None = the last layout (unless plots are given)
    record: str | None = None  # record every session to a new file in this folder
    record_self: bool = False  # recordings also hold the app's own health session
    open: list[str] = field(default_factory=list)  # recordings to show at start
    snapshot: str | None = None  # save the window to this image after snapshot_after s, exit
    snapshot_after: float = 2.0
    snapshot_scale: float = 1.0
    remember_layout: bool = True  # save the layout on quit (off for tools: self-test, soak)
    # A NATS broker to subscribe to as well (README: Team setup); None = WebSocket only.
    nats: str | None = None
    nats_creds: str | None = None
    nats_ca: str | None = None  # TLS: the CA that signed the broker's certificate (PEM)
    nats_cert: str | None = None  # TLS: client certificate and key, if the broker asks
    nats_key: str | None = None
    nats_max_age: float = 24 * 3600.0
    nats_max_bytes: int = 1 << 30
    nats_replay: str = "all"  # all | none | seconds


def build_window(
    store: Store, status: Callable[[], tuple[str, int]] = lambda: ("", 0)
) -> MainWindow:
    """The main window with its features (``add_features``)."""
    from streamscope.ui.main_window import MainWindow

    window = MainWindow(store, status)
    add_features(window)
    return window


def add_features(window: MainWindow) -> tuple[AnalysisController, FileActions]:
    """Build the analysis (tiles, anomalies, alerts, summary, XY, chart overlays) and the File
    actions (snapshots, CSV, layouts that carry the analysis, recordings), each handed the
    window, which knows neither. Also set as ``window.analysis`` / ``window.file_actions``
    for callers that hold only the window (tests, tools)."""
    from streamscope.ui.analysis.controller import AnalysisController
    from streamscope.ui.file_actions import FileActions
    from streamscope.ui.mcap_actions import McapActions

    analysis = AnalysisController(window)
    files = FileActions(window, layout_part=analysis)
    window.analysis, window.file_actions = analysis, files
    McapActions(files)  # MCAP export, .mcap for File ▸ Open; kept as files.mcap_actions
    return analysis, files


class StartupError(Exception):
    """A problem the user must fix before the app can run (printed, exit code 2)."""


def check_qt_binding() -> None:
    """Refuse PySide6 6.12.0 on Python < 3.12: it crashes pyqtgraph apps (docs/architecture.md)."""
    import PySide6

    if PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12):
        raise StartupError(
            "PySide6 6.12.0 crashes pyqtgraph apps on Python < 3.12 (it over-releases None). "
            "Install another release: pip install 'PySide6-Essentials>=6.10,<6.12'"
        )


def qt_application() -> QApplication:
    """The running QApplication or a new one, after the binding check (the one place the app,
    the self-test and the bench tools get theirs)."""
    check_qt_binding()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if not isinstance(app, QApplication):  # a QCoreApplication made elsewhere: no windows
        raise StartupError(f"a {type(app).__name__} is running, not a QApplication")
    return app


def run_on_qasync(app: QApplication, main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a qasync loop over ``app``; no loop is left set after."""
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(main)
    finally:
        asyncio.set_event_loop(None)


def run(options: AppOptions) -> int:
    app = qt_application()
    app.setApplicationName("StreamScope")
    app.setOrganizationName("StreamScope")
    _set_app_icon(app)
    app.setQuitOnLastWindowClosed(False)  # _main shuts down the server first, then returns
    return run_on_qasync(app, _main(app, options))


async def _main(app, options: AppOptions) -> int:
    scope = StreamScope(options)
    await scope.start()
    snapshot = None
    if options.snapshot:
        from streamscope.ui.export import scripted_snapshot

        after, scale = options.snapshot_after, options.snapshot_scale
        snapshot = asyncio.ensure_future(
            scripted_snapshot(scope.window, options.snapshot, after, scale)
        )
    code = await scope.run_until_closed(app, until=snapshot)
    if snapshot is None:
        return code
    if not snapshot.done():
        snapshot.cancel()
        print("streamscope: closed before the snapshot was taken", file=sys.stderr)
        return 1
    return snapshot.result()


class StreamScope:
    """The running app: store, server, window and (optionally) the demo, started and stopped
    together on the current asyncio loop."""

    def __init__(self, options: AppOptions) -> None:
        from streamscope.ingest.guard import ServerSettings
        from streamscope.ingest.server import IngestServer
        from streamscope.ui.gui_thread_gc import GuiThreadGC
        from streamscope.ui.health import install_health_status
        from streamscope.ui.main_window import MainWindow

        self.options = options
        self.store = Store(
            StoreSettings(capacity=options.capacity, max_total_samples=options.max_samples)
        )
        access = ServerSettings(
            token=options.token,
            allowed_origins=tuple(options.allow_origins),
            idle_timeout=options.idle_timeout,
        )
        self.server = IngestServer(self.store, options.host, options.port, settings=access)
        self.window = MainWindow(
            self.store, lambda: (self.server.url, len(self.server.connections))
        )
        self.analysis, self.files = add_features(self.window)
        self.window.browser.send_command = self.server.send_command
        self.window.browser.errors_of = self.server.errors_of
        install_health_status(self.window, self.store, self.server)
        self.broker = self._broker() if options.nats else None
        self.metrics = SelfMetrics(self.store, time.monotonic())
        self.window.clock.ticked.connect(self._publish_metrics)
        self.server.stats_provider = self.stats
        # Awaited by stop() after the server has closed and before the window goes: whatever
        # must reach the disk (recordings) registers its flush here.
        self.closers: list[Callable[[], Awaitable[None]]] = []
        self._stop_demo = asyncio.Event()
        self._demo: asyncio.Future | None = None
        self.gc = GuiThreadGC()  # never collect Qt objects from a worker thread

    def _broker(self):
        """The broker as a second source beside the WebSocket server (``--nats``); the stream
        browser's commands go to whichever of the two feeds the session."""
        from streamscope.ingest.nats_link import BrokerError, BrokerLink, BrokerOptions
        from streamscope.ingest.nats_source import NatsSource, Replay
        from streamscope.ui.broker_status import install_broker_status

        o = self.options
        try:
            replay = Replay.parse(o.nats_replay)
            link = BrokerLink(
                BrokerOptions(
                    o.nats or "",
                    o.nats_creds,
                    o.nats_max_age,
                    o.nats_max_bytes,
                    ca=o.nats_ca,
                    cert=o.nats_cert,
                    key=o.nats_key,
                )
            )
        except (ValueError, BrokerError) as e:
            raise StartupError(str(e)) from None
        source = NatsSource(link, self.server, replay, self.server.share)
        install_broker_status(self.window, source)
        server_send = self.server.send_command
        self.window.browser.send_command = lambda sid, msg: (
            server_send(sid, msg) or source.send_command(sid, msg)
        )
        return source

    async def start(self) -> None:
        from streamscope.ingest.demo import run_demo
        from streamscope.ingest.guard import ServerConfigError

        o = self.options
        try:
            await self.server.start()
        except ServerConfigError as e:
            raise StartupError(str(e)) from None
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise StartupError(
                    f"port {o.port} on {o.host} is in use (another StreamScope?). "
                    "Close it or pick another with --port."
                ) from None
            raise StartupError(f"cannot listen on {o.host}:{o.port}: {e}") from None
        if self.broker is not None:
            self.broker.link.start()  # connects in the background; the state is shown
        self._file_options()
        for names in o.plots:
            self.window.new_chart(names)
        self.window.show()
        self.window.start()
        if o.demo:
            self._demo = asyncio.ensure_future(
                run_demo(self.server.url, self._stop_demo, token=o.token)
            )

    async def run_until_closed(self, app, until: asyncio.Future | None = None) -> int:
        """Serve until the window is closed, Ctrl+C, SIGTERM or ``until`` is done; then stop
        cleanly (server closed, closers awaited). Returns the exit code, 0."""
        from PySide6.QtCore import QEvent, QObject

        closed = asyncio.Event()

        class OnClose(QObject):  # the main window closing ends the app, whatever else is open
            def eventFilter(self, obj, ev) -> bool:
                if ev.type() == QEvent.Type.Close:
                    closed.set()
                return False

        on_close = OnClose()
        self.window.installEventFilter(on_close)
        app.lastWindowClosed.connect(closed.set)
        restore = _install_signal_handlers(closed)
        if until is not None:
            until.add_done_callback(lambda _: closed.set())
        try:
            await closed.wait()
            log.info("shutting down")
        finally:
            restore()
            app.lastWindowClosed.disconnect(closed.set)
            self.window.removeEventFilter(on_close)
            await self.stop()
        return 0

    def _publish_metrics(self) -> None:
        """The app's own fps, frame ms, ingest rate and drops, twice a second (a float
        compare on the other frames)."""
        now = time.monotonic()
        if self.metrics.due(now):
            clock = self.window.clock
            recent = list(clock.full_ms)[-30:] or list(clock.frame_ms)[-30:]
            frame_ms = sum(recent) / len(recent) if recent else 0.0
            self.metrics.publish(now, clock.fps(), frame_ms)

    def stats(self) -> dict:
        """The ``get_stats`` reply (ingest/server.py): frame rate and times (the clock's work
        plus painting), samples/s received, and what each chart draws."""
        clock = self.window.clock
        full = bool(clock.full_ms)
        pct = clock.full_percentile if full else clock.frame_percentile
        return {
            "fps": round(clock.fps(), 2),
            "frame_ms_p50": round(pct(50), 3),
            "frame_ms_p95": round(pct(95), 3),
            "ingest_samples_per_s": round(self.metrics.ingest_rate, 1),
            "charts": [chart.report() for chart in self.window.charts],
        }

    def _file_options(self) -> None:
        """--layout (or the last layout; the demo layout on a first --demo run), --open,
        --record: see ui/file_actions.py."""
        o, files = self.options, self.files
        files.record_self = o.record_self
        if o.layout:
            files.load_layout(Path(o.layout))  # a bad file: reported, default layout used
        elif not o.plots and not files.restore_last_layout() and o.demo:
            self._demo_layout()
        for path in o.open:
            files.open_recording(Path(path), chart=True)
        if o.record:
            from streamscope.core.files.recording import RecordingError

            try:
                files.start_recording(Path(o.record), raise_errors=True)
            except RecordingError as e:
                raise StartupError(str(e)) from None

    def _demo_layout(self) -> None:
        """A first ``--demo`` run shows the demo's streams charted, not an empty window."""
        from streamscope.resources import ResourceNotFound, resource_path

        try:
            self.files.load_layout(resource_path(DEMO_LAYOUT))
        except ResourceNotFound as e:  # a broken install: say so, start without charts
            log.warning("%s", e)

    async def stop(self) -> None:
        self._stop_demo.set()
        if self._demo is not None:
            await asyncio.wait([self._demo], timeout=2)
        await self.server.stop()
        if self.broker is not None:
            await self.broker.close()
            await self.broker.link.close()
        for close in self.closers:
            try:
                await asyncio.wait_for(close(), 30)
            except Exception:  # one failing closer must not keep the others from flushing
                log.exception("a shutdown step failed")
        # finish the recording; remember the layout (not for scripted snapshot runs)
        o = self.options
        self.files.shutdown(save_layout=o.remember_layout and not o.snapshot)
        self.window.clock.stop()
        self.window.close()
        self.gc.stop()


def _set_app_icon(app) -> None:
    """Window/taskbar icon from resources/, and the .desktop entry it belongs to (Linux)."""
    from streamscope.ui.appicon import app_icon

    app.setWindowIcon(app_icon())
    app.setDesktopFileName("streamscope")  # matches resources/streamscope.desktop


def _install_signal_handlers(closed: asyncio.Event) -> Callable[[], None]:
    """Ctrl+C and SIGTERM close the app cleanly instead of killing it mid-write.
    Returns a function that puts the previous handlers back."""
    loop = asyncio.get_event_loop()
    undo: list[Callable[[], object]] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, closed.set)
            undo.append(functools.partial(loop.remove_signal_handler, sig))
        except (NotImplementedError, RuntimeError):  # Windows, or a loop without it (qasync)
            previous = signal.signal(sig, lambda *_: closed.set())
            undo.append(functools.partial(signal.signal, sig, previous))

    def restore() -> None:
        for step in undo:
            step()

    return restore
