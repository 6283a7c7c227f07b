"""Bounded time/value storage for one stream.

Samples live in float64 arrays with some slack past what is stored. Appends write at the end;
when the slack is used up, the newest samples are moved to the front in one copy (or into a
larger array, doubling up to ``capacity`` plus slack). So every read is a contiguous, zero-copy
slice (``searchsorted`` works directly on it), appends cost amortised O(1), and the oldest
samples are dropped first, with a counter.

The arrays grow with the data and shrink again when the store's memory budget trims a stream
(``drop_oldest``), so memory follows what is stored, not what the capacity would allow.
"""

from __future__ import annotations

import numpy as np

_F64 = np.float64
MIN_ALLOC = 64  # samples (1 KB): many tiny streams must not cost much memory each
SHRINK_BELOW = 3  # arrays more than 3x what they hold are reallocated to fit


class RingBuffer:
    """Drop-oldest buffer of (time, value) pairs, always readable as contiguous arrays."""

    def __init__(self, capacity: int, slack: float = 0.25) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = int(capacity)
        self._max_size = self.capacity + max(1024, int(self.capacity * slack))
        size = min(self._max_size, MIN_ALLOC)
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
        before = self.dropped
        self.total += n
        if n >= self.capacity:
            if len(self._t) < self.capacity:
                self._resize(self._max_size, keep=0)
            self.dropped += len(self) + n - self.capacity
            self._t[: self.capacity] = t[-self.capacity :]
            self._v[: self.capacity] = v[-self.capacity :]
            self._start, self._end = 0, self.capacity
            return self.dropped - before
        if self._end + n > len(self._t):
            self._make_room(n)
        self._t[self._end : self._end + n] = t
        self._v[self._end : self._end + n] = v
        self._end += n
        over = max(0, len(self) - self.capacity)
        self._start += over
        self.dropped += over
        return self.dropped - before

    def drop_oldest(self, n: int) -> int:
        """Drop up to ``n`` of the oldest samples (the store's memory budget); return how many.

        The arrays shrink when they become mostly empty, so the memory is really given back.
        """
        n = max(0, min(int(n), len(self)))
        self._start += n
        self.dropped += n
        if len(self._t) > max(MIN_ALLOC, SHRINK_BELOW * len(self)):
            self._resize(self._fit(len(self)), keep=len(self))
        return n

    def _fit(self, need: int) -> int:
        """Array size for ``need`` samples plus half as much room (bounded by the capacity)."""
        return min(self._max_size, max(MIN_ALLOC, need + need // 2))

    def _make_room(self, n: int) -> None:
        """Room for ``n`` more samples at the end: compact in place when that frees enough,
        else move into arrays sized to the data (growing, or shrinking after a trim)."""
        keep = min(len(self), self.capacity - n)
        need = keep + n
        size = len(self._t)
        tight = size < self._max_size and 4 * need > 3 * size  # compacting would free < 1/4
        if tight or size > max(MIN_ALLOC, SHRINK_BELOW * need):
            self._resize(max(self._fit(need), need), keep)
        else:
            self._compact(keep)

    def _resize(self, size: int, keep: int) -> None:
        """Move the newest ``keep`` samples into new arrays of ``size`` (old ones are freed)."""
        keep = min(keep, len(self))
        t, v = np.empty(size, dtype=_F64), np.empty(size, dtype=_F64)
        t[:keep] = self._t[self._end - keep : self._end]
        v[:keep] = self._v[self._end - keep : self._end]
        self.dropped += len(self) - keep
        self._t, self._v = t, v
        self._start, self._end = 0, keep

    def _compact(self, keep: int) -> None:
        """Move the newest ``keep`` samples to the front, dropping the rest."""
        keep = min(keep, len(self))
        src = slice(self._end - keep, self._end)
        self._t[:keep] = self._t[src]
        self._v[:keep] = self._v[src]
        self.dropped += len(self) - keep
        self._start, self._end = 0, keep

    @property
    def allocated(self) -> int:
        """Samples the arrays can hold right now (memory held is 16 bytes each)."""
        return len(self._t)

    def range_indices(self, t0: float, t1: float) -> tuple[int, int]:
        """Slice bounds (into ``t``/``v``) of the samples with t0 <= t <= t1."""
        t = self.t
        return int(np.searchsorted(t, t0, "left")), int(np.searchsorted(t, t1, "right"))
