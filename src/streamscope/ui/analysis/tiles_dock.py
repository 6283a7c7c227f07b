"""Value tiles: one card per stream with its last value, the change over a chosen period,
min/mean/max of the window, the rate and a sparkline. Drop streams on the panel to add cards.
A card turns to the alarm colour while an alert on its stream is active.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from streamscope.core.analysis.fmt import fmt_rate, fmt_signed, fmt_value
from streamscope.core.analysis.hub import AnalysisHub
from streamscope.core.analysis.stats import StatsView, value_before
from streamscope.core.series.plotdata import curve_points
from streamscope.core.store.store import Store
from streamscope.ui.analysis.dock import AnalysisDock
from streamscope.ui.dnd import AcceptsStreams, streams_from_mime
from streamscope.ui.windows import WINDOWS

PERIODS: list[tuple[str, float | None]] = [
    ("vs 1 s ago", 1.0),
    ("vs 10 s ago", 10.0),
    ("vs 1 min ago", 60.0),
    ("vs window start", None),
]
REFRESH_S = 0.2  # cards are text: five updates a second is plenty
UP, DOWN, FLAT = "#66bb6a", "#ef5350", "#9e9e9e"
CARD_STYLE = "QFrame#tile {{ background: {bg}; border: 1px solid {border}; border-radius: 6px; }}"
NORMAL_BG, ALARM_BG = "palette(base)", "#b71c1c"


class Sparkline(QWidget):
    """A tiny line of the window's values, drawn with QPainter (no plot machinery per card)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.x = np.empty(0)
        self.y = np.empty(0)
        self.color = QColor("#4fc3f7")

    def set_points(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        self.update()

    def paintEvent(self, _ev) -> None:
        keep = np.isfinite(self.y)
        x, y = self.x[keep], self.y[keep]
        if len(x) < 2:
            return
        w, h = self.width() - 2, self.height() - 4
        x0, x1 = float(x.min()), float(x.max())
        y0, y1 = float(y.min()), float(y.max())
        sx = w / (x1 - x0) if x1 > x0 else 0.0
        sy = h / (y1 - y0) if y1 > y0 else 0.0
        px = 1 + (x - x0) * sx
        py = 2 + (h - (y - y0) * sy if sy else np.full(len(y), h / 2))
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(self.color, 1.2))
        p.drawPath(pg.arrayToQPath(px, py))  # built in numpy, no per-point Python
        p.end()


class Tile(QFrame):
    removeRequested = Signal(str)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.alarm = False
        self._change_color = ""
        self.setObjectName("tile")
        self.setMinimumWidth(200)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(1)
        self.name_label = QLabel(name)
        self.name_label.setStyleSheet("font-weight: bold; color: palette(mid)")
        self.name_label.setToolTip(name)
        self.value_label = QLabel("—")
        self.value_label.setStyleSheet("font-size: 22px; font-weight: bold")
        self.change_label = QLabel("")
        self.stats_label = QLabel("waiting for data…")
        self.stats_label.setStyleSheet("color: palette(mid); font-size: 11px")
        self.rate_label = QLabel("")
        self.rate_label.setStyleSheet("color: palette(mid); font-size: 11px")
        self.spark = Sparkline()
        top = QHBoxLayout()
        top.addWidget(self.name_label, 1)
        top.addWidget(self.rate_label)
        lay.addLayout(top)
        row = QHBoxLayout()
        row.addWidget(self.value_label)
        row.addWidget(self.change_label, 1, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(row)
        lay.addWidget(self.stats_label)
        lay.addWidget(self.spark)
        self.set_alarm(False)

    def set_alarm(self, on: bool) -> None:
        self.alarm = on
        bg, border = (ALARM_BG, "#ff5252") if on else (NORMAL_BG, "palette(mid)")
        self.setStyleSheet(CARD_STYLE.format(bg=bg, border=border))
        self.spark.color = QColor("#ffffff" if on else "#4fc3f7")
        self.setToolTip(f"{self.name}: an alert is active" if on else self.name)

    def show_values(
        self, last: float, change: float, ref: float, st: StatsView, period: str
    ) -> None:
        self.value_label.setText(fmt_value(last))
        if math.isnan(change):
            self.change_label.setText("")
        else:
            arrow, color = ("▲", UP) if change > 0 else ("▼", DOWN) if change < 0 else ("▶", FLAT)
            pct = f" ({change / abs(ref) * 100:+.1f}%)" if ref and math.isfinite(ref) else ""
            self.change_label.setText(f"{arrow} {fmt_signed(change)}{pct} {period}")
            if color != self._change_color:  # restyling is costly: only when it changes
                self._change_color = color
                self.change_label.setStyleSheet(f"color: {color}")
        self.stats_label.setText(
            f"min {fmt_value(st.min)} · mean {fmt_value(st.mean)} · max {fmt_value(st.max)}"
        )
        self.rate_label.setText(fmt_rate(st.rate_hz))

    def contextMenuEvent(self, ev) -> None:
        menu = QMenu(self)
        menu.addAction(f"Remove {self.name}", lambda: self.removeRequested.emit(self.name))
        menu.exec(ev.globalPos())


class _DropArea(AcceptsStreams, QWidget):
    streamsDropped = Signal(QMimeData)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)


