"""Benchmark of the level-of-detail pyramid: query per curve, a whole frame of curves, update.

Run: ``PYTHONPATH=src python -m streamscope.bench.lod_bench [--points 1e7] [--curves 8]``.
Why a script and not a test: timings depend on the machine; tests assert the work bound instead.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from streamscope.bench.stats import pct
from streamscope.core.series.lod import MinMaxPyramid
from streamscope.core.series.ringbuffer import RingBuffer


def _timings(fn: Callable[[], object], repeat: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall and CPU milliseconds per call (CPU time ignores time lost to other processes)."""
    wall, cpu = np.empty(repeat), np.empty(repeat)
    for i in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu[i] = time.process_time() - c
        wall[i] = time.perf_counter() - w
    return wall * 1e3, cpu * 1e3


def _fmt(times: tuple[np.ndarray, np.ndarray]) -> str:
    wall, cpu = times
    return (
        f"wall median {pct(wall, 50):7.3f} ms  p95 {pct(wall, 95):7.3f} ms  |  "
        f"cpu median {pct(cpu, 50):7.3f} ms  p95 {pct(cpu, 95):7.3f} ms"
    )


def _filled(points: int, seed: int) -> tuple[RingBuffer, MinMaxPyramid]:
    rng = np.random.default_rng(seed)
    rb = RingBuffer(points)
    pyr = MinMaxPyramid(points)
    step = 1_000_000
    for start in range(0, points, step):
        n = min(step, points - start)
        rb.append((start + np.arange(n)) * 1e-4, rng.normal(size=n).cumsum())
        pyr.update(rb)
    return rb, pyr


def _bench_updates(points: int, appends: int) -> tuple[np.ndarray, np.ndarray]:
    """Steady state: the ring is full, every append drops the oldest samples."""
    rb, pyr = _filled(points, 99)
    rng = np.random.default_rng(1)
    chunks = [rng.normal(size=1000) for _ in range(64)]
    wall, cpu = np.empty(appends), np.empty(appends)
    for i in range(appends):
        rb.append(float(rb.t[-1]) + np.arange(1, 1001) * 1e-4, chunks[i % 64])
        w, c = time.perf_counter(), time.process_time()
        pyr.update(rb)
        cpu[i] = time.process_time() - c
        wall[i] = time.perf_counter() - w
    return wall * 1e3, cpu * 1e3


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="streamscope bench-lod", description=__doc__)
    p.add_argument("--points", type=float, default=1e7, help="samples in view per curve")
    p.add_argument("--width", type=int, default=1200, help="pixel columns")
    p.add_argument("--curves", type=int, default=8, help="curves in one frame")
    p.add_argument("--repeat", type=int, default=50)
    args = p.parse_args(argv)
    points, width = int(args.points), args.width

    curves = [_filled(points, seed) for seed in range(args.curves)]
    rb, pyr = curves[0]
    t0, t1 = float(rb.t[0]), float(rb.t[-1])
    print(f"{points:,} points in view, width {width}, {args.curves} curves")
    print(
        f"memory per curve: ring {rb._t.nbytes * 2 / 1e6:.0f} MB, pyramid {pyr.nbytes / 1e6:.0f} MB"
    )

    pyr.query(rb, t0, t1, width)
    one = _timings(lambda: pyr.query(rb, t0, t1, width), args.repeat)
    print(f"query, one curve:        {_fmt(one)}   ({pyr.last_stats.points_out} points out)")

    def frame() -> None:
        for r, q in curves:
            q.query(r, t0, t1, width)

    print(f"query, {args.curves} curves (frame): {_fmt(_timings(frame, args.repeat))}")

    edges = np.linspace(t0, t1, width + 1)

    def brute() -> None:  # the O(samples) way, for scale
        starts = np.searchsorted(rb.t, edges[:-1])
        np.minimum.reduceat(rb.v, starts), np.maximum.reduceat(rb.v, starts)

    print(f"O(n) reduceat min/max:   {_fmt(_timings(brute, max(5, args.repeat // 10)))}")
    print(f"update per 1000-sample append: {_fmt(_bench_updates(points, 20 * args.repeat))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
