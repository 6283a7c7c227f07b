"""M4Cache: incremental aligned-column M4 equals its brute-force reference, and a live frame
reads the new samples, not the window."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.series import m4_cache
from streamscope.core.series.m4_cache import M4Cache, m4_aligned_bruteforce
from streamscope.core.series.ringbuffer import RingBuffer


def _check(cache: M4Cache, rb: RingBuffer, t0: float, t1: float, width: int) -> None:
    x, y = cache.query(rb, t0, t1, width)
    rx, ry = m4_aligned_bruteforce(rb.t, rb.v, t0, t1, cache.w)
    np.testing.assert_array_equal(x, rx)
    np.testing.assert_array_equal(y, ry)  # NaN == NaN here


def _values(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=n).round(1)  # rounded: equal values, so ties are exercised
    if rng.random() < 0.3:
        bad = rng.random(n) < 0.1
        v[bad] = rng.choice([np.nan, np.inf, -np.inf], size=int(bad.sum()))
    return v


def _times(rng: np.random.Generator, last: float, n: int) -> np.ndarray:
    dt = rng.choice([0.0, 0.001, 0.002, 0.0005], size=n)  # equal timestamps included
    if rng.random() < 0.05:
        dt[0] += rng.uniform(0.5, 3.0)  # a pause in the data
    return last + np.cumsum(dt)


def test_random_operations_match_the_reference():
    rng = np.random.default_rng(12345)
    rb = RingBuffer(6000)
    cache = M4Cache()
    window, width, last = 2.0, 200, 0.0
    kinds = ("append", "append", "append", "scroll", "zoom", "resize", "drop", "pan", "reset")
    for step in range(1000):
        kind = kinds[int(rng.integers(len(kinds)))] if step > 3 else "append"
        if kind == "append":
            n = int(rng.integers(1, 5500 if rng.random() < 0.03 else 300))
            t = _times(rng, last, n)
            rb.append(t, _values(rng, n))
            last = float(t[-1])
        elif kind == "zoom":
            window = float(rng.choice([0.05, 0.5, 2.0, 7.0]))
        elif kind == "resize":
            width = int(rng.integers(1, 400))
        elif kind == "drop":
            rb.drop_oldest(int(rng.integers(0, len(rb) // 2 + 2)))
        elif kind == "reset":
            rb, last = RingBuffer(int(rng.integers(100, 6000))), 0.0
            continue
        if not len(rb):
            continue
        t1 = rb.last_t
        if kind == "pan":
            t1 = float(rng.uniform(rb.t[0] - 1, t1))
        _check(cache, rb, t1 - window, t1, width)
    assert cache.rebuilds > 10  # zooms, resizes and resets happened


@pytest.mark.parametrize("forced", [0, 10**9])
def test_both_column_kernels_match_the_reference(monkeypatch, forced):
    """Small appends use stable sorts, big builds reduceat: each must match alone."""
    monkeypatch.setattr(m4_cache, "LEXSORT_MAX", forced)
    rng = np.random.default_rng(7)
    rb, cache, last = RingBuffer(50_000), M4Cache(), 0.0
    for _ in range(60):
        n = int(rng.integers(1, 3000))
        t = _times(rng, last, n)
        rb.append(t, _values(rng, n))
        last = float(t[-1])
        _check(cache, rb, last - 5.0, last, 300)


@pytest.mark.parametrize("window", [30.0, 300.0])
def test_a_live_frame_reads_the_new_samples_not_the_window(window):
    rate, batch, width = 1000, 50, 1200
    rb = RingBuffer(400_000)
    n0 = int(310 * rate)
    t = np.arange(n0) / rate
    rb.append(t, np.sin(t))
    cache = M4Cache()
    cache.query(rb, rb.last_t - window, rb.last_t, width)
    assert cache.last_stats.rebuilt and cache.last_stats.elements_read >= window * rate
    reads = []
    for i in range(40):
        t = (n0 + i * batch + np.arange(batch)) / rate
        rb.append(t, np.sin(t))
        cache.query(rb, rb.last_t - window, rb.last_t, width)
        s = cache.last_stats
        assert not s.rebuilt
        assert s.elements_read == batch  # only the new samples
        assert s.columns_recomputed <= batch * width / (window * rate) + 2
        reads.append(s.elements_read)
    assert max(reads) <= batch
    _check(cache, rb, rb.last_t - window, rb.last_t, width)


def test_a_spike_among_a_million_samples_is_always_drawn():
    rng = np.random.default_rng(3)
    n = 1_000_000
    t = np.arange(n) * 1e-3
    v = rng.normal(size=n)
    at = 612_345
    v[at] = 1e6
    rb = RingBuffer(n)
    cache = M4Cache()
    for chunk in range(0, n, 100_000):  # arrives in batches; the view follows
        rb.append(t[chunk : chunk + 100_000], v[chunk : chunk + 100_000])
        x, y = cache.query(rb, 0.0, rb.last_t, 1000)  # the whole span: w changes each time
        assert (1e6 in y) == (chunk + 100_000 > at)
    for t1 in (t[at] + 1.0, t[at] + 300.0, t[-1]):  # scrolled, the spike still in view
        x, y = cache.query(rb, t1 - 400.0, t1, 1200)
        assert 1e6 in y and t[at] in x


def test_nan_gaps_stay_gaps():
    t = np.arange(20_000) * 1e-3
    v = np.cos(t)
    v[8_000:9_000] = np.nan  # one second without data
    v[15_000] = np.inf
    rb = RingBuffer(50_000)
    cache = M4Cache()
    for i in range(0, len(t), 500):
        rb.append(t[i : i + 500], v[i : i + 500])
        cache.query(rb, rb.last_t - 20.0, rb.last_t, 300)
    x, y = cache.query(rb, 0.0, rb.last_t, 300)
    nan = np.flatnonzero(np.isnan(y))
    assert len(nan) == 2  # one point per gap, however many samples it held
    assert x[nan[0]] == t[8_000] and x[nan[1]] == t[15_000]
    inside = (x > t[8_000]) & (x < t[9_000])
    assert not inside.any()  # nothing drawn inside the gap
    _check(cache, rb, 0.0, rb.last_t, 300)


@pytest.mark.parametrize("gaps", [False, True])
def test_huge_rebuild_from_the_pyramid_matches_the_reference(monkeypatch, gaps):
    """A rebuild over more than PYRAMID_BUILD_MIN samples reads the pyramid's tables, not the
    samples, and still draws exactly the reference; live appends then fold in as usual."""
    from streamscope.core.series.lod import MinMaxPyramid

    monkeypatch.setattr(m4_cache, "PYRAMID_BUILD_MIN", 1000)
    rng = np.random.default_rng(3)
    rb = RingBuffer(200_000)
    n = 150_000
    t = np.cumsum(rng.choice([0.0, 1e-3, 2e-3], size=n))
    v = rng.normal(size=n).round(2)
    if gaps:
        v[rng.random(n) < 0.01] = np.nan
    rb.append(t, v)
    pyr = MinMaxPyramid.for_buffer(rb)
    cache = M4Cache()
    for step in range(40):
        t1 = rb.last_t
        width = 300 if step < 20 else 257  # a resize rebuilds from the pyramid again
        x, y = cache.query(rb, t1 - 120.0, t1, width, pyramid=lambda: pyr)
        if step in (0, 20):
            assert cache.last_stats.rebuilt and cache.last_stats.elements_read < n // 10
        rx, ry = m4_aligned_bruteforce(rb.t, rb.v, t1 - 120.0, t1, cache.w)
        np.testing.assert_array_equal(x, rx)
        np.testing.assert_array_equal(y, ry)
        k = int(rng.integers(1, 60))
        new_v = rng.normal(size=k).round(2)
        rb.append(rb.last_t + np.cumsum(rng.choice([0.0, 1e-3], size=k)), new_v)


def test_a_given_column_width_is_used():
    rb = RingBuffer(10_000)
    rb.append(np.arange(5000) * 1e-3, np.sin(np.arange(5000) * 0.01))
    cache = M4Cache()
    x, y = cache.query(rb, 1.0, 4.0, 300, w=0.0125)
    assert cache.w == 0.0125
    rx, ry = m4_aligned_bruteforce(rb.t, rb.v, 1.0, 4.0, 0.0125)
    np.testing.assert_array_equal(x, rx)
    np.testing.assert_array_equal(y, ry)
