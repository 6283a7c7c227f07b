"""Running the qasync loop in tests: the loop class, and waiting on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import qasync


class TestLoop(qasync.QEventLoop):
    """qasync's loop, except that the events it flushes after ``run_until_complete`` run with
    the loop marked running. qasync flushes them with no running loop, so an asyncio task
    stepping there (a client between two ``loop_until`` calls) fails with "no running event
    loop" — something only tests see, since the app runs one ``run_until_complete``."""

    __test__ = False  # a helper, not a test class

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


def loop_until(
    loop: asyncio.AbstractEventLoop,
    condition: Callable[[], bool],
    timeout: float = 10.0,
    what: str = "condition",
) -> None:
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
