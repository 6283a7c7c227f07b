"""The real app on a qasync loop, and sender processes around it (ingest and latency).

Set up as ``streamscope soak`` does: ``StreamScope(AppOptions(port=0, ...))`` on a qasync loop,
data from a separate process over loopback, so the GUI thread carries the real ingest work.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import orjson


def run_on_qasync(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run ``main()`` to completion on a qasync loop over the QApplication."""
    from streamscope.app import run_on_qasync as run_app
    from streamscope.bench.stats import qt_app

    return run_app(qt_app(), main())


@contextlib.asynccontextmanager
async def running_app(plots: list[list[str]]) -> AsyncIterator[Any]:
    """A started ``StreamScope`` listening on an ephemeral loopback port; stopped after."""
    from streamscope.app import AppOptions, StreamScope

    scope = StreamScope(AppOptions(port=0, plots=plots, remember_layout=False))
    await scope.start()
    try:
        yield scope
    finally:
        await scope.stop()


@contextlib.asynccontextmanager
async def sender(url: str, *args: str) -> AsyncIterator[subprocess.Popen]:
    """``python -m streamscope.bench.sender`` as a child process; always ended on exit.
    The app keeps serving while the child closes, so it can say goodbye politely."""
    cmd = [sys.executable, "-m", "streamscope.bench.sender", "--url", url, *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def sender_report(proc: subprocess.Popen) -> dict:
    """The JSON line an ended sender printed ({} if it printed none)."""
    assert proc.stdout is not None
    out = proc.stdout.read().strip().splitlines()
    try:
        return orjson.loads(out[-1]) if out else {}
    except orjson.JSONDecodeError:
        return {}


async def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.01)
