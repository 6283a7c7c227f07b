"""Level-of-detail cache for one stream: answers M4 queries in O(pixels), not O(samples).

Why: drawing 1e7 samples per curve per frame is impossible, and even scanning them to decimate
costs ~10 ms per curve. :class:`MinMaxPyramid` keeps, per aligned block of ``2**k`` samples,
the min/max with their sample indices ("hot" fields, what an M4 query reads) and the first
gap, finite sum/count and last finite sample ("cold" fields, for gaps and aggregation); plus
prefix/suffix extremes inside 256-sample superblocks and a sparse table over superblocks, so a
wide pixel column costs 4 table rows and two short raw windows, whatever its sample count. All
columns of a query are processed together by numpy; no Python loop per column.

Tables are keyed by absolute sample index (``rb.first_index + position``), which survives the
ring's compaction, growth, shrinking and ``drop_oldest``; each is a circular table sized for at
least as many samples as the ring stores (``core/series/stream_lod.py`` sizes it to the allocation).

Gaps: a sample whose value is not finite (NaN, ±inf) is a gap, as pyqtgraph's
``connect="finite"`` treats it. :func:`m4_bruteforce` defines exactly what a query returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streamscope.core.series.aggregate import Aggregates, bucket_edges, empty_aggregates
from streamscope.core.series.ringbuffer import RingBuffer

_INF = np.inf
_I64 = np.int64
_BIG = 2**62  # added to rule an index out of a min(); above any real sample index

# Level tables hold float64 (indices are exact below 2**53). Hot rows are 32 bytes, so one
# cache line serves two neighbouring blocks: that line traffic is what bounds a query.
MN, MX, IMN, IMX = range(4)  # hot: min, max, index of first min, index of first max
GAP, SUM, CNT, ILAST = range(4)  # cold: first gap index, finite sum, count, last finite index
# Row 0 is "no block": neutral for every reduction, so unused slots just point at it.
_EMPTY_HOT = (_INF, -_INF, _INF, _INF)
_EMPTY_COLD = (_INF, 0.0, 0.0, -_INF)
_GROUP_BITS = 4  # a superblock is 2**4 base blocks
_GROUP = 1 << _GROUP_BITS
_SEARCH_GRID = 64  # interpolation knots for the column-boundary search
_SEARCH_WINDOW = 8  # samples checked around each interpolated guess (one cache line)


@dataclass(frozen=True)
class QueryStats:
    """What the last query did (for the policy's label and for tests)."""

    mode: str  # "empty", "raw" or "m4"
    points_in_view: int
    points_out: int
    elements_read: int  # raw samples + table rows read to reduce the columns


# ---------------------------------------------------------------------- reference and helpers


def column_edges(t0: float, t1: float, width: int) -> np.ndarray:
    """``width + 1`` column boundaries; column c is [e[c], e[c+1]), the last one also holds t1."""
    edges = np.linspace(t0, t1, int(width) + 1)
    edges[-1] = t1
    return np.minimum(edges, t1)


def _nan_gaps(y: np.ndarray) -> np.ndarray:
    """Gaps as NaN (in place), so the line breaks there whatever the gap value was."""
    y[~np.isfinite(y)] = np.nan
    return y


def collapse_nan_runs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep only the first of consecutive NaN points: one NaN already breaks the line."""
    nan = np.isnan(y)
    if len(y) < 2 or not nan.any():
        return x, y
    keep = np.ones(len(y), dtype=bool)
    keep[1:] = ~(nan[1:] & nan[:-1])
    return x[keep], y[keep]


def column_picks(idx: np.ndarray, v: np.ndarray) -> set[int]:
    """The M4 picks of one column (sample indices ``idx``, non-empty, in order): its first and
    last sample, the first min and the first max among its finite samples, its first gap."""
    picks = {int(idx[0]), int(idx[-1])}
    finite = np.isfinite(v[idx])
    good, bad = idx[finite], idx[~finite]
    if len(good):
        picks.add(int(good[np.argmin(v[good])]))
        picks.add(int(good[np.argmax(v[good])]))
    if len(bad):
        picks.add(int(bad[0]))
    return picks


def m4_bruteforce(
    t: np.ndarray, v: np.ndarray, t0: float, t1: float, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Reference M4, one column at a time; defines exactly what :meth:`MinMaxPyramid.query` draws.

    Per non-empty column: its first and last sample, the first occurrence of the min and of the
    max among its finite samples, and its first gap sample. Plus the last sample before t0 and
    the first after t1, so the line reaches the borders. All in sample order, each once; gaps are
    output with y = NaN and consecutive NaN points are reduced to the first one.
    """
    edges = column_edges(t0, t1, width)
    picks: set[int] = set()
    if t1 > t0 and width >= 1:
        col = np.searchsorted(edges, t, side="right") - 1
        col[t == t1] = width - 1
        for c in range(width):
            idx = np.flatnonzero(col == c)
            if len(idx):
                picks.update(column_picks(idx, v))
        before, after = np.flatnonzero(t < t0), np.flatnonzero(t > t1)
        picks.update(int(i) for i in (*before[-1:], *after[:1]))
    xs: list[float] = []
    ys: list[float] = []
    for i in sorted(picks):
        y = float(v[i]) if np.isfinite(v[i]) else float("nan")
        if np.isnan(y) and ys and np.isnan(ys[-1]):
            continue
        xs.append(float(t[i]))
        ys.append(y)
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)


