"""Shared fixtures. Tests run offscreen; network tests use 127.0.0.1 and ephemeral ports.

The helpers these build on are in ``support/``; a module that needs other contents or another
window overrides ``store`` or ``window`` (asking for the same name to build on this one).
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from support import home

home.redirect()  # before any test module is imported: none may reach the real folders

from support.data import game_store  # noqa: E402


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything alive after collection (modules, test items, parametrisations) out of
    the collector's sight. The per-test ``gc.collect()`` below then walks only what tests
    made since: it took ~0.1 s a test with all of it (40 s of a fast run), now a fraction."""
    gc.collect()
    gc.freeze()


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


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch):
    """Config and documents folders in a temporary place of each test's own (the session-wide
    redirect in support/home.py already keeps every test away from the real ones)."""
    root = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("STREAMSCOPE_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("STREAMSCOPE_DOCUMENTS_DIR", str(root / "documents"))
    return root


@pytest.fixture
def qloop(qapp):
    """A qasync loop on the test QApplication (qasync's own fixture pattern)."""
    from support.qt import TestLoop

    loop = TestLoop(qapp)
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


@pytest.fixture
def store():
    """An empty store with one session, "g1" of product "Game"."""
    return game_store()


@pytest.fixture
def window(qtbot, store):
    """The main window on ``store`` with its features, shown (offscreen), closed with the test."""
    from streamscope.app import build_window

    w = build_window(store)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def nats_broker(tmp_path):
    """A started ``nats-server`` with JetStream (support/nats.py), stopped with the test."""
    from support.nats import NatsBroker

    broker = NatsBroker(tmp_path / "jetstream").start()
    try:
        yield broker
    finally:
        broker.stop()
