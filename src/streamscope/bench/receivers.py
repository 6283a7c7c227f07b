"""Two stand-alone live plotters to measure the app against: what people write without it.

    python -m streamscope.bench.receivers naive|careful --port P --seconds S \
        --charts 2 --curves-per-chart 4

Both: a qasync loop, a ``websockets`` server taking the ``series`` messages that
``bench/live_sender.py`` sends (decoded with orjson), ``--charts`` plots x
``--curves-per-chart`` curves in one 1200x800 window, and a 16 ms timer that calls ``setData``
on every curve and then repaints the window synchronously: a frame is counted only when that
repaint happened. Prints ``PORT n`` once listening, then one JSON line of figures when done:
frames drawn per second, CPU cores used (process CPU time / wall time) and CPU ms per frame,
over the ``--seconds`` after ``--warmup`` seconds of data.

- naive: Python lists appended per sample, every point of every curve to ``setData`` each tick.
- careful: numpy arrays, a 30 s window, tsdownsample's compiled M4 to ~4 points per pixel
  column, ``skipFiniteCheck=True``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import numpy as np
import orjson

WIDTH, HEIGHT = 1200, 800
TICK_MS = 16
WINDOW_S = 30.0


class Naive:
    def __init__(self) -> None:
        self.x: dict[str, list[float]] = {}
        self.y: dict[str, list[float]] = {}

    def add(self, name: str, t: list[float], v: list[float]) -> None:
        xs, ys = self.x.setdefault(name, []), self.y.setdefault(name, [])
        for a, b in zip(t, v, strict=False):
            xs.append(a)
            ys.append(b)

    def draw(self, curve, name: str, width: int) -> None:
        if name in self.x:
            curve.setData(self.x[name], self.y[name])


class Careful:
    def __init__(self) -> None:
        from tsdownsample import M4Downsampler

        self.m4 = M4Downsampler()
        self.t: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.n: dict[str, int] = {}

    def add(self, name: str, t: list[float], v: list[float]) -> None:
        n = self.n.get(name, 0)
        buf_t, buf_v = self.t.get(name), self.v.get(name)
        if buf_t is None or n + len(t) > len(buf_t):  # grow by doubling
            size = max(1024, 2 * (n + len(t)))
            new_t, new_v = np.empty(size), np.empty(size)
            if buf_t is not None and buf_v is not None:
                new_t[:n], new_v[:n] = buf_t[:n], buf_v[:n]
            self.t[name], self.v[name] = buf_t, buf_v = new_t, new_v
        assert buf_t is not None and buf_v is not None
        buf_t[n : n + len(t)] = t
        buf_v[n : n + len(v)] = v
        self.n[name] = n + len(t)

    def draw(self, curve, name: str, width: int) -> None:
        n = self.n.get(name, 0)
        if not n:
            return
        t, v = self.t[name][:n], self.v[name][:n]
        i0 = int(np.searchsorted(t, t[-1] - WINDOW_S))
        t, v = t[i0:], v[i0:]
        n_out = 4 * width
        if len(t) > n_out:
            idx = self.m4.downsample(t, v, n_out=n_out)
            t, v = t[idx], v[idx]
        curve.setData(t, v, skipFiniteCheck=True)


async def run(kind: str, port: int, seconds: float, warmup: float, charts: int, per: int) -> dict:
    import pyqtgraph as pg
    from websockets.asyncio.server import serve

    win = pg.GraphicsLayoutWidget()
    win.resize(WIDTH, HEIGHT)
    cols = 1 if charts <= 2 else 2
    curves: list[tuple[object, str]] = []
    for c in range(charts):
        plot = win.addPlot(row=c // cols, col=c % cols)
        for k in range(per):
            i = c * per + k
            curves.append((plot.plot(pen=pg.intColor(k, per)), f"live/s{i}"))
    win.show()
    plotter = Naive() if kind == "naive" else Careful()
    state = {"first": 0.0, "frames": 0, "samples": 0}

    async def handler(ws) -> None:
        async for msg in ws:
            obj = orjson.loads(msg)
            if obj.get("type") == "series":
                plotter.add(obj["stream"], obj["t"], obj["v"])
                state["samples"] += len(obj["t"])
                state["first"] = state["first"] or time.monotonic()

    def tick() -> None:
        width = max(100, int(win.width() / cols))
        for curve, name in curves:
            plotter.draw(curve, name, width)
        win.repaint()  # synchronous: the frame counts only once it is painted
        state["frames"] += 1

    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(TICK_MS)
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=2**24) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        print(f"PORT {bound}", flush=True)
        while not state["first"]:
            await asyncio.sleep(0.01)
        await asyncio.sleep(warmup)
        f0, c0, w0 = state["frames"], time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        f1, c1, w1 = state["frames"], time.process_time(), time.monotonic()
    timer.stop()
    win.close()
    frames, wall, cpu = f1 - f0, w1 - w0, c1 - c0
    return {
        "kind": kind,
        "fps": frames / wall,
        "cores": cpu / wall,
        "cpu_ms_per_frame": cpu * 1000 / max(frames, 1),
        "frames": frames,
        "seconds": wall,
        "samples": state["samples"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.bench.receivers")
    p.add_argument("kind", choices=("naive", "careful"))
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--charts", type=int, default=2)
    p.add_argument("--curves-per-chart", type=int, default=4)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from streamscope.bench.live import run_on_qasync

    a = args
    result = run_on_qasync(
        lambda: run(a.kind, a.port, a.seconds, a.warmup, a.charts, a.curves_per_chart)
    )
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
