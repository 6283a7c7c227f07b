"""The one timer that draws: every tick, each chart redraws what changed since the last.

Ingest only appends to the store, so a burst of a thousand messages costs one redraw.
The clock measures each frame so the status bar and ``get_stats`` can report it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from streamscope.ui.chart_dock import ChartDock

DEFAULT_FPS = 60


class RenderClock(QObject):
    ticked = Signal()

    def __init__(self, charts: Callable[[], Iterable[ChartDock]], fps: int = DEFAULT_FPS) -> None:
        super().__init__()
        self._charts = charts
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.set_fps(fps)
        self.frame_ms: deque[float] = deque(maxlen=600)  # ms of frames that drew something
        self._drawn_at: deque[float] = deque(maxlen=600)
        self.frames = 0

    def set_fps(self, fps: int) -> None:
        self.fps_cap = fps
        self.timer.setInterval(max(1, round(1000 / fps)))

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        start = time.perf_counter()
        drew = False
        for chart in list(self._charts()):
            drew |= chart.refresh()
        if drew:
            self.frames += 1
            self.frame_ms.append((time.perf_counter() - start) * 1000)
            self._drawn_at.append(time.monotonic())
        self.ticked.emit()

    def fps(self) -> float:
        """Frames drawn per second over the last two seconds."""
        now = time.monotonic()
        return sum(1 for t in self._drawn_at if now - t <= 2.0) / 2.0

    def frame_percentile(self, q: float) -> float:
        return float(np.percentile(self.frame_ms, q)) if self.frame_ms else 0.0