class TilesDock(AnalysisDock):
    def __init__(self, store: Store, hub: AnalysisHub, parent: QWidget | None = None) -> None:
        super().__init__("Value tiles", "value-tiles", store, hub, parent)
        self.tiles: dict[str, Tile] = {}
        self._due = 0.0
        self._columns = 1

        body = _DropArea()
        body.streamsDropped.connect(self.handle_drop)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.window_box = QComboBox()
        for label, _ in WINDOWS:
            self.window_box.addItem(label)
        self.window_box.setCurrentIndex(1)
        self.window_box.setToolTip("Window for min / mean / max, rate and the sparkline")
        self.period_box = QComboBox()
        for label, _ in PERIODS:
            self.period_box.addItem(label)
        self.period_box.setCurrentIndex(1)
        self.period_box.setToolTip("What the change is measured against")
        for box in (self.window_box, self.period_box):
            box.currentIndexChanged.connect(self._settings_changed)
        bar.addWidget(QLabel("Window"))
        bar.addWidget(self.window_box)
        bar.addWidget(self.period_box)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.hint = QLabel("Drop streams here for live value cards")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: gray; padding: 24px")
        lay.addWidget(self.hint)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid_host)
        lay.addWidget(scroll, 1)
        self.setWidget(body)

    # ------------------------------------------------------------ layouts

    def state(self) -> dict:
        """The cards and the two choices, as a layout saves them (``tiles``)."""
        return {
            "streams": list(self.tiles),
            "window": self.window_box.currentIndex(),
            "period": self.period_box.currentIndex(),
        }

    def restore(self, state: dict) -> None:
        """Add the saved cards and pick the saved choices; raises on a malformed part."""
        for name in state.get("streams", []):
            self.add_stream(str(name))
        self.window_box.setCurrentIndex(int(state.get("window", 1)))
        self.period_box.setCurrentIndex(int(state.get("period", 1)))

    # ------------------------------------------------------------ cards

    @property
    def window(self) -> float | None:
        return WINDOWS[self.window_box.currentIndex()][1]

    @property
    def period(self) -> float | None:
        return PERIODS[self.period_box.currentIndex()][1]

    def add_stream(self, name: str) -> bool:
        if name in self.tiles:
            return False
        tile = Tile(name)
        tile.removeRequested.connect(self.remove_stream)
        self.tiles[name] = tile
        self._relayout()
        self._due = 0.0
        return True

    def remove_stream(self, name: str) -> None:
        tile = self.tiles.pop(name, None)
        if tile is not None:
            self.grid.removeWidget(tile)
            tile.deleteLater()
            self._relayout()

    def handle_drop(self, mime: QMimeData) -> int:
        return sum(self.add_stream(name) for _, name in streams_from_mime(mime))

    def _settings_changed(self, *_) -> None:
        self._due = 0.0

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        cols = max(1, (self.width() - 24) // 215)
        if cols != self._columns:
            self._columns = cols
            self._relayout()

    def _relayout(self) -> None:
        for tile in self.tiles.values():
            self.grid.removeWidget(tile)
        for i, tile in enumerate(self.tiles.values()):
            self.grid.addWidget(tile, i // self._columns, i % self._columns)
        self.hint.setVisible(not self.tiles)

    # ------------------------------------------------------------ values

    def refresh(self) -> bool:
        """Called by the render clock; updates the cards a few times a second."""
        now = time.monotonic()
        if not self.tiles or now < self._due or not self.isVisible():
            return False
        self._due = now + REFRESH_S
        alarms = self.hub.alerts.active_streams()
        for name, tile in self.tiles.items():
            self._refresh_tile(tile, name in alarms)
        return True

    def _refresh_tile(self, tile: Tile, alarm: bool) -> None:
        if tile.alarm != alarm:
            tile.set_alarm(alarm)
        sa = self.hub.analysis(tile.name)
        if sa is None or not len(sa.stream.ring):
            return
        ring = sa.stream.ring
        window = self.window
        st = sa.window(window).view(ring) if window else sa.stats.view()
        last = float(ring.v[-1])
        period = self.period
        t_last = ring.last_t
        if period is None:
            ref_t = t_last - window if window else float(ring.t[0])
        else:
            ref_t = t_last - period
        ref = value_before(ring, ref_t) if ref_t >= ring.t[0] else math.nan
        tile.show_values(last, last - ref, ref, st, PERIODS[self.period_box.currentIndex()][0])
        t0 = t_last - window if window else float(ring.t[0])
        pts = curve_points(ring, 0.0, t0, t_last, max(40, tile.spark.width()))
        tile.spark.set_points(pts.x, pts.y)
