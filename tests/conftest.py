"""Shared fixtures. Tests run offscreen; network tests use 127.0.0.1 and ephemeral ports."""

from __future__ import annotations

import asyncio
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture
def qloop(qapp):
    """A qasync loop on the test QApplication (qasync's own fixture pattern)."""
    import qasync

    loop = qasync.QEventLoop(qapp)
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
