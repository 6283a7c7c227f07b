"""Incremental M4 for a chart that follows live data: each frame recomputes only the pixel
columns new samples fall into.

Why: :meth:`MinMaxPyramid.query` answers any view from scratch in O(columns), but with ~50
small numpy calls per curve per frame; at 8 streams x 1 kHz that costs more than drawing the
raw samples. A live chart mostly asks the same question again, one batch later. Here columns
are aligned to absolute multiples of their time width ``w`` (column k is [k*w, (k+1)*w)), so
a column, once complete, stays valid while the window scrolls: the cache keeps each column's
picks (absolute sample indices, ``rb.first_index + position``) and, per frame, folds in only
the new samples (a few numpy calls on them) and assembles the view's columns (O(columns)).

It starts over when ``w`` changes (zoom, resize, another window length), on a ring reset
(another ring, ``total`` going backwards), when the view moves before what it covers, or on
:meth:`M4Cache.invalidate`. Dropped samples only cost the one column they cut through.

:func:`m4_aligned_bruteforce` defines exactly what :meth:`M4Cache.query` returns; the pick
rules are those of :func:`streamscope.core.series.lod.m4_bruteforce` with aligned columns.
The store keeps every ring's times non-decreasing, which both rely on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from streamscope.core.series.lod import (
    MinMaxPyramid,
    collapse_nan_runs,
    column_picks,
    search_sorted,
)
from streamscope.core.series.ringbuffer import RingBuffer

_I64 = np.int64
FIRST, MIN, MAX, GAP, LAST = range(5)  # the picks of one column, by role
LEXSORT_MAX = 4096  # new samples up to this: per-column argmin/argmax by a stable lexsort
W_TOLERANCE = 1e-9  # relative change of w taken as the same w (t1 - t0 wobbles in its bits)
_MIN_ROWS = 256
# A (re)build over more samples than this asks the stream's pyramid for whole columns
# (O(columns)) instead of reading every sample: 1e7 samples cost 300-490 ms read raw.
PYRAMID_BUILD_MIN = 100_000
_ZERO = np.zeros(1, dtype=_I64)


@dataclass(frozen=True)
class M4Stats:
    """What the last :meth:`M4Cache.query` did (tests and the frame-cost bench read it)."""

    elements_read: int  # raw samples read from the ring to compute columns
    columns_recomputed: int  # columns whose picks were computed (new or changed)
    rebuilt: bool  # the cache started over
    points_out: int


# ---------------------------------------------------------------------- the reference


def view_columns(t0: float, t1: float, w: float) -> tuple[int, int]:
    """First and last aligned column touching [t0, t1] (``width + 1`` of them at most)."""
    return math.floor(t0 / w), math.floor(t1 / w)


def m4_aligned_bruteforce(
    t: np.ndarray, v: np.ndarray, t0: float, t1: float, w: float
) -> tuple[np.ndarray, np.ndarray]:
    """Reference M4 over aligned columns, one column at a time (slow and obvious).

    Column of a sample: ``floor(t / w)``; the view's columns are ``floor(t0/w) ..
    floor(t1/w)``. Per non-empty view column: its first and last sample, the first occurrence
    of the min and of the max among its finite samples, its first gap sample (not finite);
    plus the last sample before the view's columns and the first after them. In sample order,
    each once; gaps drawn as y = NaN, consecutive NaN points reduced to the first.
    """
    if not (w > 0 and math.isfinite(w)) or len(t) == 0 or not t1 >= t0:
        return np.empty(0), np.empty(0)
    k0, k1 = view_columns(t0, t1, w)
    cols = np.floor(t / w)
    picks: set[int] = set()
    inside = np.flatnonzero((cols >= k0) & (cols <= k1))
    for k in np.unique(cols[inside]):
        picks.update(column_picks(np.flatnonzero(cols == k), v))
    before, after = np.flatnonzero(cols < k0), np.flatnonzero(cols > k1)
    picks.update(int(i) for i in (*before[-1:], *after[:1]))
    order = np.array(sorted(picks), dtype=_I64)
    x, y = t[order].astype(np.float64), v[order].astype(np.float64)
    y[~np.isfinite(y)] = np.nan
    return collapse_nan_runs(x, y)


# ---------------------------------------------------------------------- column computation


@dataclass
class _Rows:
    """Columns as rows: column index, picks (abs; -1 none) and min/max values; and what they
    draw, flat: per row, its picks in sample order, each once, as times and values."""

    col: np.ndarray  # (m,) float64: the column index k
    picks: np.ndarray  # (m, 5) int64: FIRST, MIN, MAX, GAP, LAST
    ext: np.ndarray  # (m, 2) float64: min value (inf: none), max value (-inf: none)
    x: np.ndarray  # (sum of counts,) float64
    y: np.ndarray  # gaps as NaN
    counts: np.ndarray  # (m,) points per row


def _columns_of(
    t: np.ndarray, v: np.ndarray, p0: int, p1: int, w: float, base: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Columns of ring positions [p0, p1) (whole columns at both ends, or the caller merges):
    (column index, picks as absolute indices with base = index of position 0, extremes,
    absolute index of the last gap or -1). Numpy calls on the range, no loop per column."""
    tn, vn = t[p0:p1], v[p0:p1]
    n = p1 - p0
    c = tn / w
    np.floor(c, out=c)
    one = c[0] == c[-1]  # the usual live frame: all new samples in one column
    starts = _ZERO if one else np.flatnonzero(np.concatenate(([True], c[1:] != c[:-1])))
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: a gap, seen below
        clean = math.isfinite(float(vn.sum()))  # overflowing to inf: only the slow path
    if clean:
        lo = hi = vn
        fin = None
    else:
        fin = np.isfinite(vn)
        lo, hi = np.where(fin, vn, np.inf), np.where(fin, vn, -np.inf)
    if one:  # argmin/argmax give the first occurrence
        amn, amx = lo.argmin(axis=0, keepdims=True), hi.argmax(axis=0, keepdims=True)
    elif n <= LEXSORT_MAX:  # stable sorts: the first of each column is its first extreme
        amn = np.lexsort((lo, c))[starts]
        amx = np.lexsort((-hi, c))[starts]
    else:  # O(n) for big first builds
        lens = np.diff(starts, append=n)
        ar = np.arange(n, dtype=_I64)
        mn, mx = np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)
        amn = np.minimum.reduceat(np.where(lo == np.repeat(mn, lens), ar, n), starts)
        amx = np.minimum.reduceat(np.where(hi == np.repeat(mx, lens), ar, n), starts)
    m = len(starts)
    ext = np.empty((m, 2))
    ext[:, 0], ext[:, 1] = lo[amn], hi[amx]
    picks = np.empty((m, 5), dtype=_I64)
    picks[:, FIRST] = starts
    picks[:, MIN] = amn
    picks[:, MAX] = amx
    picks[:-1, LAST] = starts[1:] - 1
    picks[-1, LAST] = n - 1
    last_gap = -1
    if fin is None:
        picks += base + p0
        picks[:, GAP] = -1
    else:
        gap_at = np.flatnonzero(~fin)
        last_gap = base + p0 + int(gap_at[-1])
        first_gap = np.minimum.reduceat(np.where(fin, n, np.arange(n, dtype=_I64)), starts)
        picks[:, GAP] = np.where(first_gap < n, first_gap, -1)
        picks[ext[:, 0] == np.inf, MIN] = -1
        picks[ext[:, 1] == -np.inf, MAX] = -1
        picks += np.where(picks >= 0, base + p0, 0)
    return c[starts], picks, ext, last_gap


