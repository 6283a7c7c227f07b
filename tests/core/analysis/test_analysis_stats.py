"""Streaming statistics against numpy on random data: whole stream and sliding windows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamscope.core.analysis.stats import (
    Moments,
    OnlineStats,
    WindowStats,
    rate,
    value_before,
)
from streamscope.core.series.ringbuffer import RingBuffer


def chunks(rng, n, max_chunk=500):
    """Split range(n) into random chunk bounds (how samples arrive between frames)."""
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(n - 1, n // 50), replace=False))
    return list(zip(np.r_[0, cuts], np.r_[cuts, n], strict=True))


def test_online_stats_match_numpy_over_random_chunks():
    rng = np.random.default_rng(1)
    n = 20_000
    t = np.cumsum(rng.uniform(0.001, 0.02, n))
    v = 1e6 + rng.normal(0, 3.0, n)  # a large offset: the naive sum-of-squares would fail
    v[rng.choice(n, 50, replace=False)] = np.nan  # gaps are skipped
    s = OnlineStats()
    for a, b in chunks(rng, n):
        s.update(t[a:b], v[a:b])
    view = s.view()
    finite = v[np.isfinite(v)]
    assert view.count == n and view.n == len(finite)
    assert view.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert view.std == pytest.approx(finite.std(ddof=1), rel=1e-9)
    assert (view.min, view.max) == (finite.min(), finite.max())
    assert view.rate_hz == pytest.approx((n - 1) / (t[-1] - t[0]))
    assert view.last_t == t[-1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=0, max_size=30),
        min_size=1,
        max_size=12,
    )
)
def test_chan_merge_equals_one_pass(parts):
    m = Moments()
    for p in parts:
        m.merge(Moments.of(np.array(p, dtype=float)))
    allv = np.array([x for p in parts for x in p], dtype=float)
    assert m.n == len(allv)
    if len(allv):
        assert m.mean == pytest.approx(allv.mean(), rel=1e-9, abs=1e-6)
        assert m.m2 == pytest.approx(((allv - allv.mean()) ** 2).sum(), rel=1e-7, abs=1e-3)
        assert (m.min, m.max) == (allv.min(), allv.max())


def test_remove_is_the_inverse_of_merge():
    rng = np.random.default_rng(2)
    a, b = rng.normal(5, 2, 300), rng.normal(-1, 7, 200)
    m = Moments.of(a)
    m.merge(Moments.of(b))
    m.remove(Moments.of(b))
    assert m.n == 300
    assert m.mean == pytest.approx(a.mean())
    assert m.variance() == pytest.approx(a.var(ddof=1))


@pytest.mark.parametrize("seconds", [0.5, 3.0, 50.0])  # 50 s: longer than the ring holds
def test_window_stats_match_numpy_while_sliding(seconds):
    rng = np.random.default_rng(3)
    n = 30_000
    t = np.cumsum(rng.uniform(0.0005, 0.004, n))
    v = np.cumsum(rng.normal(0, 1, n))  # a random walk: extremes leave the window often
    v[rng.choice(n, 30, replace=False)] = np.nan
    ring = RingBuffer(8_000)  # smaller than the stream: old samples are dropped too
    w = WindowStats(seconds)
    for a, b in chunks(rng, n):
        ring.append(t[a:b], v[a:b])
        w.update(ring)
        view = w.view(ring)
        lo = np.searchsorted(t[:b], t[b - 1] - seconds, "right")
        lo = max(lo, b - 8_000)  # what the ring still holds
        win = v[lo:b]
        fin = win[np.isfinite(win)]
        assert view.count == b - lo
        assert view.n == len(fin)
        if len(fin) >= 2:
            assert view.mean == pytest.approx(fin.mean(), rel=1e-9, abs=1e-9)
            assert view.std == pytest.approx(fin.std(ddof=1), rel=1e-6, abs=1e-9)
            assert (view.min, view.max) == (fin.min(), fin.max())
        assert view.last_t == t[b - 1]
    if seconds < 10:  # fits in the ring: incremental, not recomputed per frame
        assert w.rebuilds < n / 100


def test_window_rate_and_value_before():
    ring = RingBuffer(1000)
    t = np.arange(0, 10, 0.1)
    ring.append(t, t * 2)
    w = WindowStats(2.0)
    w.update(ring)
    view = w.view(ring)
    assert view.count == 20  # (7.9, 9.9]
    assert view.rate_hz == pytest.approx(10.0)
    assert value_before(ring, 5.05) == pytest.approx(10.0)
    assert math.isnan(value_before(ring, -1))
    assert math.isnan(rate(1, 0.0, 0.0))


def test_window_with_only_gaps_has_no_values():
    ring = RingBuffer(100)
    ring.append(np.arange(5.0), np.full(5, np.nan))
    w = WindowStats(10)
    w.update(ring)
    view = w.view(ring)
    assert view.count == 5 and view.n == 0 and math.isnan(view.mean) and math.isnan(view.min)
    ring.append(np.array([5.0]), np.array([3.0]))
    w.update(ring)
    view = w.view(ring)
    assert (view.n, view.min, view.max, view.mean) == (1, 3.0, 3.0, 3.0)
