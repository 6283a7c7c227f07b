"""Bucket aggregation against a plain loop, from raw samples and from the pyramid."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.series.aggregate import Aggregates, aggregate, bucket_edges, choose_bucket
from streamscope.core.series.lod import MinMaxPyramid
from streamscope.core.series.ringbuffer import RingBuffer


def _reference(t: np.ndarray, v: np.ndarray, edges: np.ndarray) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in ("mean", "min", "max", "sum", "count", "last")}
    for i in range(len(edges) - 1):
        inside = v[(t >= edges[i]) & (t < edges[i + 1])]
        vals = [float(x) for x in inside if np.isfinite(x)]
        if not vals:
            for k in out:
                out[k].append(0 if k == "count" else np.nan)
            continue
        out["mean"].append(sum(vals) / len(vals))
        out["min"].append(min(vals))
        out["max"].append(max(vals))
        out["sum"].append(sum(vals))
        out["count"].append(len(vals))
        out["last"].append(vals[-1])
    return out


def _data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.cumsum(rng.exponential(0.01, n) * (rng.random(n) < 0.9)) + rng.uniform(-5, 5)
    v = rng.normal(size=n) * 10
    v[rng.random(n) < 0.1] = np.nan
    v[rng.random(n) < 0.01] = np.inf
    v[200:260] = np.nan  # at least one all-gap stretch
    return t, v


def _assert_matches(agg: Aggregates, ref: dict[str, list[float]]) -> None:
    np.testing.assert_array_equal(agg.count, ref["count"])
    for k in ("min", "max", "last"):
        np.testing.assert_array_equal(getattr(agg, k), ref[k])
    for k in ("mean", "sum"):
        np.testing.assert_allclose(getattr(agg, k), ref[k], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_aggregate_matches_a_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t, v = _data(rng, 3000)
    for _ in range(5):
        t0, t1 = np.sort(rng.uniform(t[0] - 2, t[-1] + 2, 2))
        bucket = float(rng.choice([0.01, 0.05, 0.2, 1.0, 5.0]))
        agg = aggregate(t, v, t0, t1, bucket)
        edges = bucket_edges(t0, t1, bucket)
        np.testing.assert_array_equal(agg.edges, edges)
        np.testing.assert_allclose(agg.centers, (edges[:-1] + edges[1:]) / 2)
        assert edges[0] <= t0 and edges[-1] > t1  # whole, aligned buckets cover the view
        _assert_matches(agg, _reference(t, v, edges))


@pytest.mark.parametrize("seed", range(4))
def test_pyramid_aggregate_matches_raw(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    capacity = int(rng.integers(500, 4000))
    rb = RingBuffer(capacity)
    pyr = MinMaxPyramid(capacity, base_level=int(rng.integers(1, 5)))
    t, v = _data(rng, 3 * capacity)
    for chunk in np.array_split(np.arange(len(t)), 7):
        rb.append(t[chunk], v[chunk])
        pyr.update(rb)
        t0, t1 = np.sort(rng.uniform(rb.t[0] - 1, rb.t[-1] + 1, 2))
        bucket = float(rng.choice([0.01, 0.1, 0.5, 2.0]))
        got = pyr.aggregate(rb, t0, t1, bucket)
        _assert_matches(got, _reference(rb.t, rb.v, bucket_edges(t0, t1, bucket)))


def test_empty_inputs_give_empty_buckets() -> None:
    agg = aggregate(np.empty(0), np.empty(0), 0.0, 1.0, 0.5)
    assert agg.count.tolist() == [0, 0, 0] and np.isnan(agg.mean).all()
    assert len(aggregate(np.arange(3.0), np.arange(3.0), 2.0, 1.0, 0.5).centers) == 0
    with pytest.raises(ValueError):
        bucket_edges(0.0, 1e9, 1e-3)  # far too many buckets


def test_choose_bucket_is_nice_and_about_one_per_pixel() -> None:
    nice = {m * 10.0**k for m in (1, 2, 5) for k in range(-7, 7)}
    for span, width, rate in [
        (10.0, 1200, 1e5),
        (3600.0, 800, 10.0),
        (1.0, 1000, 50.0),
        (0.5, 7, 0),
    ]:
        b = choose_bucket(0.0, span, width, rate)
        assert any(abs(b - x) <= 1e-12 * x for x in nice)
        assert span / b <= width * (1 + 1e-9)  # at most one bucket per pixel
        if rate > 0:
            assert b >= 1 / rate * (1 - 1e-9)  # and no emptier than the sample period
    assert choose_bucket(0.0, 10.0, 1200, 1e5) == 0.01  # 8.3 ms per pixel -> 10 ms
    assert choose_bucket(0.0, 10.0, 1000, 1e5) == 0.01  # exactly 10 ms stays 10 ms
    assert choose_bucket(0.0, 10.0, 1200, 30.0) == 0.05  # 30 Hz: 33 ms period -> 50 ms
    with pytest.raises(ValueError):
        choose_bucket(1.0, 1.0, 100, 10.0)
