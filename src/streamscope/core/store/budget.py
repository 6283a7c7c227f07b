"""The memory budget: which of the stored samples to drop, oldest first across all streams.

Streams run on different clocks (per session, relative or epoch), so "oldest" is judged by an
estimated arrival age: a sample's age is how long ago its stream last received data (wall
clock) plus how far it lies before that stream's newest sample (stream clock). Ended sessions
thus lose their data before live ones, and among live streams the oldest history goes first.

Pure numpy: the store calls ``trim_counts`` only when it is over budget, and trims to a low
water mark so that happens rarely.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PROBES = 32  # candidate ages per stream for the threshold search


def trim_counts(ts: Sequence[np.ndarray], idle: Sequence[float], keep: int) -> np.ndarray:
    """How many of the oldest samples to drop from each stream so at most ``keep`` remain.

    ``ts[i]`` is stream i's stored times (ascending); ``idle[i]`` the seconds since it last
    received data. Every sample older than one common age threshold is dropped.
    """
    n = np.array([len(t) for t in ts], dtype=np.int64)
    if n.sum() <= keep:
        return np.zeros(len(ts), dtype=np.int64)
    last = np.array([t[-1] if len(t) else 0.0 for t in ts])
    idle_a = np.maximum(np.asarray(idle, dtype=np.float64), 0.0)
    # Candidate thresholds: ages at evenly spaced positions of every stream (its newest too).
    cands = [
        idle_a[i] + last[i] - t[np.linspace(0, len(t) - 1, min(PROBES, len(t))).astype(np.int64)]
        for i, t in enumerate(ts)
        if len(t)
    ]
    ages = np.unique(np.concatenate(cands))

    def kept(age: float) -> np.ndarray:
        """Samples of each stream no older than ``age``."""
        cut = last + idle_a - age
        pairs = zip(ts, cut.tolist(), strict=True)
        return np.array([len(t) - np.searchsorted(t, c, "left") for t, c in pairs], np.int64)

    lo, hi = 0, len(ages) - 1  # find the largest candidate age that keeps <= keep
    best = np.zeros(len(ts), dtype=np.int64)
    while lo <= hi:
        mid = (lo + hi) // 2
        k = kept(float(ages[mid]))
        if k.sum() <= keep:
            best, lo = k, mid + 1
        else:
            hi = mid - 1
    return n - best