def _merge_into(
    old_picks: np.ndarray, old_ext: np.ndarray, new: np.ndarray, ext: np.ndarray
) -> None:
    """Fold the previous state of an open column into the new samples' first row (in place):
    the earlier samples win ties."""
    o = old_picks.tolist()
    n = new[0].tolist()
    omn, omx = float(old_ext[0]), float(old_ext[1])
    nmn, nmx = float(ext[0, 0]), float(ext[0, 1])
    row = [o[FIRST], n[MIN], n[MAX], o[GAP] if o[GAP] >= 0 else n[GAP], n[LAST]]
    if not nmn < omn:
        row[MIN], ext[0, 0] = o[MIN], omn
    if not nmx > omx:
        row[MAX], ext[0, 1] = o[MAX], omx
    new[0] = row


def _drawn(
    picks: np.ndarray, t: np.ndarray, v: np.ndarray, first: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times and values of each row's picks in sample order, each once (flat), and counts."""
    drawn = np.sort(picks, axis=1)
    keep = drawn >= 0
    keep[:, 1:] &= drawn[:, 1:] != drawn[:, :-1]
    pos = drawn[keep] - first
    x, y = t.take(pos), v.take(pos)
    if not np.isfinite(y).all():
        y[~np.isfinite(y)] = np.nan
    return x, y, keep.sum(axis=1)


def _empty_rows(rows: int, flat: int) -> _Rows:
    return _Rows(
        np.empty(rows), np.empty((rows, 5), _I64), np.empty((rows, 2)),
        np.empty(flat), np.empty(flat), np.zeros(rows + 1, _I64),
    )  # fmt: skip


# ---------------------------------------------------------------------- the cache


class M4Cache:
    """Per-curve incremental M4 over aligned columns; see the module docstring.

    ``query`` returns what :func:`m4_aligned_bruteforce` returns for the ring's samples, the
    view and :attr:`w` (the column width it used: ``(t1 - t0) / width``, or the previous one
    when that differs only in rounding). Rows live in arrays like a ring's: appended at the
    end, the open column replaced, rows left of the view let go; ``counts`` there holds each
    row's offset into the flat x/y, so a frame's points are one slice.
    """

    def __init__(self) -> None:
        self.w = math.nan
        self.last_stats = M4Stats(0, 0, False, 0)
        self.rebuilds = 0
        self._ring: RingBuffer | None = None
        self._reset()

    def invalidate(self) -> None:
        """Start over at the next query (a caller that knows the data changed)."""
        self._ring = None

    def _reset(self) -> None:
        self._total = 0  # samples folded in: ring.total at the last query
        self._kfrom = math.inf  # every column >= this is complete in the rows
        self._last_gap = -1
        self._lo = self._hi = 0
        self._store = _empty_rows(0, 0)

    # ------------------------------------------------------------ rows

    def _append(self, rows: _Rows, replace_last: bool) -> None:
        """Store ``rows`` after the last row (or in place of it); ``rows.counts`` per row."""
        s = self._store
        off = s.counts  # offsets into the flat arrays: row r is [off[r], off[r + 1])
        if replace_last:
            self._hi -= 1
        lo, hi, m, k = self._lo, self._hi, len(rows.col), len(rows.x)
        if hi + m > len(s.col) or int(off[hi]) + k > len(s.x):
            f0, f1 = int(off[lo]), int(off[hi])
            grown = _empty_rows(
                max(_MIN_ROWS, 2 * (hi - lo + m)), max(5 * _MIN_ROWS, 2 * (f1 - f0 + k))
            )
            for name in ("col", "picks", "ext"):
                getattr(grown, name)[: hi - lo] = getattr(s, name)[lo:hi]
            grown.x[: f1 - f0], grown.y[: f1 - f0] = s.x[f0:f1], s.y[f0:f1]
            grown.counts[: hi - lo + 1] = off[lo : hi + 1] - f0
            self._store = s = grown
            off = s.counts
            self._lo, self._hi = lo, hi = 0, hi - lo
        f = int(off[hi])
        s.col[hi : hi + m], s.picks[hi : hi + m], s.ext[hi : hi + m] = (
            rows.col,
            rows.picks,
            rows.ext,
        )
        s.x[f : f + k], s.y[f : f + k] = rows.x, rows.y
        np.cumsum(rows.counts, out=off[hi + 1 : hi + m + 1])
        off[hi + 1 : hi + m + 1] += f
        self._hi = hi + m

    def _fold(self, rb: RingBuffer, p0: int, p1: int, merge: bool) -> int:
        """Compute the columns of positions [p0, p1) and store them; ``merge``: the first one
        may continue the last stored column. Returns how many columns were computed."""
        t, v, first = rb.t, rb.v, rb.first_index
        col, picks, ext, last_gap = _columns_of(t, v, p0, p1, self.w, first)
        self._last_gap = max(self._last_gap, last_gap)
        s = self._store
        join = merge and self._hi > self._lo and s.col[self._hi - 1] == col[0]
        if join:
            _merge_into(s.picks[self._hi - 1], s.ext[self._hi - 1], picks, ext)
        self._append(_Rows(col, picks, ext, *_drawn(picks, t, v, first)), join)
        return len(col)

    def _first_position(self, t: np.ndarray, k: float) -> int:
        """Ring position of the first sample whose column is >= k (floor(t/w) rounds, so a
        binary search on k*w is corrected by steps over runs of equal times)."""
        w, n = self.w, len(t)
        i = int(np.searchsorted(t, k * w, "left"))
        while i > 0 and math.floor(t[i - 1] / w) >= k:
            i = int(np.searchsorted(t, t[i - 1], "left"))
        while i < n and math.floor(t[i] / w) < k:
            i = int(np.searchsorted(t, t[i], "right"))
        return i

    def _rebuild(self, rb: RingBuffer, k0: int, pyramid: Callable[[], MinMaxPyramid] | None) -> int:
        self._reset()
        self._ring = rb
        self.rebuilds += 1
        p0 = self._first_position(rb.t, k0)
        self._kfrom, self._total = k0, rb.total
        if p0 >= len(rb):
            return 0
        if pyramid is not None and len(rb) - p0 > PYRAMID_BUILD_MIN:
            return self._build_from(pyramid(), rb, p0)
        self._fold(rb, p0, len(rb), merge=False)
        return len(rb) - p0

    def _build_from(self, pyramid: MinMaxPyramid, rb: RingBuffer, p0: int) -> int:
        """Rows of every column from position ``p0`` to the newest sample, from the pyramid's
        tables. Column starts come from a search on k*w, corrected where rounding makes it
        disagree with floor(t / w) (rare; each costs a binary search)."""
        t, v, first, n, w = rb.t, rb.v, rb.first_index, len(rb), self.w
        ks = np.arange(math.floor(t[p0] / w) + 1, math.floor(t[n - 1] / w) + 1, dtype=np.float64)
        inner = search_sorted(t, p0, n, ks * w)
        at = np.minimum(inner, n - 1)
        before = np.maximum(inner - 1, p0)
        bad = ((inner < n) & (np.floor(t[at] / w) < ks)) | (np.floor(t[before] / w) >= ks)
        for j in np.flatnonzero(bad).tolist():
            inner[j] = self._first_position(t, float(ks[j]))
        bounds = np.concatenate(([p0], inner, [n]))
        keep = bounds[1:] > bounds[:-1]
        a, b = bounds[:-1][keep] + first, bounds[1:][keep] + first
        picks, ext, last_gap, read = pyramid.m4_columns(rb, a, b)
        self._last_gap = last_gap
        col = np.floor(t[a - first] / w)
        self._append(_Rows(col, picks, ext, *_drawn(picks, t, v, first)), replace_last=False)
        return read

    def _forget_dropped(self, rb: RingBuffer) -> tuple[int, int]:
        """Rows of samples the ring dropped go; the one column a drop cut through is
        recomputed from what is left of it. Returns (samples read, columns computed)."""
        first, s, hi = rb.first_index, self._store, self._hi
        lo = self._lo + int(np.searchsorted(s.picks[self._lo : hi, LAST], first, "left"))
        self._lo = lo  # columns wholly dropped: the ring has nothing there either
        if lo == hi or s.picks[lo, FIRST] >= first:
            return 0, 0
        end = int(s.picks[lo, LAST]) + 1 - first  # the cut column's stored samples: [0, end)
        f0, f1 = int(s.counts[lo + 1]), int(s.counts[hi])
        later = _Rows(
            s.col[lo + 1 : hi].copy(), s.picks[lo + 1 : hi].copy(), s.ext[lo + 1 : hi].copy(),
            s.x[f0:f1].copy(), s.y[f0:f1].copy(), np.diff(s.counts[lo + 1 : hi + 1]),
        )  # fmt: skip
        self._hi = lo
        self._fold(rb, 0, end, merge=False)
        self._append(later, replace_last=False)
        return end, 1

    # ------------------------------------------------------------ query

    def query(
        self,
        rb: RingBuffer,
        t0: float,
        t1: float,
        width: int,
        w: float | None = None,
        pyramid: Callable[[], MinMaxPyramid] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """x, y (new float64 arrays) of ``rb`` over [t0, t1] at ``width`` columns: equal to
        ``m4_aligned_bruteforce(rb.t, rb.v, t0, t1, self.w)``. ``w``: the column width to use
        instead of ``(t1 - t0) / width``; ``pyramid``: gives ``rb``'s pyramid caught up (called
        only for a huge rebuild: keeping it in step costs time on every append)."""
        n, width = len(rb), int(width)
        if w is None:
            w = (t1 - t0) / width if width >= 1 else math.nan
        if n == 0 or not (w > 0 and math.isfinite(w)):
            self.last_stats = M4Stats(0, 0, False, 0)
            return np.empty(0), np.empty(0)
        if not abs(w - self.w) <= W_TOLERANCE * self.w:
            self.w = w
            self._ring = None
        k0, k1 = view_columns(t0, t1, self.w)
        first = rb.first_index
        read = cols = 0
        rebuilt = rb is not self._ring or rb.total < self._total or k0 < self._kfrom
        if rebuilt or first > self._total:
            read, rebuilt = self._rebuild(rb, k0, pyramid), True
            cols = self._hi - self._lo
        else:
            if self._hi > self._lo and first > self._store.picks[self._lo, FIRST]:
                read, cols = self._forget_dropped(rb)
            if rb.total > self._total:
                p0 = self._total - first
                self._total = rb.total
                cols += self._fold(rb, p0, n, merge=True)
                read += n - p0
        x, y = self._assemble(rb, k0, k1)
        self.last_stats = M4Stats(read, cols, rebuilt, len(x))
        return x, y

    def _assemble(self, rb: RingBuffer, k0: int, k1: int) -> tuple[np.ndarray, np.ndarray]:
        s, lo, hi = self._store, self._lo, self._hi
        r0, r1 = (lo + np.searchsorted(s.col[lo:hi], (k0, k1 + 1), "left")).tolist()
        if r0 - lo > max(_MIN_ROWS, (hi - lo) // 2):  # rows left of the view: let them go
            self._kfrom = float(s.col[r0 - 1]) + 1
            self._lo = r0
        first, total = rb.first_index, rb.total
        nxt = int(s.picks[r1, FIRST]) if r1 < hi else total  # first sample right of the view
        start = int(s.picks[r0, FIRST]) if r0 < r1 else nxt
        a, b = int(s.counts[r0]), int(s.counts[r1])
        pb = max(start - 1 - first, 0)  # neighbours: slices of one sample or empty
        eb = start - first if start - 1 >= first else pb
        pa = nxt - first
        ea = pa + 1 if nxt < total else pa
        t, v = rb.t, rb.v
        x = np.concatenate((t[pb:eb], s.x[a:b], t[pa:ea]))
        y = np.concatenate((v[pb:eb], s.y[a:b], v[pa:ea]))
        if self._last_gap >= start - 1 or not (
            (eb == pb or math.isfinite(y[0])) and (ea == pa or math.isfinite(y[-1]))
        ):
            y[~np.isfinite(y)] = np.nan
            return collapse_nan_runs(x, y)
        return x, y
