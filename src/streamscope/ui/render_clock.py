"""The one timer that draws: every tick, each chart redraws what changed since the last.

Ingest only appends to the store, so a burst of a thousand messages costs one redraw.
The clock measures each frame so the status bar, ``get_stats`` and each chart's render policy
can use it: its own work (``frame_ms``), and per chart the setData work plus the painting that
followed it (read at the next tick, since Qt paints after the timer callback returns).

Features that draw with the charts (analysis) add stages: callables run in the same frame,
before or after the charts, that return whether they drew. The clock knows nothing of them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from streamscope.ui.chart_dock import ChartDock

DEFAULT_FPS = 60
VIEWS_HZ = 10  # analysis views (tiles, marks, forecasts, XY): their own, slower clock
FPS_CAPS = (60, 30, 10)  # the View menu's choices

Stage = Callable[[], bool]  # one step of a frame; True if it drew something


class RenderClock(QObject):
    ticked = Signal()

    def __init__(self, charts: Callable[[], Iterable[ChartDock]], fps: int = DEFAULT_FPS) -> None:
        super().__init__()
        self._charts = charts
        self.views: list[Stage] = []  # run on their own timer at VIEWS_HZ, never in a frame
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.views_timer = QTimer(self)
        self.views_timer.setInterval(round(1000 / VIEWS_HZ))
        self.views_timer.timeout.connect(self.tick_views)
        self.set_fps(fps)
        self.frame_ms: deque[float] = deque(maxlen=600)  # ms of frames that drew something
        self.full_ms: deque[float] = deque(maxlen=600)  # the same frames, painting included
        self._drawn_at: deque[float] = deque(maxlen=600)
        self.frames = 0
        self._last_work: float | None = None  # ms of the last frame that drew (no painting)
        self._last_draws: dict[ChartDock, float] = {}  # setData ms per chart, last frame

    def add_stage(self, stage: Stage) -> None:
        """Run ``stage`` ~10 times a second on the views' own timer, in the order added: what
        it costs is never part of a chart's frame (nor of the frame rate it is judged by)."""
        self.views.append(stage)

    def tick_views(self) -> bool:
        """One round of the view stages (the views' timer calls it; tests may too)."""
        drew = False
        for stage in self.views:
            drew |= bool(stage())
        return drew

    def set_fps(self, fps: int) -> None:
        """The global frame-rate cap: the timer's rate and every chart's fastest rung."""
        self.fps_cap = fps
        self.timer.setInterval(max(1, round(1000 / fps)))

    def start(self) -> None:
        self.timer.start()
        self.views_timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.views_timer.stop()

    def tick(self) -> None:
        start = time.perf_counter()
        now = time.monotonic()
        charts = list(self._charts())
        self._measure_last_frame([c for c in charts if isinstance(c, ChartDock)])
        drew = False
        draws: dict[ChartDock, float] = {}
        for chart in charts:
            if isinstance(chart, ChartDock):
                t = time.perf_counter()
                if chart.refresh():
                    draws[chart] = (time.perf_counter() - t) * 1000
                    drew = True
            else:
                drew |= bool(chart.refresh())
        self._last_draws = draws
        self._last_work = None
        if drew:
            self.frames += 1
            self._last_work = (time.perf_counter() - start) * 1000
            self.frame_ms.append(self._last_work)
            self._drawn_at.append(now)
        self.ticked.emit()

    def _measure_last_frame(self, docks: list[ChartDock]) -> None:
        """Give each chart the last frame's cost: the whole frame (clock work + all painting)
        and its own share (its setData + its painting); None for charts it did not draw."""
        paint = {d: d.plot.take_paint_ms() for d in docks}
        frame = None
        if self._last_work is not None:
            frame = self._last_work + sum(paint.values())
            self.full_ms.append(frame)
        for d in docks:
            d.engine.fps_cap = float(self.fps_cap)
            own = self._last_draws.get(d)
            d.engine.measured(frame, own + paint[d] if own is not None and frame else None)

    def fps(self) -> float:
        """Frames drawn per second over the last two seconds."""
        now = time.monotonic()
        return sum(1 for t in self._drawn_at if now - t <= 2.0) / 2.0

    def frame_percentile(self, q: float) -> float:
        """Percentile of the clock's own work per drawn frame (ms, painting not included)."""
        return float(np.percentile(self.frame_ms, q)) if self.frame_ms else 0.0

    def full_percentile(self, q: float) -> float:
        """Percentile of whole frames: the clock's work plus the painting that followed."""
        return float(np.percentile(self.full_ms, q)) if self.full_ms else 0.0
