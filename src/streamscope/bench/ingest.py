"""Ingest: samples/s the app accepts per wire form while its window keeps drawing, and what
the GUI thread's frames look like meanwhile.

One fresh app per form, 8 streams on one chart (the default 30 s window, follow), a sender
process at full speed (``bench/sender.py``). The rate is counted by the app's store over the
steady part of the run; frame figures come from ``FrameMonitor`` on the app's render clock:
``draw`` is the clock's own work per frame, ``gap`` the time between ticks (everything the GUI
thread did, decoding and painting included): the gap is what a user sees.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

FORMS = ("unity", "unity-array", "series", "binary")
FORM_LABELS = {
    "unity": "Unity JSON, 1 sample/frame",
    "unity-array": "Unity JSON, 100 per frame",
    "series": "columnar JSON, 1000/frame",
    "binary": "binary, 1000/frame",
}
STREAMS = 8
WARMUP_S = 1.0


@dataclass
class IngestRow:
    form: str
    samples_per_s: float
    seconds: float
    draw_p50: float
    draw_p95: float
    gap_p50: float
    gap_p95: float
    gap_max: float
    frames: int
    sent: int
    errors: int


async def ingest_form(form: str, seconds: float) -> IngestRow:
    from streamscope.bench.live import running_app, sender, sender_report, wait_for
    from streamscope.ui.frame_monitor import FrameMonitor

    names = [f"bench/s{i}" for i in range(STREAMS)]
    async with running_app([names]) as scope:
        store = scope.store
        monitor = FrameMonitor(scope.window.clock)
        args = ("--form", form, "--streams", str(STREAMS), "--seconds", str(seconds + 10))
        try:
            async with sender(scope.server.url, *args) as proc:
                await wait_for(lambda: store.total_samples > 0, 15, "the first samples")
                await asyncio.sleep(WARMUP_S)
                monitor.take()
                n0, t0 = store.total_samples, time.perf_counter()
                await asyncio.sleep(seconds)
                n1, t1 = store.total_samples, time.perf_counter()
                f = monitor.take()
                if proc.poll() is not None:
                    raise RuntimeError(f"the {form} sender ended early: {sender_report(proc)}")
            report = sender_report(proc)
        finally:
            monitor.close()
        return IngestRow(
            form, (n1 - n0) / (t1 - t0), t1 - t0, f.draw_p50, f.draw_p95,
            f.gap_p50, f.gap_p95, f.gap_max, f.frames, int(report.get("sent", 0)),
            scope.server.error_replies,
        )  # fmt: skip


async def measure_ingest(
    seconds: float, forms: tuple[str, ...] = FORMS, log: Callable[[str], None] = print
) -> list[IngestRow]:
    rows = []
    for form in forms:
        row = await ingest_form(form, seconds)
        rows.append(row)
        log(
            f"  ingest {form:<7} {row.samples_per_s / 1e3:9.1f}k samples/s | draw p95 "
            f"{row.draw_p95:5.1f} ms | tick gap p50 {row.gap_p50:5.1f} p95 {row.gap_p95:5.1f} ms"
        )
    return rows
