"""Bounded time/value storage for one stream.

Samples live in preallocated float64 arrays with some slack past the capacity. Appends write
at the end; when the slack is used up, the newest ``capacity`` samples are moved to the front
in one copy. So every read is a contiguous, zero-copy slice (``searchsorted`` works directly on
it), appends cost amortised O(1), and the oldest samples are dropped first, with a counter.
"""

from __future__ import annotations

import numpy as np

_F64 = np.float64


class RingBuffer:
    """Drop-oldest buffer of (time, value) pairs, always readable as contiguous arrays."""

    def __init__(self, capacity: int, slack: float = 0.25) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = int(capacity)
        size = self.capacity + max(1024, int(self.capacity * slack))
        # np.empty: pages are only touched (and counted in RSS) as samples arrive.
        self._t = np.empty(size, dtype=_F64)
        self._v = np.empty(size, dtype=_F64)
        self._start = 0
        self._end = 0
        self.dropped = 0
        self.total = 0  # samples ever appended; also the absolute index of the next sample

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def first_index(self) -> int:
        """Absolute index (counted since creation) of the oldest stored sample."""
        return self.total - len(self)

    @property
    def t(self) -> np.ndarray:
        """Stored times, oldest first (a view: copy it before keeping it)."""
        return self._t[self._start : self._end]

    @property
    def v(self) -> np.ndarray:
        """Stored values, oldest first (a view: copy it before keeping it)."""
        return self._v[self._start : self._end]

    @property
    def last_t(self) -> float:
        return float(self._t[self._end - 1]) if self._end > self._start else float("-inf")

    def append(self, t: np.ndarray, v: np.ndarray) -> int:
        """Append equal-length arrays; return how many old samples were dropped to make room."""
        n = len(t)
        if n == 0:
            return 0
        self.total += n
        if n >= self.capacity:
            dropped = len(self) + n - self.capacity
            self._t[: self.capacity] = t[-self.capacity :]
            self._v[: self.capacity] = v[-self.capacity :]
            self._start, self._end = 0, self.capacity
            self.dropped += dropped
            return dropped
        if self._end + n > len(self._t):
            self._compact(self.capacity - n)
        self._t[self._end : self._end + n] = t
        self._v[self._end : self._end + n] = v
        self._end += n
        dropped = max(0, len(self) - self.capacity)
        self._start += dropped
        self.dropped += dropped
        return dropped

    def _compact(self, keep: int) -> None:
        """Move the newest ``keep`` samples to the front, dropping the rest."""
        keep = min(keep, len(self))
        src = slice(self._end - keep, self._end)
        self._t[:keep] = self._t[src]
        self._v[:keep] = self._v[src]
        self.dropped += len(self) - keep
        self._start, self._end = 0, keep

    def range_indices(self, t0: float, t1: float) -> tuple[int, int]:
        """Slice bounds (into ``t``/``v``) of the samples with t0 <= t <= t1."""
        t = self.t
        return int(np.searchsorted(t, t0, "left")), int(np.searchsorted(t, t1, "right"))
