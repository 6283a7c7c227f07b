"""The whole app, started the way ``streamscope`` starts it, on a test's qasync loop."""

from __future__ import annotations

import asyncio
from typing import Any

from streamscope.app import AppOptions, StreamScope


def start_app(qloop: asyncio.AbstractEventLoop, **options: Any) -> StreamScope:
    """The app with ``AppOptions(**options)`` on an ephemeral port, started (server bound)."""
    scope = StreamScope(AppOptions(port=0, **options))
    qloop.run_until_complete(scope.start())
    return scope
