"""The pyramid stays exact while its ring compacts, grows, shrinks and drops its oldest samples."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.series.aggregate import aggregate
from streamscope.core.series.lod import MinMaxPyramid, m4_bruteforce
from streamscope.core.series.ringbuffer import RingBuffer
from streamscope.core.series.stream_lod import LAZY_SAMPLES, StreamLod


def _check(pyr: MinMaxPyramid, rb: RingBuffer, rng: np.random.Generator) -> None:
    t = rb.t
    if not len(t):
        return
    span = max(float(t[-1] - t[0]), 1.0)
    t0 = float(t[0]) - rng.random() * 0.1 * span
    t1 = float(t[-1]) + rng.random() * 0.1 * span
    if rng.random() < 0.5:
        t0, t1 = np.sort(rng.uniform(t0, t1, 2))
    width = int(rng.integers(1, 700))
    x, y = pyr.query(rb, t0, t1, width)
    xr, yr = m4_bruteforce(rb.t, rb.v, t0, t1, width)
    np.testing.assert_array_equal(x, xr)
    np.testing.assert_array_equal(y, yr)
    bucket = (t1 - t0) / 50 if t1 > t0 else 1.0
    got, want = pyr.aggregate(rb, t0, t1, bucket), aggregate(rb.t, rb.v, t0, t1, bucket)
    np.testing.assert_array_equal(got.count, want.count)
    np.testing.assert_array_equal(got.min, want.min)
    np.testing.assert_array_equal(got.max, want.max)
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_exact_through_compaction_growth_shrink_and_drop_oldest(seed: int) -> None:
    rng = np.random.default_rng(seed)
    capacity = int(rng.integers(100, 20_000))
    rb = RingBuffer(capacity, slack=float(rng.choice([0.0, 0.25])))
    lod = StreamLod(base_level=int(rng.integers(1, 6)), raw_factor=0.0)
    t_end = 0.0
    allocations = set()
    for _ in range(40):
        roll = rng.random()
        if roll < 0.2 and len(rb):
            rb.drop_oldest(int(rng.integers(1, len(rb) + 1)))  # the memory budget; may shrink
            lod.sync(rb)
        else:
            n = int(rng.choice([1, rng.integers(1, 100), rng.integers(1, capacity + 50)]))
            t = t_end + np.cumsum(rng.exponential(1.0, n) * (rng.random(n) < 0.8))
            v = rng.normal(size=n).cumsum()
            v[rng.random(n) < 0.02] = np.nan
            t_end = float(t[-1])
            rb.append(t, v)  # compacts, grows or drops the oldest as it fills
            lod.sync(rb, eager=bool(rng.random() < 0.5))
        allocations.add(rb.allocated)
        _check(lod.sync(rb), rb, rng)
        assert lod.pyramid is not None and lod.pyramid.capacity >= len(rb)
    assert len(allocations) > 1  # the ring really did reallocate under the pyramid


def test_pyramid_follows_the_ring_allocation_not_its_capacity() -> None:
    rb = RingBuffer(1_000_000)
    lod = StreamLod()
    rb.append(np.arange(1000.0), np.zeros(1000))
    small = lod.sync(rb).nbytes
    assert small < 100_000  # not ~14 MB for the 1M capacity
    rb.append(np.arange(1000.0, 200_000.0), np.ones(199_000))
    grown = lod.sync(rb)
    assert grown.capacity >= len(rb) and lod.rebuilds >= 2
    rb.drop_oldest(199_000)  # the ring shrinks; so does the pyramid
    shrunk = lod.sync(rb)
    assert shrunk.nbytes < grown.nbytes // 4
    x, _ = shrunk.query(rb, 199_000.0, 199_999.0, 10)
    assert x[0] == 199_000.0 and x[-1] == 199_999.0


def test_lazy_sync_batches_small_appends() -> None:
    rb = RingBuffer(100_000)
    lod = StreamLod()
    n0 = 20_000  # the ring's arrays then have room for the singles below: no rebuild
    rb.append(np.arange(float(n0)), np.arange(float(n0)))
    assert lod.sync(rb).total == n0
    for i in range(n0, n0 + LAZY_SAMPLES - 1):  # one sample per message
        rb.append(np.array([float(i)]), np.array([1.0]))
        assert lod.sync(rb, eager=False).total == n0
    rb.append(np.array([1e6]), np.array([1.0]))
    assert lod.sync(rb, eager=False).total == n0 + LAZY_SAMPLES
    rb.append(np.array([2e6]), np.array([1.0]))
    assert lod.sync(rb).total == rb.total  # a query catches up with everything
    assert lod.rebuilds == 1
