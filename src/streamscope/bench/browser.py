"""The Streams panel with many streams: its cost must follow what is shown, not what is stored.

One store of N streams in S sessions (the issue measured 96,005 streams and 145 ms per tick
for the panel's refresh alone) and the panel at a usual size (280 x 800, offscreen):
- grow: streams added a batch at a time, ``sync()`` after each (what the render clock does
  while clients announce new keys); total and worst sync;
- idle: ``sync()`` per tick when nothing changed (median, worst), with the count refresh due
  on every tick (the panel's own rate is 2 Hz);
- counts: ``sync()`` per tick after one sample went into every stream (median), and the rows
  it updated where the panel counts them.

    python -m streamscope.bench.browser --streams 100000 --sessions 50

Uses only ``StreamBrowser(store)`` and ``sync()``, so the same file measures an older tree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

IDLE_TICK_MS = 1.0  # targets, printed not asserted
COUNTS_TICK_MS = 5.0


@dataclass
class BrowserRow:
    streams: int
    sessions: int
    batch: int
    grow_total_s: float  # every sync while the streams were added
    grow_worst_ms: float
    idle_median_ms: float
    idle_worst_ms: float
    counts_median_ms: float
    rows_updated: int  # per counts tick (-1: the panel does not say)


def measure_browser(
    streams: int = 100_000,
    sessions: int = 50,
    batch: int = 1_000,
    ticks: int = 40,
    log: Callable[[str], None] = lambda _line: None,
) -> BrowserRow:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from streamscope.app import qt_application
    from streamscope.core.store.store import Store, StoreSettings
    from streamscope.ui.stream_browser import StreamBrowser

    app = qt_application()
    per = -(-streams // sessions)
    store = Store(
        StoreSettings(
            capacity=64,
            max_sessions=sessions + 1,
            max_streams_per_session=per,
            max_streams=streams + 1,
            new_sessions_burst=0,
        )
    )
    browser = StreamBrowser(store)
    browser.resize(280, 800)
    browser.show()
    app.processEvents()
    one_t, one_v = np.array([0.0]), np.array([1.0])
    sids = [store.open_session(f"Game {i}", client="bench").id for i in range(sessions)]
    added, waits = 0, []
    while added < streams:
        for _ in range(min(batch, streams - added)):
            sid = sids[added // per]
            store.append(sid, f"key_{added % per:05d}", one_t, one_v)
            added += 1
        t0 = time.perf_counter()
        browser.sync()
        waits.append(time.perf_counter() - t0)
        app.processEvents()
        if len(waits) % 20 == 0:
            log(f"   {added:,} streams, last sync {waits[-1] * 1e3:.1f} ms")
    if hasattr(browser, "count_interval"):
        browser.count_interval = 0.0  # every tick refreshes the counts (normally 2 Hz)
    idle = _ticks(browser, app, ticks)
    counts, rows = [], []
    for i in range(max(3, ticks // 4)):
        t = np.array([1.0 + i])
        for session in store.sessions.values():
            for name in session.streams:
                store.append(session.id, name, t, one_v)
        t0 = time.perf_counter()
        browser.sync()
        counts.append(time.perf_counter() - t0)
        rows.append(getattr(browser, "rows_updated", -1))
        app.processEvents()
    browser.close()
    browser.deleteLater()
    app.processEvents()
    return BrowserRow(
        streams,
        sessions,
        batch,
        sum(waits),
        max(waits) * 1e3,
        statistics.median(idle) * 1e3,
        max(idle) * 1e3,
        statistics.median(counts) * 1e3,
        max(rows),
    )


def _ticks(browser, app, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        browser.sync()
        out.append(time.perf_counter() - t0)
        app.processEvents()
    return out


def browser_table(row: BrowserRow) -> list[str]:
    rows = "n/a" if row.rows_updated < 0 else f"{row.rows_updated}"
    return [
        f"== Streams panel: {row.streams:,} streams in {row.sessions} sessions, 280x800 ==",
        f"grow, {row.batch:,} streams per sync: {row.grow_total_s:.2f} s in all, worst sync "
        f"{row.grow_worst_ms:.1f} ms",
        f"idle tick: median {row.idle_median_ms:.3f} ms, worst {row.idle_worst_ms:.3f} ms",
        f"counts tick (every stream grew): median {row.counts_median_ms:.2f} ms, "
        f"rows updated {rows}",
    ]


def browser_targets(row: BrowserRow) -> list[object]:
    from streamscope.bench.report import Target

    return [
        Target(f"Streams panel idle tick <= {IDLE_TICK_MS:g} ms ({row.streams:,} streams)",
               f"{row.idle_median_ms:.3f} ms", row.idle_median_ms <= IDLE_TICK_MS),
        Target(f"Streams panel counts tick <= {COUNTS_TICK_MS:g} ms ({row.streams:,} streams)",
               f"{row.counts_median_ms:.2f} ms", row.counts_median_ms <= COUNTS_TICK_MS),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.bench.browser", description=__doc__)
    p.add_argument("--streams", type=float, default=100_000)
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--batch", type=int, default=1_000, help="streams added between syncs")
    args = p.parse_args(argv)
    row = measure_browser(int(args.streams), args.sessions, args.batch, log=print)
    print("\n".join(browser_table(row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
