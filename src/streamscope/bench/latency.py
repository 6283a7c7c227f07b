"""Latency: from a sample's send to the end of the first frame that paints it.

A sender process sends paced Unity packets whose timestamp and value are both its wall clock
at send time (seconds since a base both sides share). After each render tick that drew, the
bench paints the chart at once (a synchronous repaint of the plot's viewport, so the paint is
included and the wait for Qt's own paint pass is not) and then reads the chart's curve:
every drawn value newer than the last frame's is a sample this frame showed first, and
``now - value`` is its latency. The rate is low enough that the curve is drawn raw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from streamscope.bench.stats import pct

PREFIX = "bench/latency"
STREAM = PREFIX + "0"  # the sender names its streams PREFIX0, PREFIX1, ...
WARMUP_S = 1.0


@dataclass
class LatencyRow:
    rate: float  # samples/s sent
    samples: int  # samples whose first frame was seen
    p50: float  # ms
    p95: float
    max: float
    sent: int
    gap_p95: float  # ms between render ticks meanwhile


async def measure_latency(
    seconds: float, rate: float = 100.0, log: Callable[[str], None] = print
) -> LatencyRow:
    from streamscope.bench.live import running_app, sender, sender_report, wait_for
    from streamscope.ui.frame_monitor import FrameMonitor

    base = time.time()
    lat_ms: list[float] = []
    async with running_app([[STREAM]]) as scope:
        window = scope.window
        dock = window.charts[0]
        clock = window.clock
        state = {"frames": clock.frames, "newest": float("inf")}  # nothing counts yet

        def ticked() -> None:
            if clock.frames == state["frames"]:
                return  # this tick drew nothing
            state["frames"] = clock.frames
            dock.plot.viewport().repaint()
            now = time.time() - base
            curve = dock.curves.get(STREAM)
            y = curve.item.getData()[1] if curve is not None else None
            if y is None or not len(y):
                return
            y = np.asarray(y, dtype=np.float64)
            new = y[y > state["newest"]]
            if len(new):
                lat_ms.extend(((now - new) * 1e3).tolist())
                state["newest"] = float(new.max())

        clock.ticked.connect(ticked)
        monitor = FrameMonitor(clock)
        args: tuple[str, ...] = ("--form", "unity", "--streams", "1", "--prefix", PREFIX)
        args += ("--rate", str(rate), "--base", repr(base), "--seconds", str(seconds + 10))
        try:
            async with sender(scope.server.url, *args) as proc:
                await wait_for(lambda: scope.store.total_samples > 0, 15, "the first samples")
                await asyncio.sleep(WARMUP_S)
                state["newest"] = time.time() - base  # count samples sent from now on
                monitor.take()
                await asyncio.sleep(seconds)
                frames = monitor.take()
                state["newest"] = float("inf")  # samples sent from now on do not count
            report = sender_report(proc)
        finally:
            clock.ticked.disconnect(ticked)
            monitor.close()
    row = LatencyRow(
        rate, len(lat_ms), pct(lat_ms, 50), pct(lat_ms, 95),
        max(lat_ms, default=float("nan")), int(report.get("sent", 0)), frames.gap_p95,
    )  # fmt: skip
    log(
        f"  latency {row.samples} samples at {rate:g}/s: p50 {row.p50:.1f} ms  "
        f"p95 {row.p95:.1f} ms  max {row.max:.1f} ms | tick gap p95 {row.gap_p95:.1f} ms"
    )
    return row
