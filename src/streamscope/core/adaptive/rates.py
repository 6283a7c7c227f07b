"""Rates of ever-growing counters (samples, appends) per key, measured on the caller's clock.

Why here and not in the ring: the policy needs "samples/s per stream" once a frame, and a
counter sampled at most every ``interval`` seconds gives it without any per-sample work.
"""

from __future__ import annotations

from collections.abc import Hashable, Set


class RateMeter:
    """Per key: the rate of a monotonic counter over the last ``interval`` seconds or more."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._last: dict[Hashable, tuple[float, int, float]] = {}  # key: (time, count, rate)

    def rate(self, key: Hashable, count: int, now: float) -> float:
        """Counts per second of ``key``; updated once ``interval`` has passed since the last."""
        last = self._last.get(key)
        if last is None or count < last[1]:  # new key, or a counter that restarted
            self._last[key] = (now, count, 0.0)
            return 0.0
        then, before, rate = last
        if now - then >= self.interval:
            rate = (count - before) / (now - then)
            self._last[key] = (now, count, rate)
        return rate

    def forget(self, keep: Set[Hashable]) -> None:
        """Drop every key not in ``keep`` (streams no longer shown)."""
        for key in [k for k in self._last if k not in keep]:
            del self._last[key]
