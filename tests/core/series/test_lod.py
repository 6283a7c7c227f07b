"""The min/max pyramid draws exactly what brute-force M4 over the raw samples draws."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.series.lod import MinMaxPyramid, column_edges, m4_bruteforce, search_sorted
from streamscope.core.series.ringbuffer import RingBuffer


def _chunk(rng: np.random.Generator, t_start: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Awkward data: repeated timestamps, bursts, constant runs, NaN/inf gaps of any length."""
    steps = rng.exponential(1.0, n) * (rng.random(n) < 0.8)  # ~20% equal timestamps
    steps[rng.random(n) < 0.01] *= 200  # occasional pauses
    t = t_start + np.cumsum(steps)
    kind = rng.integers(4)
    if kind == 0:
        v = rng.normal(size=n).cumsum()
    elif kind == 1:
        v = rng.integers(-2, 3, n).astype(float)  # many ties
    elif kind == 2:
        v = np.repeat(rng.normal(size=n // 16 + 1), 16)[:n]  # constant runs
    else:
        v = rng.normal(size=n)
    gaps = rng.random(n) < rng.choice([0.0, 0.01, 0.1])
    runs = np.convolve(gaps, np.ones(int(rng.integers(1, 40))))[:n] > 0
    v[runs] = np.nan
    v[rng.random(n) < 0.002] = rng.choice([np.inf, -np.inf])
    return t, v


def _check(pyr: MinMaxPyramid, rb: RingBuffer, t0: float, t1: float, width: int) -> None:
    x, y = pyr.query(rb, t0, t1, width)
    xr, yr = m4_bruteforce(rb.t, rb.v, t0, t1, width)
    stats = pyr.last_stats
    assert stats.mode == "m4" or stats.points_in_view == 0  # the raw slice is M4 then too
    np.testing.assert_array_equal(x, xr)
    np.testing.assert_array_equal(y, yr)  # NaN == NaN here


def _random_range(rng: np.random.Generator, t: np.ndarray) -> tuple[float, float]:
    lo, hi = float(t[0]), float(t[-1])
    span = max(hi - lo, 1.0)
    kind = rng.integers(4)
    if kind == 0:  # everything, with margins
        return lo - rng.random() * span, hi + rng.random() * span
    if kind == 1:  # narrow window somewhere (possibly between two samples)
        c = rng.uniform(lo, hi)
        w = span * 10.0 ** rng.uniform(-5, -1)
        return c - w, c + w
    if kind == 2:  # starting on an exact sample time
        i, j = np.sort(rng.integers(0, len(t), 2))
        return float(t[i]), float(t[j]) + (j == i)
    a, b = np.sort(rng.uniform(lo - 0.3 * span, hi + 0.3 * span, 2))
    return float(a), float(b)


@pytest.mark.parametrize("seed", range(12))
def test_query_matches_bruteforce_while_streaming(seed: int) -> None:
    rng = np.random.default_rng(seed)
    capacity = int(rng.integers(30, 6000))
    rb = RingBuffer(capacity, slack=float(rng.choice([0.0, 0.25])))
    pyr = MinMaxPyramid(capacity, base_level=int(rng.integers(1, 6)), raw_factor=0.0)
    t_end = float(rng.uniform(-1e3, 1e3))
    for _ in range(8):
        n = int(rng.choice([1, rng.integers(1, 64), rng.integers(1, 2 * capacity)]))
        t, v = _chunk(rng, t_end, n)
        t_end = float(t[-1])
        rb.append(t, v)  # drops the oldest and compacts now and then
        if rng.random() < 0.7:  # otherwise the query has to catch up by itself
            pyr.update(rb)
        for _ in range(4):
            t0, t1 = _random_range(rng, rb.t)
            width = int(rng.choice([1, 2, 3, rng.integers(1, 200), rng.integers(1, 2001)]))
            _check(pyr, rb, t0, t1, width)


def test_uniform_data_uses_the_interpolated_search() -> None:
    rb = RingBuffer(200_000)
    rb.append(np.arange(150_000) * 1e-3, np.sin(np.arange(150_000) * 1e-2))
    pyr = MinMaxPyramid.for_buffer(rb, raw_factor=0.0)
    for t0, t1, width in [
        (0.0, 150.0, 1200),
        (3.3, 77.7, 999),
        (-5.0, 200.0, 17),
        (10.0, 10.5, 2000),
    ]:
        _check(pyr, rb, t0, t1, width)


def test_search_sorted_equals_numpy() -> None:
    rng = np.random.default_rng(7)
    for t in (
        np.arange(100_000) * 0.5,
        np.cumsum(rng.exponential(1.0, 100_000)),
        np.repeat(np.arange(1000.0), 100),
        np.concatenate((np.arange(50_000.0), 1e6 + np.arange(50_000.0))),
    ):
        keys = np.sort(rng.uniform(t[0] - 10, t[-1] + 10, 1500))
        keys[:10] = t[rng.integers(0, len(t), 10)]  # exact hits
        keys.sort()
        for lo, hi in ((0, len(t)), (123, 98_765)):
            expected = np.searchsorted(t[lo:hi], keys, "left") + lo
            np.testing.assert_array_equal(search_sorted(t, lo, hi, keys), expected)


def test_gap_output_is_defined() -> None:
    """A gap is one NaN point, at the first gap sample of its column; runs collapse."""
    t = np.arange(20.0)
    v = np.arange(20.0)
    v[5:12] = np.nan  # from inside column 1 through all of column 2
    v[17] = np.inf  # a one-sample gap inside column 4
    rb = RingBuffer(100)
    rb.append(t, v)
    pyr = MinMaxPyramid.for_buffer(rb, base_level=1, raw_factor=0.0)
    x, y = pyr.query(rb, 0.0, 19.0, 5)  # columns hold 0-3, 4-7, 8-11, 12-15, 16-19
    assert x.tolist() == [0, 3, 4, 5, 12, 15, 16, 17, 19]
    assert np.flatnonzero(np.isnan(y)).tolist() == [3, 7]
    assert y[~np.isnan(y)].tolist() == [0, 3, 4, 12, 15, 16, 19]


def test_edges_reach_outside_the_view() -> None:
    rb = RingBuffer(100)
    rb.append(np.arange(0.0, 100.0, 10.0), np.arange(10.0))
    pyr = MinMaxPyramid.for_buffer(rb, raw_factor=0.0)
    x, _ = pyr.query(rb, 41.0, 49.0, 100)  # no sample inside: just the two neighbours
    assert x.tolist() == [40.0, 50.0]
    x, _ = pyr.query(rb, 200.0, 300.0, 100)
    assert x.tolist() == [90.0]


def test_few_samples_in_view_returns_the_raw_slice() -> None:
    rb = RingBuffer(1000)
    t = np.arange(1000.0)
    v = np.where(t % 100 == 7, np.inf, t)
    rb.append(t, v)
    pyr = MinMaxPyramid.for_buffer(rb)  # raw_factor 4: up to 4 samples per column stay raw
    x, y = pyr.query(rb, 100.0, 300.0, 100)
    assert pyr.last_stats.mode == "raw"
    np.testing.assert_array_equal(x, t[99:302])
    np.testing.assert_array_equal(y, np.where(np.isfinite(v[99:302]), v[99:302], np.nan))
    assert pyr.last_stats.points_in_view == 201 and pyr.last_stats.points_out == 203
    x[:] = 0  # a copy: the caller may keep it while the ring moves on
    assert rb.t[99] == 99.0


def test_degenerate_requests() -> None:
    rb = RingBuffer(10)
    pyr = MinMaxPyramid(10)
    assert [len(a) for a in pyr.query(rb, 0.0, 1.0, 100)] == [0, 0]
    rb.append(np.arange(5.0), np.arange(5.0))
    for t0, t1, width in [(1.0, 1.0, 10), (2.0, 1.0, 10), (0.0, 1.0, 0), (np.nan, 1.0, 5)]:
        assert [len(a) for a in pyr.query(rb, t0, t1, width)] == [0, 0]


def test_query_work_does_not_grow_with_samples_in_view() -> None:
    """Elements read per query stay O(width), however many samples are in view."""
    n = 2_000_000
    rb = RingBuffer(n)
    pyr = MinMaxPyramid(n)
    rng = np.random.default_rng(1)
    for start in range(0, n, 250_000):
        t = np.arange(start, start + 250_000) * 1e-3
        rb.append(t, rng.normal(size=len(t)))
        pyr.update(rb)
    width = 1000
    reads = {}
    for in_view in (20_000, 200_000, 2_000_000):
        pyr.query(rb, 0.0, (in_view - 1) * 1e-3, width)
        assert pyr.last_stats.points_in_view == in_view
        reads[in_view] = pyr.last_stats.elements_read
    raw = 2 << pyr.base_level  # raw window samples per column
    levels = pyr.top_level - pyr.base_level + 1
    assert all(r <= width * (raw + 2 * levels) for r in reads.values())
    assert reads[2_000_000] <= width * (raw + 4)  # wide columns: 4 table rows each
    assert reads[2_000_000] < 2_000_000 / 50


def test_memory_is_bounded_by_capacity() -> None:
    rb = RingBuffer(100_000)
    pyr = MinMaxPyramid(100_000)
    bound = 14.5 * 100_000  # bytes: ~14 per sample of capacity at base level 4 (ring: 16-20)
    assert pyr.nbytes < bound
    rng = np.random.default_rng(2)
    for i in range(30):  # 30x the capacity flows through
        rb.append(i * 1e5 + np.arange(100_000.0), rng.normal(size=100_000))
        pyr.update(rb)
    _check(pyr, rb, float(rb.t[0]), float(rb.t[-1]), 150)  # fills every sparse-table level
    assert pyr.nbytes < bound


def test_a_new_buffer_resets_the_pyramid() -> None:
    rb = RingBuffer(1000)
    pyr = MinMaxPyramid(1000, raw_factor=0.0)
    rb.append(np.arange(1000.0), np.arange(1000.0))
    pyr.update(rb)
    fresh = RingBuffer(1000)
    fresh.append(np.arange(500.0), -np.arange(500.0))
    _check(pyr, fresh, 0.0, 499.0, 50)
    big = RingBuffer(5000)
    big.append(np.arange(1001.0), np.zeros(1001))
    with pytest.raises(ValueError):  # more stored than the tables hold
        pyr.update(big)


def test_column_edges_are_exact_at_the_ends() -> None:
    edges = column_edges(0.1, 0.7, 3)
    assert edges[0] == 0.1 and edges[-1] == 0.7 and np.all(np.diff(edges) > 0)


def test_minmax_lttb_keeps_gaps_and_shrinks_m4() -> None:
    pytest.importorskip("tsdownsample")
    from streamscope.core.series.lttb import minmax_lttb

    rng = np.random.default_rng(3)
    rb = RingBuffer(500_000)
    v = rng.normal(size=500_000).cumsum()
    v[100_000:120_000] = np.nan
    rb.append(np.arange(500_000.0), v)
    pyr = MinMaxPyramid.for_buffer(rb)
    x, y = pyr.query(rb, 0.0, 499_999.0, 1000)
    lx, ly = minmax_lttb(x, y, 1000)
    assert len(lx) <= 1000 + 3 * np.isnan(y).sum() and len(lx) < len(x)
    assert np.isin(lx, x).all()  # a subset of the M4 points, in order
    assert np.all(np.diff(lx) >= 0)
    gap = np.flatnonzero(np.isnan(y))
    for i in gap:  # each gap and the points ending the line on both sides are kept
        assert {x[i - 1], x[i], x[i + 1]} <= set(lx.tolist())
    assert np.isnan(ly).sum() == len(gap)


def test_minmax_lttb_without_backend_returns_m4(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamscope.core.series import lttb

    monkeypatch.setattr(lttb, "available", lambda: False)
    x, y = np.arange(10.0), np.arange(10.0)
    lx, ly = lttb.minmax_lttb(x, y, 3)
    assert lx is x and ly is y
