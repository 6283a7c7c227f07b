"""Render: frame time with 8 curves of N points each in view, for StreamScope and two plain
pyqtgraph baselines, on one fixed plot width.

- ``streamscope``: a real ``MainWindow`` with one chart of all curves (window "All", follow),
  the store filled through ``Store.append``. Each frame appends a few samples per curve, ticks
  the render clock until it draws, and lets Qt paint. So it measures whatever render engine the
  tree has, through the same path a live session takes.
- ``pyqtgraph``: ``setData`` with every point, the naive live plot.
- ``pg downsample``: ``setDownsampling(auto=True, method='peak')`` + ``setClipToView(True)``,
  with the x range set each frame (measured: clipToView does nothing under x auto-range).

A frame is timed from the start of the work to the end of the last paint it caused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from streamscope.bench.stats import PLOT_HEIGHT, PLOT_WIDTH, pct

VARIANTS = ("streamscope", "pyqtgraph", "pg downsample")
NEW_PER_FRAME = 10  # samples appended to each curve per frame (a live stream's trickle)
DT = 1e-3  # s between samples
CHUNK = 1_000_000  # samples per Store.append while filling


@dataclass
class RenderRow:
    variant: str
    points: int  # per curve, in view
    curves: int
    frames: int
    p50: float  # ms
    p95: float
    paints: float  # paint events per frame
    note: str = ""


@dataclass
class Data:
    """Shared test data: one x array, a random walk per curve, with room for new frames."""

    t: np.ndarray
    v: list[np.ndarray]
    n: int  # points in view at the start

    @classmethod
    def make(cls, n: int, curves: int, frames: int, seed: int = 7) -> Data:
        total = n + (frames + 8) * NEW_PER_FRAME
        rng = np.random.default_rng(seed)
        t = np.arange(total, dtype=np.float64) * DT
        v = [rng.standard_normal(total).cumsum() for _ in range(curves)]
        return cls(t, v, n)


class FrameLoop:
    """Times frames: ``frame(i)`` does the work; ``PaintCounter.settle`` waits out the paints."""

    def __init__(self, app, counter, frames: int, budget_s: float, min_frames: int = 3) -> None:
        self.app, self.counter = app, counter
        self.frames, self.budget_s, self.min_frames = frames, budget_s, min_frames

    def run(self, frame: Callable[[int], float | None], warmup: int = 2) -> tuple[list, list]:
        """``frame(i)`` returns the ms of its own work that counts (None: all of it)."""
        times: list[float] = []
        paints: list[int] = []
        start = time.monotonic()
        i = 0
        while len(times) < self.frames:
            t0 = time.perf_counter()
            own = frame(i)
            t1 = time.perf_counter()
            p = self.counter.settle(self.app)
            t2 = time.perf_counter()
            if i >= warmup:
                work = (t1 - t0) * 1e3 if own is None else own
                times.append(work + (t2 - t1) * 1e3)
                paints.append(p)
            i += 1
            spent = time.monotonic() - start
            if len(times) >= self.min_frames and spent > self.budget_s:
                break
        return times, paints


def _row(variant: str, d: Data, curves: int, times: list, paints: list, note="") -> RenderRow:
    return RenderRow(
        variant, d.n, curves, len(times), pct(times, 50), pct(times, 95),
        float(np.mean(paints)) if paints else 0.0, note,
    )  # fmt: skip


def bench_streamscope(app, d: Data, loop_args: dict) -> RenderRow:
    from streamscope.app import build_window
    from streamscope.bench.paint import PaintCounter
    from streamscope.core.store.store import DEFAULT_MAX_TOTAL_SAMPLES, Store, StoreSettings

    curves = len(d.v)
    total = len(d.t)
    settings = StoreSettings(
        capacity=total, max_total_samples=max(DEFAULT_MAX_TOTAL_SAMPLES, 2 * curves * total)
    )
    store = Store(settings)
    sid = store.open_session("Bench", play=False).id
    names = [f"bench/s{i}" for i in range(curves)]
    for name, v in zip(names, d.v, strict=True):
        for a in range(0, d.n, CHUNK):
            b = min(a + CHUNK, d.n)
            store.append(sid, name, d.t[a:b], v[a:b])
    window = build_window(store)
    window.resize(1400, 900)
    window.show()
    dock = window.new_chart(names)
    dock.window_box.setCurrentIndex(dock.window_box.findText("All"))
    dock.set_follow(True)
    app.processEvents()
    # fix the plot's width: grow or shrink the window by the difference
    window.resize(window.width() + PLOT_WIDTH - dock.plot.width(), window.height())
    app.processEvents()
    note = "" if dock.plot.width() == PLOT_WIDTH else f"plot {dock.plot.width()} px"
    counter = PaintCounter([dock.plot.viewport()])
    clock = window.clock
    pos = [d.n]
    modes: dict[str, int] = {}  # the engine's plans over the run (a mode change costs frames)

    def frame(_: int) -> float:
        a = pos[0]
        b = a + NEW_PER_FRAME
        for name, v in zip(names, d.v, strict=True):
            store.append(sid, name, d.t[a:b], v[a:b])
        pos[0] = b
        # tick until the chart draws (an engine may hold a chart back to its own rate);
        # only the tick that drew counts, not the waiting
        deadline = time.monotonic() + 2.0
        while True:
            drawn = dock.engine.last_draw  # the chart's, not the clock's: analysis views
            t0 = time.perf_counter()  # may draw on a tick where the chart waits its turn
            clock.tick()
            ms = (time.perf_counter() - t0) * 1e3
            if dock.engine.last_draw != drawn or time.monotonic() > deadline:
                r = dock.report()
                plan = r["mode"] + (f" {r['fps']} fps" if r["throttled"] else "")
                modes[plan] = modes.get(plan, 0) + 1
                return ms
            app.processEvents()
            time.sleep(0.001)

    try:
        times, paints = FrameLoop(app, counter, **loop_args).run(frame)
    finally:
        counter.close()
        window.clock.stop()
        window.close()
        window.deleteLater()
        app.processEvents()
    plans = ", ".join(f"{m} x{n}" for m, n in modes.items())
    note = "; ".join(x for x in (note, plans) if x)
    return _row("streamscope", d, curves, times, paints, note)


def bench_pyqtgraph(app, d: Data, downsample: bool, loop_args: dict) -> RenderRow:
    import pyqtgraph as pg

    from streamscope.bench.paint import PaintCounter
    from streamscope.ui.grid import CheapGrid

    w = pg.PlotWidget()
    w.resize(PLOT_WIDTH, PLOT_HEIGHT)
    w.show()
    item = w.getPlotItem()
    # the app's charts' grid, so the comparison is about drawing the curves (pyqtgraph's own
    # alpha-blended showGrid alone costs 20-50 ms a frame offscreen here)
    CheapGrid(item)  # the view box keeps it
    if downsample:
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        item.getViewBox().setAutoVisible(y=True)
    curves = [w.plot(pen=pg.mkPen(pg.intColor(i), width=1)) for i in range(len(d.v))]
    app.processEvents()
    counter = PaintCounter([w.viewport()])

    def frame(i: int) -> None:
        a = i * NEW_PER_FRAME
        b = a + d.n
        for c, v in zip(curves, d.v, strict=True):
            c.setData(d.t[a:b], v[a:b], skipFiniteCheck=True)
        if downsample:
            w.setXRange(d.t[a], d.t[b - 1], padding=0)

    try:
        times, paints = FrameLoop(app, counter, **loop_args).run(frame)
    finally:
        counter.close()
        w.close()
        w.deleteLater()
        app.processEvents()
    return _row("pg downsample" if downsample else "pyqtgraph", d, len(d.v), times, paints)


def measure_render(
    sizes: list[int],
    curves: int = 8,
    frames: int = 30,
    budget_s: float = 15.0,
    log: Callable[[str], None] = print,
) -> list[RenderRow]:
    """Every variant at every size (points per curve); at most ``budget_s`` per case."""
    from streamscope.bench.stats import qt_app

    app = qt_app()
    rows: list[RenderRow] = []
    loop_args = {"frames": frames, "budget_s": budget_s}
    for n in sizes:
        d = Data.make(n, curves, frames + 16)
        for variant in VARIANTS:
            t = time.monotonic()
            if variant == "streamscope":
                row = bench_streamscope(app, d, loop_args)
            else:
                row = bench_pyqtgraph(app, d, variant == "pg downsample", loop_args)
            rows.append(row)
            log(
                f"  render {variant:<13} {curves} x {n:>10,}: p50 {row.p50:8.1f} ms  "
                f"p95 {row.p95:8.1f} ms  ({row.frames} frames, {time.monotonic() - t:.1f} s)"
            )
        del d
    return rows
