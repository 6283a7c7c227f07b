"""Time-bucket aggregation (mean/min/max/sum/count/last per bucket), vectorised.

Why: when a window holds far more samples than pixels, a per-bucket summary (a mean line with a
min/max band) is cheaper to draw than M4 and reads better for noisy data. Buckets are aligned to
multiples of ``bucket_s`` (not to the view's left edge) so they do not shimmer while the view
scrolls; the edge buckets are whole, so they may hold samples just outside [t0, t1].

Gaps (non-finite samples: NaN, ±inf) are ignored; a bucket with no finite sample has count 0
and NaN everywhere else, so it draws as a gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_BUCKETS = 10_000_000
_NICE = (1.0, 2.0, 5.0, 10.0)


@dataclass
class Aggregates:
    """Per-bucket summaries; bucket i is [edges[i], edges[i+1])."""

    bucket_s: float
    edges: np.ndarray  # (nb + 1,)
    centers: np.ndarray  # (nb,)
    mean: np.ndarray
    min: np.ndarray
    max: np.ndarray
    sum: np.ndarray
    count: np.ndarray  # int64
    last: np.ndarray  # value of the last finite sample


def bucket_edges(t0: float, t1: float, bucket_s: float) -> np.ndarray:
    """Edges of the aligned buckets covering [t0, t1] (empty when the range is invalid)."""
    if not (bucket_s > 0 and math.isfinite(t0) and math.isfinite(t1) and t1 >= t0):
        return np.empty(0)
    i0, i1 = math.floor(t0 / bucket_s), math.floor(t1 / bucket_s)
    if i1 - i0 + 1 > MAX_BUCKETS:
        raise ValueError(f"{i1 - i0 + 1} buckets of {bucket_s} s: use choose_bucket()")
    return np.arange(i0, i1 + 2, dtype=np.float64) * bucket_s


def empty_aggregates(edges: np.ndarray, bucket_s: float) -> Aggregates:
    """All buckets empty (count 0, NaN values)."""
    nb = max(len(edges) - 1, 0)

    def nan() -> np.ndarray:
        return np.full(nb, np.nan)

    centers = (edges[:-1] + edges[1:]) / 2 if nb else np.empty(0)
    zero = np.zeros(nb, dtype=np.int64)
    return Aggregates(bucket_s, edges, centers, nan(), nan(), nan(), nan(), zero, nan())


def aggregate(t: np.ndarray, v: np.ndarray, t0: float, t1: float, bucket_s: float) -> Aggregates:
    """Aggregate samples (t non-decreasing) into the aligned buckets covering [t0, t1]."""
    edges = bucket_edges(t0, t1, bucket_s)
    agg = empty_aggregates(edges, bucket_s)
    nb = len(agg.centers)
    if nb == 0 or len(t) == 0:
        return agg
    bounds = np.searchsorted(t, edges, "left")
    lo, hi = int(bounds[0]), int(bounds[-1])
    ids = np.repeat(np.arange(nb), np.diff(bounds))
    vals = v[lo:hi]
    finite = np.isfinite(vals)
    ids, vals = ids[finite], vals[finite]
    count = np.bincount(ids, minlength=nb)
    has = count > 0
    if not has.any():
        return agg
    ends = np.cumsum(count)
    starts = (ends - count)[has]
    agg.count[:] = count
    agg.sum[has] = np.bincount(ids, weights=vals, minlength=nb)[has]
    agg.mean[has] = agg.sum[has] / count[has]
    agg.min[has] = np.minimum.reduceat(vals, starts)
    agg.max[has] = np.maximum.reduceat(vals, starts)
    agg.last[has] = vals[ends[has] - 1]
    return agg


def nice_ceil(x: float) -> float:
    """Smallest 1/2/5 × 10^k that is >= x (x > 0)."""
    k = math.floor(math.log10(x))
    for m in _NICE:
        step = m * 10.0**k
        if step >= x * (1 - 1e-9):
            return step
    return 10.0 ** (k + 1)  # pragma: no cover - log10 rounding only


def choose_bucket(t0: float, t1: float, width: int, rate: float) -> float:
    """A nice bucket width giving at most about one bucket per pixel column.

    It is also never shorter than the sample period (1/rate): emptier buckets show nothing new.
    """
    span = t1 - t0
    if not (span > 0 and width >= 1):
        raise ValueError("need t1 > t0 and width >= 1")
    target = span / width
    if rate > 0:
        target = max(target, 1.0 / rate)
    return nice_ceil(target)
