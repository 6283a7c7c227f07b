"""What the store tells people when it makes room, and how fast one connection may add sessions.

The store never drops a live session to make room: new sessions and streams are refused instead
(``StoreError``, naming the limit), and only ended sessions are evicted, oldest first. Each
eviction leaves an ``Eviction`` notice the status bar can show, so nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RATE_KEYS = 1024  # connections remembered before full (idle) buckets are forgotten


@dataclass(frozen=True, slots=True)
class Eviction:
    """An ended session the store removed, and why."""

    at: float  # wall-clock time of the eviction
    session_id: str
    name: str
    samples: int  # samples it still held
    reason: str  # the limit that needed the room

    def text(self) -> str:
        n, s = self.samples, "s" if self.samples != 1 else ""
        return f"Removed ended session '{self.name}' ({n:,} sample{s}): {self.reason}"


class CreationRate:
    """Token buckets, one per connection (keyed by its peer address): a burst of ``burst`` new
    sessions, refilled at ``per_s`` per second. Why: a client that sends hello after hello, or
    whose clock keeps jumping back, would otherwise fill the session list and evict everyone's
    ended sessions in a few seconds."""

    def __init__(self, burst: int, per_s: float) -> None:
        self.burst = burst
        self.per_s = per_s
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (level, when)

    def allow(self, key: str, now: float) -> bool:
        """Take one token for ``key``; False (nothing taken) if its bucket is empty.
        A ``burst`` of 0 disables the limit."""
        if self.burst <= 0:
            return True
        level = self._level(key, now)
        if level < 1.0:
            return False
        if key not in self._buckets and len(self._buckets) >= MAX_RATE_KEYS:
            self._forget_full(now)
        self._buckets[key] = (level - 1.0, now)
        return True

    def _level(self, key: str, now: float) -> float:
        level, when = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), level + max(0.0, now - when) * self.per_s)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing."""
        for key in [k for k in self._buckets if self._level(k, now) >= self.burst]:
            del self._buckets[key]

    def describe(self) -> str:
        """The limit in words, for refusals."""
        return (
            f"{self.burst} at once, then one every {1 / self.per_s:g} s"
            if self.per_s
            else (f"{self.burst} in all")
        )