def search_sorted(t: np.ndarray, lo: int, hi: int, keys: np.ndarray) -> np.ndarray:
    """``np.searchsorted(t[lo:hi], keys, "left") + lo`` for sorted keys, usually much faster.

    Why: a binary search per pixel column misses the cache ~15 times each. Here a piecewise
    linear guess from a few knots is checked against a small window of samples around it;
    only keys whose window does not bracket them fall back to the binary search.
    """
    n = hi - lo
    if n <= 4 * _SEARCH_WINDOW or len(keys) < 8:
        found: np.ndarray = np.searchsorted(t[lo:hi], keys, "left") + lo
        return found
    knots = np.linspace(lo, hi - 1, _SEARCH_GRID + 1).astype(_I64)
    guess = np.ceil(np.interp(keys, t[knots], knots)).astype(_I64)
    w = _SEARCH_WINDOW
    start = np.clip(guess - w // 2, lo, hi - w)
    below = (t.take(start + np.arange(w, dtype=_I64)[:, None]) < keys).sum(axis=0)
    pos: np.ndarray = start + below
    bad = ((below == 0) & (start > lo)) | ((below == w) & (start + w < hi))
    if bad.any():
        pos[bad] = np.searchsorted(t[lo:hi], keys[bad], "left") + lo
    return pos


# ---------------------------------------------------------------------- block statistics


def _base_stats(vals: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Hot and cold rows for whole blocks ``vals`` (m, B); ``start`` is the first's index."""
    m, size = vals.shape
    finite = np.isfinite(vals)
    clean = bool(finite.all())
    lo = vals if clean else np.where(finite, vals, _INF)
    hi = vals if clean else np.where(finite, vals, -_INF)
    amn, amx = lo.argmin(axis=1), hi.argmax(axis=1)
    base = start + size * np.arange(m, dtype=_I64)
    hot, cold = np.empty((m, 4)), np.empty((m, 4))
    hot[:, MN] = np.take_along_axis(lo, amn[:, None], 1)[:, 0]
    hot[:, MX] = np.take_along_axis(hi, amx[:, None], 1)[:, 0]
    hot[:, IMN] = base + amn
    hot[:, IMX] = base + amx
    if clean:
        cold[:, GAP] = _INF
        cold[:, SUM] = vals.sum(axis=1)
        cold[:, CNT] = size
        cold[:, ILAST] = base + size - 1
        return hot, cold
    hot[hot[:, MN] == _INF, IMN] = _INF
    hot[hot[:, MX] == -_INF, IMX] = _INF
    cold[:, GAP] = np.where(finite.all(axis=1), _INF, base + finite.argmin(axis=1))
    cold[:, SUM] = np.where(finite, vals, 0.0).sum(axis=1)
    cold[:, CNT] = finite.sum(axis=1)
    last = base + size - 1 - finite[:, ::-1].argmax(axis=1)
    cold[:, ILAST] = np.where(cold[:, CNT] > 0, last, -_INF)
    return hot, cold


def _pick(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Hot rows of the union of two ranges, ``left`` being the earlier (it wins ties)."""
    right_wins = np.empty(left.shape, dtype=bool)
    right_wins[..., 0::2] = (right[..., MN] < left[..., MN])[..., None]
    right_wins[..., 1::2] = (right[..., MX] > left[..., MX])[..., None]
    return np.where(right_wins, right, left)


def _merge(hot: np.ndarray, cold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent rows from interleaved child rows (left, right, left, ...)."""
    cl, cr = cold[0::2], cold[1::2]
    out_cold = cl + cr
    out_cold[:, GAP] = np.minimum(cl[:, GAP], cr[:, GAP])
    out_cold[:, ILAST] = np.maximum(cl[:, ILAST], cr[:, ILAST])
    return _pick(hot[0::2], hot[1::2]), out_cold


def _scan(hot: np.ndarray, gap: np.ndarray, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """Running extremes along axis 1 of (m, g, 4) rows: prefixes, or suffixes if ``reverse``.

    Ties keep the earlier sample: a prefix only moves on a strictly better block, a suffix
    (scanned backwards) also on an equal one.
    """
    if reverse:
        hot, gap = hot[:, ::-1], gap[:, ::-1]
    steps = np.arange(hot.shape[1])
    out = np.empty_like(hot)
    for val_f, at_f, acc, better in (
        (MN, IMN, np.minimum, np.less),
        (MX, IMX, np.maximum, np.greater),
    ):
        val = hot[:, :, val_f]
        run = acc.accumulate(val, axis=1)
        moved = better(val[:, 1:], run[:, :-1])
        if reverse:
            moved |= val[:, 1:] == run[:, :-1]
        src = np.zeros(val.shape, dtype=_I64)
        src[:, 1:] = np.where(moved, steps[1:], 0)
        src = np.maximum.accumulate(src, axis=1)
        out[:, :, val_f] = run
        out[:, :, at_f] = np.take_along_axis(hot[:, :, at_f], src, axis=1)
    run_gap = np.minimum.accumulate(gap, axis=1)
    return (out[:, ::-1], run_gap[:, ::-1]) if reverse else (out, run_gap)


def _extreme(vals: np.ndarray, at: np.ndarray, smallest: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per column of (S, C) values: the extreme and the least ``at`` among slots holding it.

    ``at`` holds each slot's first occurrence; the least over tied slots is the column's first
    occurrence, since whatever slot covers that sample is tied. inf where nothing is finite.
    """
    if smallest:
        best, none = vals.min(axis=0, initial=_INF), _INF
    else:
        best, none = vals.max(axis=0, initial=-_INF), -_INF
    first_at = np.where(vals == best, at, _INF).min(axis=0, initial=_INF)
    first_at[best == none] = _INF
    return best, first_at


def _raw_extreme(
    pos: np.ndarray, vals: np.ndarray, first: int, smallest: bool
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_extreme` for raw windows: positions ``pos`` (ints) become absolute indices."""
    best, none = (vals.min(axis=0), _INF) if smallest else (vals.max(axis=0), -_INF)
    at = (np.where(vals == best, pos, _BIG).min(axis=0) + first).astype(np.float64)
    at[best == none] = _INF
    return best, at


def _combine(
    one: tuple[np.ndarray, np.ndarray], two: tuple[np.ndarray, np.ndarray], smallest: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(best, at) over the union of two covers of the same columns."""
    best = np.minimum(one[0], two[0]) if smallest else np.maximum(one[0], two[0])
    at = np.minimum(np.where(one[0] == best, one[1], _INF), np.where(two[0] == best, two[1], _INF))
    return best, at


def _swap(
    p: tuple[np.ndarray, np.ndarray], q: tuple[np.ndarray, np.ndarray]
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Compare-exchange of (position, value) pairs by position, element-wise."""
    later = p[0] > q[0]
    lo = (np.where(later, q[0], p[0]), np.where(later, q[1], p[1]))
    hi = (np.where(later, p[0], q[0]), np.where(later, p[1], q[1]))
    return lo, hi


def _aligned_rows(n: int, width: int) -> np.ndarray:
    """An (n, width) float64 array whose rows start on 64-byte boundaries (cache lines)."""
    flat = np.empty(n * width + 8)
    skip = (-flat.ctypes.data % 64) // 8
    return flat[skip : skip + n * width].reshape(n, width)


@dataclass
class _Columns:
    """Per column: its range, (value, first index) of min and max, first gap, end values."""

    a: np.ndarray  # absolute index of the first sample
    b: np.ndarray  # one past the last
    mn: tuple[np.ndarray, np.ndarray]  # (value, absolute index as float; inf = none)
    mx: tuple[np.ndarray, np.ndarray]
    gap: np.ndarray | None  # absolute index of the first gap (inf = none); None: no gaps
    ends: tuple[np.ndarray, np.ndarray]  # values of the first and the last sample
    read: int  # raw samples and table rows read

    def points(self, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Ring positions and values of the M4 points, in order, each once.

        Values travel with their positions through a sorting network on the three middle
        candidates of each column, so only the times need a gather from the ring.
        """
        mid = [(self.mn[1], self.mn[0]), (self.mx[1], self.mx[0])]
        if self.gap is not None:
            mid.append((self.gap, np.full(len(self.gap), np.nan)))
            mid[1], mid[2] = _swap(mid[1], mid[2])
        mid[0], mid[1] = _swap(mid[0], mid[1])
        if self.gap is not None:
            mid[1], mid[2] = _swap(mid[1], mid[2])
        start, end = self.a.astype(np.float64), (self.b - 1).astype(np.float64)
        pos = np.stack((start, *(m[0] for m in mid), end), axis=1).ravel()
        val = np.stack((self.ends[0], *(m[1] for m in mid), self.ends[1]), axis=1).ravel()
        keep = pos < _INF
        pos, val = pos[keep], val[keep]
        keep = np.concatenate(([True], pos[1:] != pos[:-1]))
        return pos[keep].astype(_I64) - first, val[keep]


@dataclass
class _Cover:
    """Table rows covering some columns: hot (S, C, 4), and the first gap per column if asked."""

    hot: np.ndarray
    gap: np.ndarray | None


# ---------------------------------------------------------------------- the pyramid


class MinMaxPyramid:
    """Per-stream level-of-detail cache kept in step with a :class:`RingBuffer`.

    Three tables, all keyed by absolute sample index and sized for the ring's capacity:

    - the pyramid: per aligned block of ``2**k`` samples (k >= ``base_level``) hot rows (min,
      max, their first indices) and cold rows (first gap, finite sum and count, last finite);
    - edge rows: per base block, the extremes from the start of its superblock (16 base
      blocks) up to it and from it to the superblock's end (row j holds the prefix of block
      j - 1 and the suffix of block j + 1: the two columns meeting in block j share it);
    - a sparse table over superblocks: extremes of every run of 2**l superblocks (levels are
      filled on first use).

    A pixel column crossing a superblock boundary is then covered by one suffix, at most two
    sparse-table rows and one prefix, plus a raw window at each end; a shorter one by the first
    and the last pyramid block of each level. Memory is 13-15 bytes per sample of capacity at
    base level 4 (the ring itself uses 16-20). ``raw_factor``: with at most
    ``raw_factor * width`` samples in view, :meth:`query` returns them all (exact, and cheaper).
    """

    def __init__(self, capacity: int, base_level: int = 4, raw_factor: float = 4.0) -> None:
        if capacity < 1 or base_level < 1:
            raise ValueError("capacity and base_level must be at least 1")
        self.capacity = int(capacity)
        self.base_level = k0 = int(base_level)
        self.raw_factor = float(raw_factor)
        self.top_level = max(k0, self.capacity.bit_length() - 1)
        # slack at the base level: a scan rewrites up to a superblock before the new blocks
        sizes = [
            (self.capacity >> k) + 2 + (_GROUP + 4) * (k == k0)
            for k in range(k0, self.top_level + 1)
        ]
        self._size = np.array(sizes, dtype=_I64)
        self._off = 1 + np.concatenate(([0], np.cumsum(self._size)[:-1])).astype(_I64)
        rows = 1 + int(self._size.sum())
        self._hot, self._cold = np.empty((rows, 4)), np.empty((rows, 4))
        self._hot[0], self._cold[0] = _EMPTY_HOT, _EMPTY_COLD
        self._edge, self._edge_gap = _aligned_rows(sizes[0], 8), np.empty((sizes[0], 2))
        self._sb_level = k0 + _GROUP_BITS
        self._st_size = (self.capacity >> self._sb_level) + 2
        st_levels = max(1, (self.capacity >> self._sb_level).bit_length())
        self._st = np.empty((1 + st_levels * self._st_size, 4))  # np.empty: unused levels
        self._st_gap = np.empty(len(self._st))  # cost no resident memory
        self._st[0], self._st_gap[0] = _EMPTY_HOT, _INF
        self._reset()
        self.last_stats = QueryStats("empty", 0, 0, 0)

    @classmethod
    def for_buffer(cls, rb: RingBuffer, **kwargs: float) -> MinMaxPyramid:
        """A pyramid sized for ``rb``, already caught up with it."""
        pyr = cls(rb.capacity, **kwargs)  # type: ignore[arg-type]
        pyr.update(rb)
        return pyr

    @property
    def total(self) -> int:
        """Samples folded in so far (the ring's ``total`` at the last update)."""
        return self._total

    @property
    def nbytes(self) -> int:
        """Memory held by the tables (sparse-table levels count once filled)."""
        scans = self._edge.nbytes + self._edge_gap.nbytes
        sparse = (1 + self._st_levels) * self._st_size * 40
        return int(self._hot.nbytes + self._cold.nbytes + scans + sparse)

    def _reset(self) -> None:
        self._total = 0
        self._done = [0] * (self.top_level + 1)  # per level: blocks below this index are done
        self._last_gap = -1  # absolute index of the newest gap sample seen
        self._st_levels = 0  # sparse-table levels kept up to date (level 0 always)
        self._st_done = [0] * (len(self._st) // self._st_size + 1)

    # ------------------------------------------------------------------ update

    def update(self, rb: RingBuffer) -> None:
        """Fold the samples appended since the last call in (amortised O(1) per sample).

        Call it after ``rb.append`` (or leave it to :meth:`query`, which catches up). Blocks whose
        samples were dropped before they were seen are skipped: no query can need them, since
        queries only read blocks lying wholly inside the stored samples.
        """
        if len(rb) > self.capacity:  # what it stores, not its capacity (series/stream_lod.py)
            raise ValueError("the ring holds more samples than this pyramid was sized for")
        total, first = rb.total, rb.first_index
        if total < self._total:  # a different or cleared buffer: start over
            self._reset()
        if total == self._total:
            return
        new = rb.v[max(self._total, first) - first :]
        bad = np.flatnonzero(~np.isfinite(new))
        if len(bad):
            self._last_gap = total - len(new) + int(bad[-1])
        self._total = total
        span = self._fill_base(rb, first)
        if span is None:
            return
        self._fill_scans(*span, first)
        self._fill_sparse(first, self._st_levels)
        for k in range(self.base_level + 1, self.top_level + 1):
            if not self._fill_level(k, first):
                break

    def _span(self, k: int, j0: int, j1: int) -> slice | np.ndarray:
        """Table rows of level-k blocks [j0, j1): a slice unless the circle wraps."""
        i = k - self.base_level
        off, size = int(self._off[i]), int(self._size[i])
        s = j0 % size
        if s + (j1 - j0) <= size:
            return slice(off + s, off + s + (j1 - j0))
        return off + np.arange(j0, j1, dtype=_I64) % size

    def _fill_base(self, rb: RingBuffer, first: int) -> tuple[int, int] | None:
        k = self.base_level
        j0 = max(self._done[k], -(-first >> k))
        j1 = rb.total >> k
        self._done[k] = max(self._done[k], j1)
        if j1 <= j0:
            return None
        p0 = (j0 << k) - first
        vals = rb.v[p0 : p0 + ((j1 - j0) << k)].reshape(-1, 1 << k)
        rows = self._span(k, j0, j1)
        self._hot[rows], self._cold[rows] = _base_stats(vals, j0 << k)
        return j0, j1

    def _fill_level(self, k: int, first: int) -> bool:
        j0 = max(self._done[k], -(-first >> k))
        j1 = self._done[k - 1] >> 1
        self._done[k] = max(self._done[k], j1)
        if j1 <= j0:
            return False
        children = self._span(k - 1, 2 * j0, 2 * j1)
        rows = self._span(k, j0, j1)
        self._hot[rows], self._cold[rows] = _merge(self._hot[children], self._cold[children])
        return True

    def _fill_scans(self, j0: int, j1: int, first: int) -> None:
        """Prefixes of the superblocks holding new base blocks [j0, j1); suffixes (and sparse
        level 0) of those the new blocks completed. Rows of dropped samples are never read."""
        js = (j0 >> _GROUP_BITS) << _GROUP_BITS
        n = j1 - js
        m = -(-n // _GROUP)
        rows = self._span(self.base_level, js, j1)
        hot: np.ndarray = np.empty((m * _GROUP, 4))
        gap: np.ndarray = np.full(m * _GROUP, _INF)
        hot[:n], hot[n:] = self._hot[rows], _EMPTY_HOT
        gap[:n] = self._cold[rows][:, GAP]
        hot, gap = hot.reshape(m, _GROUP, 4), gap.reshape(m, _GROUP)
        nb = len(self._edge)
        pre, pre_gap = _scan(hot, gap, reverse=False)
        after = np.arange(js + 1, j1 + 1, dtype=_I64) % nb  # prefix of j lives in row j + 1
        self._edge[after, :4], self._edge_gap[after, 0] = (
            pre.reshape(-1, 4)[:n],
            pre_gap.ravel()[:n],
        )
        s0, s1 = j0 >> _GROUP_BITS, j1 >> _GROUP_BITS
        if s1 <= s0:
            return
        suf, suf_gap = _scan(hot[: s1 - s0], gap[: s1 - s0], reverse=True)
        before = (after[: (s1 - s0) * _GROUP] - 2) % nb  # suffix of j lives in row j - 1
        self._edge[before, 4:], self._edge_gap[before, 1] = suf.reshape(-1, 4), suf_gap.ravel()
        keep = np.arange(s0, s1) >= -(-first >> self._sb_level)
        st = self._st_rows(0, np.arange(s0, s1, dtype=_I64)[keep])
        self._st[st], self._st_gap[st] = suf[keep, 0], suf_gap[keep, 0]

    def _st_rows(self, level: int | np.ndarray, sblocks: np.ndarray) -> np.ndarray:
        return 1 + level * self._st_size + sblocks % self._st_size

    def _fill_sparse(self, first: int, levels: int) -> None:
        """Sparse-table levels 1..levels for every run of whole, stored superblocks."""
        complete = self._done[self.base_level] >> _GROUP_BITS
        valid = -(-first >> self._sb_level)
        for lev in range(1, levels + 1):
            half = 1 << (lev - 1)
            j0, j1 = max(self._st_done[lev], valid), complete - 2 * half + 1
            self._st_done[lev] = max(self._st_done[lev], j1)
            if j1 <= j0:
                continue
            s = np.arange(j0, j1, dtype=_I64)
            left, right = self._st_rows(lev - 1, s), self._st_rows(lev - 1, s + half)
            rows = self._st_rows(lev, s)
            self._st[rows] = _pick(self._st[left], self._st[right])
            self._st_gap[rows] = np.minimum(self._st_gap[left], self._st_gap[right])
        self._st_levels = max(self._st_levels, levels)

    # ------------------------------------------------------------------ covers
    #
    # Arrays are laid out (slot, column): reductions run along axis 0, which numpy does as fast
    # element-wise passes over contiguous rows (measured faster than argmin along rows).

    def _levels(self, kmax: int, first: int) -> tuple[np.ndarray, ...]:
        """Per level b..kmax, as (L, 1) columns: k, table offset, circle size and circle base.

        Blocks a query can use lie in [lo, lo + size), lo being the first whole block after
        ``first``; so ``blk - base`` is in [0, 2 * size) and one conditional subtraction
        replaces a (slow) integer modulo.
        """
        ks = np.arange(self.base_level, kmax + 1, dtype=_I64)
        size = self._size[: len(ks)]
        base = (-(-first >> ks) // size) * size
        return ks[:, None], self._off[: len(ks), None], size[:, None], base[:, None]

    @staticmethod
    def _circ(blk: np.ndarray, off: np.ndarray, size: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Table row of absolute block ``blk`` (see :meth:`_levels`)."""
        row: np.ndarray = blk + (off - base)
        np.subtract(row, size, out=row, where=blk >= base + size)
        return row

    def _kmax(self, longest: int) -> int:
        return min(self.top_level, int(longest).bit_length() - 1)

    def _chain_cover(self, a: np.ndarray, b: np.ndarray, first: int, gaps: bool) -> _Cover:
        """Per level, the first and the last whole pyramid block inside each [a, b).

        With raw windows of 2**base_level samples at each end they cover the range (overlapping,
        which min/max/first-gap do not mind). Missing blocks read row 0.
        """
        kmax = self._kmax((b - a).max())
        if kmax < self.base_level:
            return _Cover(np.empty((0, len(a), 4)), None)
        ks, off, size, base = self._levels(kmax, first)
        lo, hi = -(-a >> ks), b >> ks
        ok = lo < hi
        rows = np.concatenate(
            (self._circ(lo, off, size, base) * ok, self._circ(hi - 1, off, size, base) * ok)
        )
        gap = self._cold.take(rows, axis=0)[:, :, GAP].min(axis=0) if gaps else None
        return _Cover(self._hot.take(rows, axis=0), gap)

    def _superblock_cover(self, a: np.ndarray, b: np.ndarray, first: int, gaps: bool) -> _Cover:
        """Ranges [a, b) whose inner base blocks ja..jb span superblocks sa < sb: the suffix of
        ja, the superblocks in between (two overlapping sparse-table runs), the prefix of jb.

        Edge row j holds the prefix of block j - 1 and the suffix of block j + 1, so the two
        columns meeting at a boundary in block j read one 64-byte row between them.
        """
        k0, nb = self.base_level, len(self._edge)
        row_a, row_b = (a >> k0) % nb, (b >> k0) % nb
        sa, sb = ((a >> k0) + 1) >> _GROUP_BITS, ((b >> k0) - 1) >> _GROUP_BITS
        between = sb - sa - 1
        level = np.frexp(np.maximum(between, 1).astype(np.float64))[1].astype(_I64) - 1
        need = int(level.max())
        if need > self._st_levels:
            self._fill_sparse(first, need)
        use = between > 0
        st1 = self._st_rows(level, sa + 1) * use
        st2 = self._st_rows(level, sb - (1 << level)) * use
        suf = self._edge.take(row_a, axis=0)[:, 4:]
        pre = self._edge.take(row_b, axis=0)[:, :4]
        hot = np.stack((suf, self._st.take(st1, axis=0), self._st.take(st2, axis=0), pre))
        gap = None
        if gaps:
            gap = np.minimum(
                np.minimum(self._edge_gap[row_a, 1], self._edge_gap[row_b, 0]),
                np.minimum(self._st_gap[st1], self._st_gap[st2]),
            )
        return _Cover(hot, gap)

    # ------------------------------------------------------------------ queries

    def _m4_reduce(self, a: np.ndarray, b: np.ndarray, v: np.ndarray, first: int) -> _Columns:
        """M4 candidates of the ranges [a, b) (absolute indices, non-empty)."""
        k0 = self.base_level
        r = 1 << k0  # whole base blocks: see _superblock_cover
        ap, bp = a - first, b - first
        ar = np.arange(r, dtype=_I64)[:, None]
        if (bp - ap).min() >= r:  # every column is wider than the windows: no clipping
            pos = np.concatenate((ap + ar, bp - r + ar))
        else:
            pos = np.concatenate((np.minimum(ap + ar, bp - 1), np.maximum(bp - r + ar, ap)))
        rv = v.take(pos)  # (sample, column): the raw windows at both ends of each column
        gaps = bool(self._last_gap >= a[0])  # else every sample in view is finite
        finite = np.isfinite(rv) if gaps else None
        lo = rv if finite is None else np.where(finite, rv, _INF)
        hi = rv if finite is None else np.where(finite, rv, -_INF)
        mn, mx = _raw_extreme(pos, lo, first, True), _raw_extreme(pos, hi, first, False)
        mn_lv, mx_lv, gap_lv, read = self._table_extremes(a, b, first, gaps)
        mn, mx = _combine(mn, mn_lv, smallest=True), _combine(mx, mx_lv, smallest=False)
        gap = None
        if finite is not None:
            raw_gap = (np.where(finite, _BIG, pos).min(axis=0) + first).astype(np.float64)
            raw_gap[raw_gap >= _BIG] = _INF
            gap = np.minimum(raw_gap, gap_lv)
        return _Columns(a, b, mn, mx, gap, (rv[0], rv[-1]), read + pos.size)

    def _table_extremes(
        self, a: np.ndarray, b: np.ndarray, first: int, gaps: bool
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], np.ndarray, int]:
        """(value, first index) of min and max, and the first gap, over the table rows that
        cover the inside of each column; columns spanning superblocks need only 4 rows."""
        c, k0 = len(a), self.base_level
        mn = (np.full(c, _INF), np.full(c, _INF))
        mx = (np.full(c, -_INF), np.full(c, _INF))
        gap = np.full(c, _INF)
        ja, jb = (a >> k0) + 1, (b >> k0) - 1  # inner base blocks, beyond the raw windows
        across = (ja <= jb) & ((ja >> _GROUP_BITS) < (jb >> _GROUP_BITS))
        read = 0
        for mask, wide in ((across, True), (~across, False)):
            count = int(np.count_nonzero(mask))
            if count == 0:
                continue
            sel = slice(None) if count == c else np.flatnonzero(mask)
            if wide:
                cover = self._superblock_cover(a[sel], b[sel], first, gaps)
            else:
                cover = self._chain_cover(a[sel], b[sel], first, gaps)
            read += cover.hot.shape[0] * cover.hot.shape[1]
            for out, (f, at), smallest in ((mn, (MN, IMN), True), (mx, (MX, IMX), False)):
                out[0][sel], out[1][sel] = _extreme(
                    cover.hot[:, :, f], cover.hot[:, :, at], smallest
                )
            if cover.gap is not None:
                gap[sel] = cover.gap
        return mn, mx, gap, read

    def _disjoint(
        self, a: np.ndarray, b: np.ndarray, first: int, n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split ranges [a, b) into disjoint pieces, for sums and counts.

        Returns raw positions (2R, C), their validity mask, and table rows (2L, C). Canonical
        segment-tree split: s is the most aligned index in (a, b]; [a, s) takes one block per
        set bit of d = s - a (small first: the level-k block ends where the bits of d above k
        begin), [s, b) one per set bit of e = b - s (big first). Bits below the base level are
        raw samples at both ends.
        """
        k0 = self.base_level
        h = (np.frexp((a ^ b).astype(np.float64))[1] - 1).astype(_I64)
        s = (b >> h) << h
        d, e = s - a, b - s
        low = (1 << k0) - 1
        ar = np.arange(low, dtype=_I64)[:, None]
        pos = np.concatenate((a - first + ar, b - first - (e & low) + ar))
        ok = np.concatenate((ar < (d & low), ar < (e & low)))
        np.minimum(pos, n - 1, out=pos)
        kmax = self._kmax(np.maximum(d, e).max())
        if kmax < k0:
            return pos, ok, np.zeros((0, len(a)), dtype=_I64)
        ks, off, size, base = self._levels(kmax, first)
        left = ((s - ((d >> ks) << ks)) >> ks, (d >> ks) & 1)
        right = ((s + ((e >> (ks + 1)) << (ks + 1))) >> ks, (e >> ks) & 1)
        slots = [use * self._circ(blk, off, size, base) for blk, use in (left, right)]
        return pos, ok, np.concatenate(slots)

    # ------------------------------------------------------------------ entry points

    def _catch_up(self, rb: RingBuffer) -> None:
        if rb.total != self._total:
            self.update(rb)

    def query(
        self, rb: RingBuffer, t0: float, t1: float, width: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """x/y (new float64 arrays) to draw ``rb`` over [t0, t1] at ``width`` pixel columns.

        Either the raw samples in view (when few) or the M4 points of :func:`m4_bruteforce`;
        both with one sample beyond each edge, gaps as NaN (draw with ``connect="finite"``) and
        runs of gap samples reduced to one NaN point.
        """
        t, v = rb.t, rb.v
        n, width = len(t), int(width)
        if n == 0 or width < 1 or not (t1 > t0):
            self.last_stats = QueryStats("empty", 0, 0, 0)
            return np.empty(0), np.empty(0)
        lo = int(np.searchsorted(t, t0, "left"))
        hi = int(np.searchsorted(t, t1, "right"))
        if hi - lo <= self.raw_factor * width:
            a, b = max(lo - 1, 0), min(hi + 1, n)
            x, y = collapse_nan_runs(t[a:b].copy(), _nan_gaps(v[a:b].copy()))
            self.last_stats = QueryStats("raw", hi - lo, len(x), b - a)
            return x, y
        self._catch_up(rb)
        first = rb.first_index
        bounds = np.empty(width + 1, dtype=_I64)
        bounds[0], bounds[-1] = lo, hi
        bounds[1:-1] = search_sorted(t, lo, hi, column_edges(t0, t1, width)[1:-1])
        nonempty = bounds[1:] > bounds[:-1]
        starts, ends = bounds[:-1][nonempty] + first, bounds[1:][nonempty] + first
        cols = self._m4_reduce(starts, ends, v, first)
        idx, y = cols.points(first)
        if lo > 0:
            idx, y = np.concatenate(([lo - 1], idx)), np.concatenate((v[lo - 1 : lo], y))
        if hi < n:
            idx, y = np.concatenate((idx, [hi])), np.concatenate((y, v[hi : hi + 1]))
        x = t[idx]
        if cols.gap is not None or not np.isfinite(y[[0, -1]]).all():
            x, y = collapse_nan_runs(x, _nan_gaps(y))
        self.last_stats = QueryStats("m4", hi - lo, len(x), cols.read)
        return x, y

    def m4_columns(
        self, rb: RingBuffer, a: np.ndarray, b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int, int]:
        """M4 picks of the non-empty ranges [a, b) (absolute indices) in O(ranges): an
        (m, 5) int64 array of (first, first min, first max, first gap, last) with -1 for none,
        the (m, 2) min/max values (inf/-inf: none), the absolute index of the newest gap seen
        (-1: none) and the elements read. :class:`M4Cache` builds huge views with it."""
        self._catch_up(rb)
        cols = self._m4_reduce(a, b, rb.v, rb.first_index)
        picks = np.empty((len(a), 5), dtype=_I64)
        picks[:, 0], picks[:, 4] = a, b - 1
        for j, (_, at) in ((1, cols.mn), (2, cols.mx)):
            picks[:, j] = np.where(at < _INF, at, -1)
        picks[:, 3] = -1 if cols.gap is None else np.where(cols.gap < _INF, cols.gap, -1)
        ext = np.column_stack((cols.mn[0], cols.mx[0]))
        return picks, ext, self._last_gap, cols.read

    def aggregate(self, rb: RingBuffer, t0: float, t1: float, bucket_s: float) -> Aggregates:
        """Same as :func:`streamscope.core.series.aggregate.aggregate` on the raw samples, in
        O(buckets · log n) instead of O(samples) (sums may differ in the last bits)."""
        t, v = rb.t, rb.v
        edges = bucket_edges(t0, t1, bucket_s)
        agg = empty_aggregates(edges, bucket_s)
        if len(t) == 0 or len(edges) < 2:
            return agg
        self._catch_up(rb)
        first = rb.first_index
        bounds = np.searchsorted(t, edges, "left").astype(_I64)
        nonempty = np.flatnonzero(bounds[1:] > bounds[:-1])
        if len(nonempty) == 0:
            return agg
        a, b = bounds[nonempty] + first, bounds[nonempty + 1] + first
        pos, ok, slots = self._disjoint(a, b, first, len(t))
        rv = v.take(pos)
        ok &= np.isfinite(rv)
        hot, cold = self._hot.take(slots, axis=0), self._cold.take(slots, axis=0)
        cnt = ok.sum(axis=0) + cold[:, :, CNT].sum(axis=0).astype(_I64)
        total = np.where(ok, rv, 0.0).sum(axis=0) + cold[:, :, SUM].sum(axis=0)
        mn = np.minimum(np.where(ok, rv, _INF).min(axis=0), hot[:, :, MN].min(axis=0, initial=_INF))
        mx = np.maximum(
            np.where(ok, rv, -_INF).max(axis=0), hot[:, :, MX].max(axis=0, initial=-_INF)
        )
        raw_last = np.where(ok, pos + first, -1).max(axis=0)
        ilast = np.maximum(raw_last, cold[:, :, ILAST].max(axis=0, initial=-_INF))
        has = cnt > 0
        at = nonempty[has]
        agg.count[at] = cnt[has]
        agg.sum[at] = total[has]
        agg.mean[at] = total[has] / cnt[has]
        agg.min[at] = mn[has]
        agg.max[at] = mx[has]
        agg.last[at] = v[ilast[has].astype(_I64) - first]
        return agg
