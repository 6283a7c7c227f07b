"""The app's own health as streams, so the user can chart StreamScope like any game.

A session named ``StreamScope`` (internal: not counted as samples in, not recorded) gets one
sample per stream every ``interval`` seconds: frames drawn per second, mean frame time,
samples/s received and samples dropped so far. Publishing is a float compare per frame and a
few one-sample appends twice a second, so it costs nothing measurable per frame.
"""

from __future__ import annotations

import numpy as np

from streamscope.core.store.store import Store

SESSION = "StreamScope"
FPS, FRAME_MS, INGEST, DROPPED = (
    "streamscope.fps",
    "streamscope.frame_ms",
    "streamscope.ingest_samples_per_s",
    "streamscope.dropped_samples",
)  # prefixed: a game's own "fps" stream must not be confused with the app's


class SelfMetrics:
    """Publishes into ``store``; the caller passes its clock (seconds, monotonic)."""

    def __init__(self, store: Store, start: float, interval: float = 0.5) -> None:
        self.store = store
        self.interval = interval
        self.start = start
        self.ingest_rate = 0.0  # samples/s received, over the last interval
        self._due = start + interval
        self._last = (start, store.total_samples)
        self._session_id: str | None = None

    def due(self, now: float) -> bool:
        return now >= self._due

    def publish(self, now: float, fps: float, frame_ms: float) -> None:
        """Append one sample per metric at ``now`` (and measure the ingest rate)."""
        self._due = now + self.interval
        then, before = self._last
        total = self.store.total_samples
        if now > then:
            self.ingest_rate = (total - before) / (now - then)
        self._last = (now, total)
        session = self.store.sessions.get(self._session_id) if self._session_id else None
        if session is None:  # first time, or evicted with old sessions
            session = self.store.open_session(SESSION, play=False, internal=True)
            self._session_id = session.id
        t = np.array([now - self.start])
        values = {
            FPS: fps,
            FRAME_MS: frame_ms,
            INGEST: self.ingest_rate,
            DROPPED: float(self.store.total_dropped),
        }
        for name, value in values.items():
            self.store.append(session.id, name, t, np.array([value], dtype=np.float64))
