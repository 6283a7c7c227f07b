"""Cooperative time slices for the ingest handlers, which share one loop with the GUI.

Why: while frames are buffered, ``async for message in ws`` hands them over without ever
suspending, so a client streaming one small message after another kept the qasync loop — and
with it the render clock — busy for 100 ms at a time (11 frames/s drawn). Every handler asks
for its turn before each message: once the loop has worked through one slice without a break,
each handler in turn sleeps briefly, the loop falls idle and Qt runs its timers and paints.
The slice is shared: ten busy clients yield together, not one after another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

SLICE_S = 0.010  # work the handlers may do back to back (well under a 16 ms frame)
PAUSE_S = 0.001  # how long a handler steps aside once the slice is used up


class FairShare:
    def __init__(
        self,
        slice_s: float = SLICE_S,
        pause_s: float = PAUSE_S,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.slice_s, self.pause_s = slice_s, pause_s
        self._clock, self._sleep = clock, sleep
        self._end = 0.0  # when the current slice ends
        self._last = -float("inf")  # when a handler last finished a message
        self.pauses = 0

    async def turn(self) -> None:
        """Wait, if needed, before handling the next message."""
        now = self._clock()
        if now - self._last > self.pause_s:  # the loop had a break since: a fresh slice
            self._end = now + self.slice_s
        elif now > self._end:
            self.pauses += 1
            await self._sleep(self.pause_s)
            now = self._clock()
            if now > self._end:  # the first handler to wake opens the next slice
                self._end = now + self.slice_s

    def done(self) -> None:
        """A message has been handled."""
        self._last = self._clock()
