"""Frame timing as the user feels it, for the flood test and the soak command.

Two figures per frame: how long the render clock spent drawing (``draw``), and how long since
the previous tick (``gap``): the gap also holds everything else the GUI thread did in between
(decoding ingest, Qt events), so a starved or frozen window shows up there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from streamscope.ui.render_clock import RenderClock


@dataclass(frozen=True, slots=True)
class FrameStats:
    frames: int  # frames that drew something
    ticks: int
    draw_p50: float
    draw_p95: float
    draw_max: float
    gap_p50: float
    gap_p95: float
    gap_max: float

    def line(self) -> str:
        return (
            f"draw p50 {self.draw_p50:5.1f} p95 {self.draw_p95:5.1f} max {self.draw_max:6.1f} ms"
            f" | tick gap p50 {self.gap_p50:5.1f} p95 {self.gap_p95:5.1f}"
            f" max {self.gap_max:6.1f} ms | {self.frames} frames"
        )


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else 0.0


class FrameMonitor:
    def __init__(self, clock: RenderClock) -> None:
        self.clock = clock
        self.draw_ms: list[float] = []
        self.gap_ms: list[float] = []
        self._last: float | None = None
        self._frames = clock.frames
        clock.ticked.connect(self._ticked)

    def _ticked(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gap_ms.append((now - self._last) * 1000)
        self._last = now
        if self.clock.frames > self._frames and self.clock.frame_ms:
            self.draw_ms.append(self.clock.frame_ms[-1])
        self._frames = self.clock.frames

    def take(self) -> FrameStats:
        """Stats since the last ``take`` (or since the start), then start over."""
        d, g = self.draw_ms, self.gap_ms
        stats = FrameStats(
            len(d), len(g), _pct(d, 50), _pct(d, 95), max(d, default=0.0),
            _pct(g, 50), _pct(g, 95), max(g, default=0.0),
        )  # fmt: skip
        self.draw_ms, self.gap_ms = [], []
        return stats

    def close(self) -> None:
        self.clock.ticked.disconnect(self._ticked)
