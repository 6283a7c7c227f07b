"""``streamscope soak``: the app with N charts fed at a fixed rate per stream for a long run,
printing memory, CPU and frame time at intervals, so "bounded memory, steady frame time" is a
figure anyone can reproduce rather than a claim:

    streamscope soak --minutes 10            # 8 charts, 1 kHz per stream, print every 10 s

The data comes from a separate sender process (``streamscope.ingest.loadgen``) over the real
socket. A small memory budget (``--max-samples``) is reached early on purpose, so the run shows
memory levelling off once the oldest samples are dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from streamscope.bench.stats import CpuMeter, rss_mb
from streamscope.core.store.store import DEFAULT_CAPACITY

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from streamscope.app import AppOptions


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="streamscope soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    p.add_argument("--charts", type=int, default=8, help="charts, one stream each (default 8)")
    p.add_argument("--rate", type=float, default=1000.0, help="samples/s per stream (1000)")
    p.add_argument("--interval", type=float, default=10.0, help="seconds between reports (10)")
    p.add_argument(
        "--max-samples",
        type=int,
        default=2_000_000,
        help="memory budget in samples (default 2M: reached in about 4 min at 8 kHz)",
    )
    p.add_argument("--capacity", type=int, default=DEFAULT_CAPACITY, help="samples per stream")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from streamscope.app import AppOptions, qt_application, run_on_qasync

    app = qt_application()  # on the platform chosen: a window to watch
    names = [f"soak/s{i}" for i in range(args.charts)]
    options = AppOptions(
        port=0,
        plots=[[n] for n in names],
        capacity=args.capacity,
        max_samples=args.max_samples,
        remember_layout=False,
    )
    return run_on_qasync(app, _soak(app, options, args))


async def _soak(app: QApplication, options: AppOptions, args: argparse.Namespace) -> int:
    from streamscope.app import StreamScope, _install_signal_handlers
    from streamscope.ui.frame_monitor import FrameMonitor

    scope = StreamScope(options)
    await scope.start()
    monitor = FrameMonitor(scope.window.clock)
    stop = asyncio.Event()
    app.lastWindowClosed.connect(stop.set)
    restore_signals = _install_signal_handlers(stop)
    sender = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamscope.ingest.loadgen", "--url", scope.server.url),
            *("--name", "Soak", "--prefix", "soak/s", "--streams", str(args.charts)),
            *("--rate", str(args.rate)),
        ],
        stdout=subprocess.DEVNULL,
    )
    store = scope.store
    start = time.monotonic()
    end = start + args.minutes * 60
    print(
        f"soak: {args.charts} charts x {args.rate:g} samples/s for {args.minutes:g} min, "
        f"budget {args.max_samples:,} samples, pid {os.getpid()}",
        flush=True,
    )
    rows: list[tuple[float, float, float, float, float]] = []  # elapsed, rss, draw/gap p95, cpu
    cpu = CpuMeter()
    budget_full_at: float | None = None
    last_total, last_at = store.total_samples, start
    try:
        while not stop.is_set() and time.monotonic() < end:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(args.interval, end - time.monotonic()))
            now = time.monotonic()
            rate = (store.total_samples - last_total) / max(now - last_at, 1e-9)
            last_total, last_at = store.total_samples, now
            if budget_full_at is None and store.budget_dropped:
                budget_full_at = now - start
            f = monitor.take()
            rss, busy = rss_mb(), cpu.percent()
            rows.append((now - start, rss, f.draw_p95, f.gap_p95, busy))
            print(
                f"t={now - start:6.0f} s  RSS {rss:7.1f} MB  CPU {busy:4.0f} %  "
                f"kept {store.stored_samples:>9,}  "
                f"dropped {store.budget_dropped:>10,}  in {rate / 1e3:6.1f}k/s  | {f.line()}",
                flush=True,
            )
            if sender.poll() is not None:
                print("soak: the sender process ended early", file=sys.stderr)
                break
    finally:
        sender.terminate()
        for _ in range(500):  # the sender closes politely: keep serving it meanwhile
            if sender.poll() is not None:
                break
            await asyncio.sleep(0.02)
        else:
            sender.kill()
        monitor.close()
        restore_signals()
        await scope.stop()
    _summary(rows, budget_full_at)
    return 0


def _summary(rows: list[tuple[float, float, float, float, float]], full_at: float | None) -> None:
    if not rows:
        return
    rss = [r[1] for r in rows]
    steady = [r for r in rows if full_at is not None and r[0] >= full_at + 30]
    print(f"soak: RSS first {rss[0]:.1f} MB, last {rss[-1]:.1f} MB, max {max(rss):.1f} MB")
    if steady:
        s_rss = [r[1] for r in steady]
        print(
            f"soak: after the budget filled (at {full_at:.0f} s, +30 s): RSS "
            f"{min(s_rss):.1f}..{max(s_rss):.1f} MB over {steady[-1][0] - steady[0][0]:.0f} s; "
            f"draw p95 {min(r[2] for r in steady):.1f}..{max(r[2] for r in steady):.1f} ms, "
            f"tick gap p95 {min(r[3] for r in steady):.1f}..{max(r[3] for r in steady):.1f} ms; "
            f"CPU {min(r[4] for r in steady):.0f}..{max(r[4] for r in steady):.0f} %"
        )
    else:
        print("soak: the memory budget was not reached; run longer or lower --max-samples")
