"""Streaming statistics: count, mean, std, min, max and rate, O(1) per sample.

Each appended chunk is reduced with numpy and merged in one step (Chan et al.'s parallel form
of Welford's update), so no Python code runs per sample. A sliding time window also *removes*
the chunk that left it with the inverse merge; min/max are re-read from the ring only when the
extreme itself leaves the window, and everything is rebuilt after the window has turned over a
few times, which bounds the drift of repeated add/remove.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from streamscope.core.series.ringbuffer import RingBuffer


@dataclass(slots=True)
class Moments:
    """Count, mean, sum of squared deviations (M2), min and max of finite values."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    @classmethod
    def of(cls, v: np.ndarray) -> Moments:
        """Moments of ``v``; NaN (a gap) and ±inf are skipped."""
        v = v[np.isfinite(v)]
        if not len(v):
            return cls()
        mean = float(v.mean())
        d = v - mean
        return cls(len(v), mean, float(d @ d), float(v.min()), float(v.max()))

    def merge(self, o: Moments) -> None:
        """Add another chunk's moments (Chan's parallel update)."""
        if o.n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2, self.min, self.max = o.n, o.mean, o.m2, o.min, o.max
            return
        n = self.n + o.n
        delta = o.mean - self.mean
        self.mean += delta * o.n / n
        self.m2 += o.m2 + delta * delta * self.n * o.n / n
        self.n = n
        self.min = min(self.min, o.min)
        self.max = max(self.max, o.max)

    def remove(self, o: Moments) -> None:
        """Take out a chunk merged earlier (the inverse of ``merge``; min/max are left alone)."""
        n = self.n - o.n
        if n <= 0:
            self.n, self.mean, self.m2 = 0, 0.0, 0.0
            return
        mean = (self.n * self.mean - o.n * o.mean) / n
        delta = o.mean - mean
        self.m2 = max(0.0, self.m2 - o.m2 - delta * delta * n * o.n / self.n)
        self.mean, self.n = mean, n

    def variance(self, ddof: int = 1) -> float:
        return self.m2 / (self.n - ddof) if self.n > ddof else math.nan

    def std(self, ddof: int = 1) -> float:
        return math.sqrt(self.variance(ddof))


@dataclass(slots=True)
class StatsView:
    """A snapshot for display: moments plus how many samples (gaps included) and how fast."""

    count: int  # samples, gaps included
    n: int  # finite values
    mean: float
    std: float
    min: float
    max: float
    rate_hz: float
    first_t: float
    last_t: float
    last_v: float


class OnlineStats:
    """Whole-stream statistics over everything ever appended (also what the ring dropped)."""

    def __init__(self) -> None:
        self.m = Moments()
        self.count = 0
        self.first_t = math.nan
        self.last_t = math.nan
        self.last_v = math.nan

    def update(self, t: np.ndarray, v: np.ndarray) -> None:
        if not len(t):
            return
        self.m.merge(Moments.of(v))
        if self.count == 0:
            self.first_t = float(t[0])
        self.count += len(t)
        self.last_t = float(t[-1])
        self.last_v = float(v[-1])

    def view(self) -> StatsView:
        return StatsView(
            self.count,
            self.m.n,
            self.m.mean if self.m.n else math.nan,
            self.m.std(),
            self.m.min if self.m.n else math.nan,
            self.m.max if self.m.n else math.nan,
            rate(self.count, self.first_t, self.last_t),
            self.first_t,
            self.last_t,
            self.last_v,
        )


def rate(count: int, first_t: float, last_t: float) -> float:
    """Samples per second between the first and last sample (NaN when it cannot be told)."""
    span = last_t - first_t
    return (count - 1) / span if count >= 2 and span > 0 else math.nan


