"""What one curve draws for a visible time range: at most a few points per pixel column.

Pure numpy over a stream's contiguous ring view; the render clock calls it once per curve
per frame. Min/max per pixel column keeps every spike visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streamscope.core.series.ringbuffer import RingBuffer


@dataclass(slots=True)
class Points:
    """What one curve shows (x session-relative): the points, how many stored samples they
    stand for, and the min/max band edges when they are bucket means (aggregated)."""

    x: np.ndarray
    y: np.ndarray
    in_view: int  # stored samples inside the requested range
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None

    @property
    def decimated(self) -> bool:
        return len(self.x) < self.in_view

    def clip_to(self, x_max: float) -> Points:
        """Without what lies after ``x_max`` (data that arrived after a pause)."""
        keep = self.x <= x_max
        if keep.all():
            return self
        cut = [a[keep] if a is not None else None for a in (self.lo, self.hi)]
        return Points(self.x[keep], self.y[keep], self.in_view, *cut)


def visible_slice(ring: RingBuffer, t0: float, t1: float) -> tuple[int, int]:
    """Index bounds covering [t0, t1] plus one sample either side, so lines reach the edges."""
    i0, i1 = ring.range_indices(t0, t1)
    return max(0, i0 - 1), min(len(ring), i1 + 1)


def minmax_columns(
    t: np.ndarray, v: np.ndarray, t0: float, t1: float, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel column, the min and max sample in time order (NaN gaps are skipped)."""
    edges = np.linspace(t0, t1, width + 1)
    starts = np.searchsorted(t, edges[:-1], "left")
    nonempty = np.flatnonzero(np.diff(np.append(starts, len(t))) > 0)
    starts = starts[nonempty]
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(v, starts)
        hi = np.fmax.reduceat(v, starts)
    # order min/max by which came first is not tracked here: drawing both at the column
    # centre makes the vertical stroke that matters at this zoom.
    xc = t[starts]
    x = np.repeat(xc, 2)
    y = np.column_stack([lo, hi]).ravel()
    return x, y


def curve_points(ring: RingBuffer, origin: float, x0: float, x1: float, width: int) -> Points:
    """Points to draw for session-relative range [x0, x1] at ``width`` pixels."""
    t0, t1 = x0 + origin, x1 + origin
    i0, i1 = visible_slice(ring, t0, t1)
    t, v = ring.t[i0:i1], ring.v[i0:i1]
    n = len(t)
    if n <= 4 * max(width, 1):
        return Points(t - origin, v.copy(), n)
    x, y = minmax_columns(t, v, t0, t1, max(width, 1))
    return Points(x - origin, y, n)
