"""``streamscope bench --only live``: the live frame cost, the app against what people write.

For each load, one after the other on the same machine: the naive and the careful receivers
(``bench/receivers.py``, subprocesses), then the real app (``bench/live.py``'s
``running_app``), each fed by a paced sender process (``bench/live_sender.py``). Figures per
phase: frames drawn per second, CPU cores used by the receiving process (the sender is not
counted), CPU ms per drawn frame, and for the app whether any chart's plan was throttled.
The app counts a frame when its render clock drew (``RenderClock.frames``): a chart redraws
only when its data or its view changed, and a following chart's view scrolls with the clock.

Measured in the steady state of a session that has run longer than the charts' 30 s window
(a young session fills its window left to right and has nothing new to draw between
batches): each sender first sends ``HISTORY_S`` seconds of past samples; the demo is measured
after ``DEMO_WARMUP_S`` seconds of play.
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from streamscope.bench.report import Target

WARMUP_S = 2.0  # after the first samples (and the history): the app settles, then is timed
HISTORY_S = 31.0  # past samples each sender sends first: a full 30 s window
DEMO_WARMUP_S = 32.0  # the demo's sessions outgrow the demo layout's 30 s windows


@dataclass
class LiveRow:
    load: str
    who: str  # naive, careful, app
    fps: float
    cores: float
    cpu_ms_per_frame: float
    throttled: bool | None = None  # app only
    note: str = ""


@dataclass
class LiveResult:
    rows: list[LiveRow] = field(default_factory=list)


LOADS = {  # name: (charts, curves per chart)
    "8 x 1 kHz, 2 charts x 4": (2, 4),
    "32 x 1 kHz, 8 charts x 4": (8, 4),
}


def _sender(port: int, streams: int, seconds: float) -> subprocess.Popen:
    url = f"ws://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamscope.bench.live_sender", "--url", url]
    cmd += ["--streams", str(streams), "--seconds", str(seconds), "--history", str(HISTORY_S)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)


def run_receiver(kind: str, charts: int, per: int, seconds: float) -> dict:
    """One receiver subprocess with its sender; its JSON line."""
    cmd = [sys.executable, "-m", "streamscope.bench.receivers", kind, "--seconds", str(seconds)]
    cmd += ["--warmup", str(WARMUP_S), "--charts", str(charts), "--curves-per-chart", str(per)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        proc.kill()
        raise RuntimeError(f"the {kind} receiver did not start: {line}")
    send = _sender(int(line[1]), charts * per, seconds + WARMUP_S + 10)
    try:
        out, _ = proc.communicate(timeout=seconds + WARMUP_S + 60)
    finally:
        send.terminate()
        send.wait(10)
    return orjson.loads(out.strip().splitlines()[-1])


async def measure_app(
    charts: int, per: int, seconds: float, demo: bool = False, demo_warmup: float = 0.0
) -> tuple[float, float, float, bool]:
    """(fps, cores, CPU ms per frame, any chart throttled) of the app in this process."""
    from streamscope.app import DEMO_LAYOUT, AppOptions, StreamScope
    from streamscope.bench.live import wait_for
    from streamscope.resources import resource_path

    names = [f"live/s{i}" for i in range(charts * per)]
    plots = [] if demo else [names[c * per : (c + 1) * per] for c in range(charts)]
    layout = str(resource_path(DEMO_LAYOUT)) if demo else None
    scope = StreamScope(
        AppOptions(port=0, plots=plots, demo=demo, layout=layout, remember_layout=False)
    )
    await scope.start()
    scope.window.resize(1200, 800)
    clock = scope.window.clock
    throttled = [False]

    def ticked() -> None:
        throttled[0] |= any(
            c.engine.plan.throttled for c in scope.window.charts if hasattr(c, "engine")
        )

    try:
        args = ["--streams", str(len(names)), "--seconds", str(seconds + WARMUP_S + 10)]
        args += ["--history", str(HISTORY_S)]
        if demo:
            await wait_for(lambda: scope.store.total_samples > 0, 15, "the demo's samples")
            await asyncio.sleep(demo_warmup)
            return await _phase(clock, seconds, ticked, throttled)
        cmd = [sys.executable, "-m", "streamscope.bench.live_sender", "--url", scope.server.url]
        proc = subprocess.Popen([*cmd, *args], stdout=subprocess.DEVNULL)
        try:
            await wait_for(lambda: scope.store.total_samples > 0, 15, "the first samples")
            return await _phase(clock, seconds, ticked, throttled)
        finally:
            proc.terminate()
            while proc.poll() is None:
                await asyncio.sleep(0.02)
    finally:
        await scope.stop()


async def _phase(clock, seconds: float, ticked, throttled) -> tuple[float, float, float, bool]:
    await asyncio.sleep(WARMUP_S)
    clock.ticked.connect(ticked)
    throttled[0] = False
    f0, c0, w0 = clock.frames, time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    f1, c1, w1 = clock.frames, time.process_time(), time.monotonic()
    clock.ticked.disconnect(ticked)
    frames, wall, cpu = f1 - f0, w1 - w0, c1 - c0
    return frames / wall, cpu / wall, cpu * 1000 / max(frames, 1), throttled[0]


def measure_live(seconds: float, log: Callable[[str], None] = print) -> LiveResult:
    from streamscope.bench.live import run_on_qasync

    res = LiveResult()
    for load, (charts, per) in LOADS.items():
        for kind in ("naive", "careful"):
            r = run_receiver(kind, charts, per, seconds)
            res.rows.append(LiveRow(load, kind, r["fps"], r["cores"], r["cpu_ms_per_frame"]))
            log(f"  {load}: {kind:<7} {r['fps']:5.1f} fps {r['cores']:.2f} cores")
        fps, cores, ms, thr = run_on_qasync(functools.partial(measure_app, charts, per, seconds))
        res.rows.append(LiveRow(load, "app", fps, cores, ms, thr))
        log(f"  {load}: app     {fps:5.1f} fps {cores:.2f} cores throttled={thr}")
    warm = DEMO_WARMUP_S if seconds >= 10 else 3.0  # --quick: figures, not the steady state
    fps, cores, ms, thr = run_on_qasync(
        functools.partial(measure_app, 0, 0, seconds, demo=True, demo_warmup=warm)
    )
    res.rows.append(LiveRow("--demo, first-run layout", "app", fps, cores, ms, thr))
    log(f"  demo: app {fps:5.1f} fps {cores:.2f} cores throttled={thr}")
    return res


def live_table(res: LiveResult) -> list[str]:
    out = [
        "== Live: paced series batches (50 ms) from a sender process, 1200x800 window ==",
        f"{'load':<28} {'receiver':<8} {'fps drawn':>9} {'cores':>6} {'CPU ms/frame':>13}"
        f" {'throttled':>9}",
    ]
    for r in res.rows:
        thr = "-" if r.throttled is None else ("yes" if r.throttled else "no")
        out.append(
            f"{r.load:<28} {r.who:<8} {r.fps:9.1f} {r.cores:6.2f} {r.cpu_ms_per_frame:13.2f}"
            f" {thr:>9}"
        )
    return out


def live_targets(res: LiveResult | None) -> list[Target]:
    if res is None:
        return []
    by = {(r.load, r.who): r for r in res.rows}
    l1, l2 = list(LOADS)
    app1, naive1, careful1 = by[(l1, "app")], by[(l1, "naive")], by[(l1, "careful")]
    app2, demo = by[(l2, "app")], by[("--demo, first-run layout", "app")]
    return [
        Target("live load 1: app >= 58 fps drawn", f"{app1.fps:.1f} fps", app1.fps >= 58),
        Target("live load 1: no chart throttled", str(app1.throttled), not app1.throttled),
        Target(
            "live load 1: app CPU ms/frame <= 0.5x naive and <= careful",
            f"{app1.cpu_ms_per_frame:.2f} vs naive {naive1.cpu_ms_per_frame:.2f}, "
            f"careful {careful1.cpu_ms_per_frame:.2f}",
            app1.cpu_ms_per_frame <= min(0.5 * naive1.cpu_ms_per_frame, careful1.cpu_ms_per_frame),
        ),
        Target("live load 2: app >= 55 fps drawn", f"{app2.fps:.1f} fps", app2.fps >= 55),
        Target(
            "live demo: >= 55 fps at <= 0.25 cores, none throttled",
            f"{demo.fps:.1f} fps, {demo.cores:.2f} cores, throttled {demo.throttled}",
            demo.fps >= 55 and demo.cores <= 0.25 and not demo.throttled,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Stand-alone run (the smoke test uses it with short phases)."""
    import argparse
    import dataclasses
    import os

    p = argparse.ArgumentParser(prog="python -m streamscope.bench.live_load")
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from streamscope.bench.stats import qt_app

    qt_app()
    res = measure_live(args.seconds)
    print("\n".join([*live_table(res), *(t.line() for t in live_targets(res))]), flush=True)
    if args.json:
        with open(args.json, "wb") as f:
            f.write(orjson.dumps(dataclasses.asdict(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