class WindowStats:
    """Statistics of the samples in ``(last_t - seconds, last_t]`` of one ring buffer.

    ``update`` costs O(samples that entered or left the window since the last call), done
    as two numpy reductions; positions are absolute sample indices (``RingBuffer.total``),
    so compaction of the ring does not disturb them. A window longer than what the ring
    still holds cannot subtract the samples the ring dropped, so it is re-read whole on each
    update (O(window), at the caller's refresh rate).
    """

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("window must be positive")
        self.seconds = float(seconds)
        self.m = Moments()
        self.start = 0  # absolute index of the first sample in the window
        self.end = 0  # absolute index past the last one
        self._ring: RingBuffer | None = None
        self._argmin = -1
        self._argmax = -1
        self._turnover = 0  # samples removed since the last full rebuild
        self.rebuilds = 0

    def update(self, ring: RingBuffer) -> None:
        end = ring.total
        base = ring.first_index
        if not len(ring):
            self.m, self.start, self.end = Moments(), end, end
            return
        start = base + int(np.searchsorted(ring.t, ring.last_t - self.seconds, "right"))
        if ring is not self._ring or self.start < base or start >= self.end:
            self._ring = ring
            self._rebuild(ring, start, end)
            return
        if start == self.start and end == self.end:
            return
        v = ring.v
        if start > self.start:
            self.m.remove(Moments.of(v[self.start - base : start - base]))
            self._turnover += start - self.start
        if end > self.end:
            added = v[self.end - base : end - base]
            mom = Moments.of(added)
            if mom.n:
                if mom.min < self.m.min or self.m.n == 0:
                    self._argmin = self.end + _arg(added, np.nanargmin)
                if mom.max > self.m.max or self.m.n == 0:
                    self._argmax = self.end + _arg(added, np.nanargmax)
            self.m.merge(mom)
        self.start, self.end = start, end
        if self._turnover > 2 * max(end - start, 1024):
            self._rebuild(ring, start, end)
        elif self._argmin < start or self._argmax < start:
            self._extremes(ring)

    def _rebuild(self, ring: RingBuffer, start: int, end: int) -> None:
        base = ring.first_index
        self.m = Moments.of(ring.v[start - base : end - base])
        self.start, self.end = start, end
        self._turnover = 0
        self.rebuilds += 1
        self._extremes(ring)

    def _extremes(self, ring: RingBuffer) -> None:
        """Re-read min/max from the window (the old extreme left it)."""
        base = ring.first_index
        w = ring.v[self.start - base : self.end - base]
        if self.m.n == 0:
            self.m.min, self.m.max = math.inf, -math.inf
            self._argmin = self._argmax = self.end
            return
        self._argmin = self.start + _arg(w, np.nanargmin)
        self._argmax = self.start + _arg(w, np.nanargmax)
        self.m.min = float(w[self._argmin - self.start])
        self.m.max = float(w[self._argmax - self.start])

    def view(self, ring: RingBuffer) -> StatsView:
        """Snapshot of the window (call ``update`` first)."""
        base = ring.first_index
        count = self.end - self.start
        if count:
            t0 = float(ring.t[self.start - base])
            t1 = float(ring.t[self.end - 1 - base])
            last_v = float(ring.v[self.end - 1 - base])
        else:
            t0 = t1 = last_v = math.nan
        m = self.m
        return StatsView(
            count,
            m.n,
            m.mean if m.n else math.nan,
            m.std(),
            m.min if m.n else math.nan,
            m.max if m.n else math.nan,
            rate(count, t0, t1),
            t0,
            t1,
            last_v,
        )


def _arg(v: np.ndarray, fn: Callable[[np.ndarray], np.intp]) -> int:
    """Index of the extreme of ``v`` ignoring NaN (``v`` holds at least one finite value)."""
    finite = np.isfinite(v)
    if finite.all():
        return int(fn(v))
    w = np.where(finite, v, np.nan)
    return int(fn(w))


def value_before(ring: RingBuffer, t: float) -> float:
    """The last value at or before time ``t`` (NaN if none is stored)."""
    i = int(np.searchsorted(ring.t, t, "right")) - 1
    return float(ring.v[i]) if i >= 0 else math.nan
