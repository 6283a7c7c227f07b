"""Replies to read requests (history, stream lists, stats): in pages, within budgets, built late.

A 16 KB frame can hold hundreds of requests, each asking for a million samples: answered in
full, that took the app from 139 to over 600 MB and froze it for seconds. So every request is
charged, before anything is built, to the frame's budget (requests and reply bytes) and to the
connection's (reply bytes per second, with a burst). A request past either gets no reply of
its own; one error for the frame names the limit and how to ask for less. History and stream
lists come in pages with a ``next`` cursor. A reply is a function, called only when its turn
to be sent comes, so at most one is held in memory while the socket takes it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from streamscope.core.store.store import Store
from streamscope.ingest.guard import Bucket, ServerSettings

Reply = dict[str, Any] | Callable[[], dict[str, Any]]

BYTES_PER_SAMPLE = 48  # a (t, v) pair as JSON text, at worst (17 significant digits each)
BYTES_PER_ROW = 250  # a 'streams' row with typical names (an estimate: names may be 200)
BYTES_PER_STATS = 4096


def _mb(n: float) -> str:
    return f"{n / 2**20:g} MB"


class FrameReplies:
    """The reply budget of one frame, drawing on its connection's ``bucket``."""

    def __init__(self, settings: ServerSettings, bucket: Bucket, now: float) -> None:
        self.s, self.bucket, self.now = settings, bucket, now
        self.requests = 0
        self.bytes = 0
        self.refused = 0
        self.reason = ""

    def charge(self, cost: int) -> bool:
        """True if a reply of about ``cost`` bytes may be sent; False once a limit is met (and
        for every request after it in this frame)."""
        s = self.s
        if self.refused:
            self.refused += 1
            return False
        self.requests += 1
        if self.requests > s.max_requests_per_frame:
            self.reason = f"at most {s.max_requests_per_frame} requests are answered per frame"
        elif self.bytes + cost > s.max_reply_bytes_per_frame:
            self.reason = f"the replies to one frame may hold {_mb(s.max_reply_bytes_per_frame)}"
        elif not self.bucket.take(cost, self.now):
            self.reason = (
                f"replies to one connection may hold {_mb(s.reply_bytes_per_s)} a second "
                f"(burst {_mb(s.reply_burst_bytes)})"
            )
        else:
            self.bytes += cost
            return True
        self.refused = 1
        return False

    def error(self) -> str | None:
        """The one error for the requests this frame could not answer, or None."""
        if not self.refused:
            return None
        n = self.refused
        return (
            f"reply budget: {self.reason}; {n} request{'s' if n > 1 else ''} in this frame "
            f"not answered. Ask for less: 'limit' (at most {self.s.history_page} samples or "
            f"{self.s.streams_page} streams a reply), page on with the reply's 'next', "
            "and spread requests over frames"
        )


def _limit(msg: dict[str, Any], page: int) -> int:
    x = msg.get("limit")
    if isinstance(x, int) and not isinstance(x, bool) and x > 0:
        return min(x, page)
    return page


def _bound(msg: dict[str, Any], key: str) -> float | None:
    x = msg.get(key)
    if isinstance(x, int | float) and not isinstance(x, bool) and np.isfinite(x):
        return float(x)
    return None


def history(
    store: Store, msg: dict[str, Any], budget: FrameReplies, errors: list[str]
) -> Reply | None:
    """A page of one stream's stored samples, oldest first: those after ``after`` (default:
    from the oldest), or the newest ``limit`` before ``before``. ``next`` holds the cursor to
    add to the same request for the following page (None on the last one)."""
    name = msg["stream"]
    sid = msg.get("session") if isinstance(msg.get("session"), str) else None
    stream = store.find(name, sid)
    if stream is None:
        where = f" in session {sid!r}" if sid else ""
        errors.append(f"no stream {name!r}{where}")
        return None
    limit = _limit(msg, budget.s.history_page)
    after, before = _bound(msg, "after"), _bound(msg, "before")

    def page() -> tuple[int, int, dict[str, float] | None]:
        t = stream.ring.t
        lo = 0 if after is None else int(np.searchsorted(t, after, "right"))
        hi = len(t) if before is None else int(np.searchsorted(t, before, "left"))
        if hi <= lo:
            return lo, lo, None
        if before is not None:  # the newest page before the cursor, paging back in time
            i0 = max(lo, hi - limit)
            i0 = int(np.searchsorted(t, t[i0], "left")) if i0 > lo else i0  # whole time step
            return max(i0, lo), hi, ({"before": float(t[i0])} if i0 > lo else None)
        i1 = min(hi, lo + limit)
        i1 = int(np.searchsorted(t, t[i1 - 1], "right")) if i1 < hi else i1
        return lo, min(i1, hi), ({"after": float(t[i1 - 1])} if i1 < hi else None)

    i0, i1, _ = page()
    if not budget.charge(200 + BYTES_PER_SAMPLE * (i1 - i0)):
        return None

    def build() -> dict[str, Any]:
        i0, i1, cursor = page()  # again: the ring may have moved since the frame was read
        return {
            "type": "historical_data",
            "stream": name,
            "session": stream.session_id,
            "t": stream.ring.t[i0:i1].copy(),
            "v": stream.ring.v[i0:i1].copy(),
            "total": len(stream),
            "next": cursor,
        }

    return build


def stream_list(store: Store, msg: dict[str, Any], budget: FrameReplies) -> Reply | None:
    """A page of the stored streams, ``limit`` rows from ``offset``; ``next`` is the offset
    of the following page."""
    limit = _limit(msg, budget.s.streams_page)
    x = msg.get("offset")
    offset = x if isinstance(x, int) and not isinstance(x, bool) and x > 0 else 0
    total = sum(len(s.streams) for s in store.sessions.values())
    rows = max(0, min(limit, total - offset))
    if not budget.charge(200 + rows * BYTES_PER_ROW):
        return None

    def build() -> dict[str, Any]:
        every = (
            {"session": s.id, "session_name": s.name, "name": st.name, "count": len(st)}
            for s in list(store.sessions.values())
            for st in list(s.streams.values())
        )
        streams = list(itertools.islice(every, offset, offset + limit))
        more = offset + len(streams) < sum(len(s.streams) for s in store.sessions.values())
        return {
            "type": "streams",
            "streams": streams,
            "total": total,
            "next": {"offset": offset + len(streams)} if more and streams else None,
        }

    return build


def stats(provider: Callable[[], dict[str, Any]] | None, budget: FrameReplies) -> Reply | None:
    if not budget.charge(BYTES_PER_STATS):
        return None
    return lambda: {"type": "stats", **(provider() if provider else {})}
