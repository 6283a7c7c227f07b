"""Wires the app together: QApplication + qasync loop, store, ingest server, window, demo."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys
from dataclasses import dataclass, field

from streamscope.core.store import DEFAULT_CAPACITY, Store, StoreSettings

log = logging.getLogger(__name__)


@dataclass
class AppOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    demo: bool = False
    plots: list[list[str]] = field(default_factory=list)
    capacity: int = DEFAULT_CAPACITY


class StartupError(Exception):
    """A problem the user must fix before the app can run (printed, exit code 2)."""


def check_qt_binding() -> None:
    """Refuse the PySide6 release that crashes pyqtgraph apps on Python < 3.12 (see README)."""
    import PySide6

    if PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12):
        raise StartupError(
            "PySide6 6.12.0 crashes pyqtgraph apps on Python < 3.12 (it over-releases None). "
            "Install another release: pip install 'PySide6-Essentials>=6.10,<6.12'"
        )


def run(options: AppOptions) -> int:
    check_qt_binding()
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("StreamScope")
    app.setOrganizationName("StreamScope")
    _set_app_icon(app)
    app.setQuitOnLastWindowClosed(False)  # _main shuts down the server first, then returns
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(_main(app, options))
    finally:
        asyncio.set_event_loop(None)


async def _main(app, options: AppOptions) -> int:
    scope = StreamScope(options)
    await scope.start()
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    _install_signal_handlers(closed)
    try:
        await closed.wait()
    finally:
        await scope.stop()
    return 0


class StreamScope:
    """The running app: store, server, window and (optionally) the demo, started and stopped
    together on the current asyncio loop."""

    def __init__(self, options: AppOptions) -> None:
        from streamscope.ingest.server import IngestServer
        from streamscope.ui.main_window import MainWindow

        self.options = options
        self.store = Store(StoreSettings(capacity=options.capacity))
        self.server = IngestServer(self.store, options.host, options.port)
        self.window = MainWindow(
            self.store, lambda: (self.server.url, len(self.server.connections))
        )
        self._stop_demo = asyncio.Event()
        self._demo: asyncio.Future | None = None

    async def start(self) -> None:
        from streamscope.ingest.demo import run_demo

        o = self.options
        try:
            await self.server.start()
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise StartupError(
                    f"port {o.port} on {o.host} is in use (another StreamScope?). "
                    "Close it or pick another with --port."
                ) from None
            raise StartupError(f"cannot listen on {o.host}:{o.port}: {e}") from None
        for names in o.plots:
            self.window.new_chart(names)
        self.window.show()
        self.window.start()
        if o.demo:
            self._demo = asyncio.ensure_future(run_demo(self.server.url, self._stop_demo))

    async def stop(self) -> None:
        self._stop_demo.set()
        if self._demo is not None:
            await asyncio.wait([self._demo], timeout=2)
        await self.server.stop()
        self.window.clock.stop()
        self.window.close()


def _set_app_icon(app) -> None:
    """Window/taskbar icon from resources/, and the .desktop entry it belongs to (Linux)."""
    from streamscope.ui.appicon import app_icon

    app.setWindowIcon(app_icon())
    app.setDesktopFileName("streamscope")  # matches resources/streamscope.desktop


def _install_signal_handlers(closed: asyncio.Event) -> None:
    """Ctrl+C and SIGTERM close the app cleanly instead of killing it mid-write."""
    loop = asyncio.get_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, closed.set)
        except (NotImplementedError, RuntimeError):  # Windows, or a loop without it
            signal.signal(sig, lambda *_: closed.set())
