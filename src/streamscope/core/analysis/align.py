"""Pairing two streams by time for XY plots.

Each sample of the *reference* stream is paired with the other stream's value at that time:
``nearest`` takes the other's closest sample, ``linear`` interpolates between the two samples
around it. A pair is made only when the samples used lie within ``tolerance`` seconds (so a
stream that paused is not joined across the pause); gaps (NaN) make no pair. By default the
reference is the stream with fewer samples, so no sample is invented at the faster rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["linear", "nearest"]
METHODS: tuple[Method, ...] = ("linear", "nearest")


@dataclass(slots=True)
class Aligned:
    t: np.ndarray  # the reference times that got a pair
    x: np.ndarray
    y: np.ndarray


def value_at(
    t_ref: np.ndarray, t: np.ndarray, v: np.ndarray, tolerance: float, method: Method = "linear"
) -> np.ndarray:
    """Values of (t, v) at times ``t_ref`` (``t`` ascending); NaN where no pair is allowed."""
    out = np.full(len(t_ref), np.nan)
    if not len(t) or not len(t_ref):
        return out
    if method == "nearest":
        j = np.searchsorted(t, t_ref, "left")
        left = np.clip(j - 1, 0, len(t) - 1)
        right = np.clip(j, 0, len(t) - 1)
        use_right = np.abs(t[right] - t_ref) < np.abs(t_ref - t[left])
        k = np.where(use_right, right, left)
        ok = np.abs(t[k] - t_ref) <= tolerance
        out[ok] = v[k[ok]]
        return out
    if method != "linear":
        raise ValueError(f"unknown alignment method {method!r} (use one of {METHODS})")
    j = np.searchsorted(t, t_ref, "right")  # t[j-1] <= t_ref < t[j]
    left = j - 1
    has_left = left >= 0
    li = np.clip(left, 0, len(t) - 1)
    ri = np.clip(j, 0, len(t) - 1)
    exact = has_left & (t[li] == t_ref)
    out[exact] = v[li[exact]]
    inner = has_left & ~exact & (j < len(t))
    inner &= (t_ref - t[li] <= tolerance) & (t[ri] - t_ref <= tolerance)
    li, ri, tr = li[inner], ri[inner], t_ref[inner]
    w = (tr - t[li]) / (t[ri] - t[li])
    out[inner] = v[li] + w * (v[ri] - v[li])
    return out


def align_xy(
    tx: np.ndarray,
    vx: np.ndarray,
    ty: np.ndarray,
    vy: np.ndarray,
    tolerance: float,
    method: Method = "linear",
    reference: Literal["auto", "x", "y"] = "auto",
) -> Aligned:
    """Pair stream X (tx, vx) with stream Y (ty, vy) by time; see the module docstring."""
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    if reference == "auto":
        reference = "x" if len(tx) <= len(ty) else "y"
    if reference == "x":
        t, x, y = tx, vx, value_at(tx, ty, vy, tolerance, method)
    else:
        t, x, y = ty, value_at(ty, tx, vx, tolerance, method), vy
    ok = np.isfinite(x) & np.isfinite(y)
    return Aligned(t[ok], x[ok], y[ok])
