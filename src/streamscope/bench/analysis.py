"""``streamscope bench-analysis``: what live analysis costs per frame, printed as figures.

Core figures feed synthetic streams to the analysis hub the way the render clock does (one
chunk per stream per 60 Hz frame) and time only the analysis. ``--ui`` also draws an
offscreen window with charts, overlays, tiles and an XY chart and compares frame times with
and without the analysis views.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from streamscope.bench.stats import pct, qt_app
from streamscope.core.analysis.alerts import AlertRule
from streamscope.core.analysis.align import align_xy
from streamscope.core.analysis.derived import DerivedSpec
from streamscope.core.analysis.forecast import ForecastConfig, fit_forecast
from streamscope.core.analysis.hub import AnalysisHub
from streamscope.core.analysis.stats import WindowStats
from streamscope.core.store.store import Store, StoreSettings

FPS = 60


def _ms(ms: list[float]) -> str:
    """Median and p95 of timings in ms, as text."""
    return f"median {pct(ms, 50):.3f} ms, p95 {pct(ms, 95):.3f} ms"


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def bench_core(streams: int, rate: int, seconds: float) -> None:
    store = Store(StoreSettings(capacity=1_000_000))
    session = store.open_session("Bench")
    hub = AnalysisHub(store)
    names = [f"s{i}" for i in range(streams)]
    hub.set_watched(set(names))
    for name in names:
        hub.alerts.add(AlertRule(name, ">", 3.0, 0.5))
    hub.add_derived(DerivedSpec(names[0], "derivative"))
    hub.add_derived(DerivedSpec(names[0], "mean", 1.0))
    rng = np.random.default_rng(0)
    per_frame = max(1, rate // FPS)
    frames = int(seconds * FPS)
    ms: list[float] = []
    win = {n: WindowStats(30.0) for n in names}
    win_ms: list[float] = []
    for f in range(frames):
        t = (f * per_frame + np.arange(per_frame)) / rate
        for name in names:
            store.append(session.id, name, t, rng.normal(0, 1, per_frame))
        t0 = time.perf_counter()
        hub.update()
        ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        for name in names:
            w = win[name]
            stream = store.find(name)
            assert stream is not None  # fed above
            ring = stream.ring
            w.update(ring)
            w.view(ring)
        win_ms.append((time.perf_counter() - t0) * 1000)
    samples = streams * per_frame
    med = float(np.median(ms))
    print(f"hub.update, {streams} streams × {rate} Hz ({samples} samples/frame; stats, "
          f"anomalies, {streams} alert rules, 2 derived streams): {_ms(ms)} "
          f"= {med * 1e6 / samples:.0f} ns/sample")  # fmt: skip
    print(
        f"30 s window stats for {streams} streams: {_ms(win_ms)}; "
        f"anomalies found: {hub.anomalies_total} in {frames * samples:,} samples"
    )

    big = Store(StoreSettings(capacity=1_000_000))
    s = big.open_session("Big")
    n = 1_000_000
    big.append(s.id, "x", np.arange(n) / 1000.0, rng.normal(0, 1, n))
    h2 = AnalysisHub(big)
    h2.set_watched({"x"})
    t0 = time.perf_counter()
    h2.update()
    print(f"first look at a 1M-sample history (stats + anomaly scan): "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")  # fmt: skip

    tt = np.arange(200) / 60.0
    vv = 3 * tt + rng.normal(0, 1, 200)
    cfg = ForecastConfig()
    fit = _timed(lambda: fit_forecast(tt, vv, cfg), 500)
    print(f"forecast fit, 200 samples, 40 points ahead: {_ms(fit)}")
    tx = np.sort(rng.uniform(0, 100, 100_000))
    ty = np.sort(rng.uniform(0, 100, 100_000))
    vx, vy = rng.normal(size=100_000), rng.normal(size=100_000)
    al = _timed(lambda: align_xy(tx, vx, ty, vy, 0.01), 20)
    print(f"XY alignment, 2 × 100k samples, linear: {_ms(al)}")


def bench_ui(seconds: float) -> None:
    from streamscope.app import build_window
    from streamscope.ui.analysis.controller import AnalysisController

    app = qt_app()
    store = Store()
    session = store.open_session("Bench")
    w = build_window(store)
    w.resize(1600, 1000)
    w.show()
    names = [f"s{i}" for i in range(8)]
    charts = [w.new_chart(names[i : i + 2]) for i in range(0, 8, 2)]
    ctl = w.analysis
    assert isinstance(ctl, AnalysisController)
    ctl.add_tiles(names)
    ctl.new_xy("s0", "s1")
    ctl.add_rule("s2 > 2.5 for 0.2 s")
    ctl.sync()
    for c in charts:
        ctl.overlay(c).set_forecast(next(iter(c.curves)), True)
    ctl.toggle_link_all()
    rng = np.random.default_rng(1)
    rate, per_frame = 1000, 1000 // FPS
    frame = [0]

    def run(label: str) -> None:
        tick, whole = [], []
        for _ in range(int(seconds * FPS)):
            t = (frame[0] * per_frame + np.arange(per_frame)) / rate
            frame[0] += 1
            for name in names:
                store.append(session.id, name, t, np.sin(t) + rng.normal(0, 0.3, per_frame))
            t0 = time.perf_counter()
            w.clock.tick()
            w.clock.tick_views()  # every frame here: the app runs them at 10 Hz
            t1 = time.perf_counter()
            app.processEvents()  # paints what the frame changed, as the running app does
            tick.append((t1 - t0) * 1000)
            whole.append((time.perf_counter() - t0) * 1000)
        print(f"UI {label}:\n  clock tick (data → items) {_ms(tick)}\n  tick + paint {_ms(whole)}")

    print("UI: 1600×1000 offscreen, 4 charts × 2 curves × 1 kHz")
    run("warm-up")
    stages = w.clock.views
    w.clock.views = []  # the charts alone, no analysis
    run("charts only")
    w.clock.views = stages
    run("with analysis (8 tiles, XY, 4 forecasts, marks, alert, linked axes)")
    w.close()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="streamscope bench-analysis", description=__doc__)
    p.add_argument("--streams", type=int, default=8)
    p.add_argument("--rate", type=int, default=1000, help="samples/s per stream")
    p.add_argument("--seconds", type=float, default=20.0, help="simulated seconds")
    p.add_argument("--ui", action="store_true", help="also time drawing an offscreen window")
    args = p.parse_args(argv)
    bench_core(args.streams, args.rate, args.seconds)
    if args.ui:
        bench_ui(min(args.seconds, 5.0))
    return 0
