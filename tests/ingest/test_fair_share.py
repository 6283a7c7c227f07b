"""FairShare: handlers step aside once the loop has worked a whole slice without a break."""

from __future__ import annotations

import asyncio

from streamscope.ingest.fair_share import FairShare


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def handle(share: FairShare, t: FakeTime, work_s: float) -> None:
    asyncio.run(share.turn())
    t.now += work_s
    share.done()


def test_back_to_back_messages_pause_once_per_slice():
    t = FakeTime()
    share = FairShare(slice_s=0.010, pause_s=0.001, clock=t.clock, sleep=t.sleep)
    for _ in range(100):  # 100 messages of 1 ms each, no break in between: 100 ms of work
        handle(share, t, 0.001)
    assert len(t.slept) == 9  # one pause after each 10 ms slice (the first slice starts fresh)
    assert share.pauses == 9


def test_a_client_with_breaks_between_messages_never_waits():
    t = FakeTime()
    share = FairShare(slice_s=0.010, pause_s=0.001, clock=t.clock, sleep=t.sleep)
    for _ in range(100):  # a Unity client: a little work, then the loop is free again
        handle(share, t, 0.0005)
        t.now += 0.010
    assert t.slept == []


def test_the_slice_is_shared_by_all_handlers():
    t = FakeTime()
    share = FairShare(slice_s=0.010, pause_s=0.001, clock=t.clock, sleep=t.sleep)
    for _ in range(12):  # client A keeps the loop busy past the slice (and pauses once)
        handle(share, t, 0.001)
    assert len(t.slept) == 1
    for _ in range(10):  # now client B's messages come in, back to back with A's
        handle(share, t, 0.001)
    # B did not start a slice of its own: it paused when the shared slice ran out
    assert len(t.slept) == 2
