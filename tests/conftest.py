"""Shared fixtures. Tests run offscreen; network tests use 127.0.0.1 and ephemeral ports."""

from __future__ import annotations

import asyncio
import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def _qt_garbage_goes_on_the_main_thread():
    """Collect each test's garbage here, on the GUI thread. Left to the automatic collector,
    a cycle holding a Qt object (a closed qasync loop's timer object, a window) may be freed
    from a worker thread of a later test, with timers still registered: Qt then crashed in
    ``QTimerInfoList::activateTimers`` (the app avoids it with ui/gui_thread_gc.py)."""
    enabled = gc.isenabled()
    yield
    gc.collect()
    if enabled:
        gc.enable()  # a test's app that was never stopped must not leave it off


def _test_loop_class():
    """qasync's loop, except that the events it flushes after ``run_until_complete`` run with
    the loop marked running. qasync flushes them with no running loop, so an asyncio task
    stepping there (a client between two ``loop_until`` calls) fails with "no running event
    loop" — something only tests see, since the app runs one ``run_until_complete``."""
    import qasync

    class TestLoop(qasync.QEventLoop):
        def run_until_complete(self, future):
            future = asyncio.ensure_future(future, loop=self)
            future.add_done_callback(lambda _: self.stop())
            self.run_forever()
            asyncio.events._set_running_loop(self)
            try:
                qasync.QApplication.instance().processEvents()
            finally:
                asyncio.events._set_running_loop(None)
            if not future.done():
                raise RuntimeError("Event loop stopped before Future completed.")
            return future.result()

    return TestLoop


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch):
    """Config and documents folders in a temporary place: no test reads or writes the real
    user's layouts, settings, snapshots or recordings."""
    root = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("STREAMSCOPE_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("STREAMSCOPE_DOCUMENTS_DIR", str(root / "documents"))
    return root


@pytest.fixture
def qloop(qapp):
    """A qasync loop on the test QApplication (qasync's own fixture pattern)."""
    loop = _test_loop_class()(qapp)
    asyncio.set_event_loop(loop)
    hook = sys.excepthook
    try:
        yield loop
    finally:
        sys.excepthook = hook
        try:
            loop.close()
        finally:
            asyncio.set_event_loop(None)


def loop_until(loop, condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Run the qasync loop (Qt events and asyncio tasks alike) until ``condition()`` holds.

    ``qtbot.waitUntil`` spins Qt alone, which starves asyncio tasks on a loop that is not
    running; this keeps both going and fails with a message after ``timeout`` seconds.
    """

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    try:
        loop.run_until_complete(asyncio.wait_for(poll(), timeout))
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None
