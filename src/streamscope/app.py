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
    app.setQuitOnLastWindowClosed(False)  # _main shuts down the server first, then returns
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(_main(app, options))
    finally:
        asyncio.set_event_loop(None)


async def _main(app, options: AppOptions) -> int:
    from streamscope.ingest.demo import run_demo
    from streamscope.ingest.server import IngestServer
    from streamscope.ui.main_window import MainWindow

    store = Store(StoreSettings(capacity=options.capacity))
    server = IngestServer(store, options.host, options.port)
    try:
        await server.start()
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {options.port} on {options.host} is in use (another StreamScope?). "
                "Close it or pick another with --port."
            ) from None
        raise StartupError(f"cannot listen on {options.host}:{options.port}: {e}") from None

    window = MainWindow(store, lambda: (server.url, len(server.connections)))
    for names in options.plots:
        window.new_chart(names)
    window.show()
    window.start()

    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    _install_signal_handlers(closed)
    stop_demo = asyncio.Event()
    demo = asyncio.ensure_future(run_demo(server.url, stop_demo)) if options.demo else None
    try:
        await closed.wait()
    finally:
        stop_demo.set()
        if demo is not None:
            await asyncio.wait([demo], timeout=2)
        await server.stop()
    return 0


def _install_signal_handlers(closed: asyncio.Event) -> None:
    """Ctrl+C and SIGTERM close the app cleanly instead of killing it mid-write."""
    loop = asyncio.get_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, closed.set)
        except (NotImplementedError, RuntimeError):  # Windows, or a loop without it
            signal.signal(sig, lambda *_: closed.set())
