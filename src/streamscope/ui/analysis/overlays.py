"""What analysis draws on top of a chart: anomaly marks, forecast bands, alert thresholds and
markers, plus the chart's "Analysis" context menu.

An overlay owns its own items inside the chart's ViewBox and never changes how the chart
draws its curves; the render clock calls ``refresh`` right after the charts have drawn.
What its menu asks for beyond the chart (a derived stream, an alert, tiles, a link) it emits
as a signal, which the analysis controller connects.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from streamscope.core.analysis.derived import KINDS, DerivedSpec
from streamscope.core.analysis.forecast import Forecast, ForecastConfig, Throttle, fit_forecast
from streamscope.core.analysis.hub import AnalysisHub
from streamscope.core.store.store import Stream
from streamscope.ui.chart_dock import ChartDock
from streamscope.ui.view_box import keep_bounds_while_scrolling

ANOMALY_COLOR = "#ff5252"
ALERT_COLOR = "#ff1744"
FORECAST_INTERVAL_S = 0.25  # forecasts are refitted at most 4 times a second
HIGHLIGHT_S = 4.0  # how long a mark picked in the Anomalies list stays highlighted
MAX_MARKS_DRAWN = 500  # per curve, newest (pyqtgraph's scatter costs ~3 µs per point set)
MARKS_INTERVAL_S = 0.2  # new marks are drawn at most 5 times a second (floods mark a lot)


@dataclass(eq=False)
class ForecastDraw:
    """The items of one curve's forecast: dashed mean, invisible band edges, the fill."""

    line: pg.PlotDataItem
    upper: pg.PlotDataItem
    lower: pg.PlotDataItem
    fill: pg.FillBetweenItem
    throttle: Throttle = field(default_factory=lambda: Throttle(FORECAST_INTERVAL_S))
    drawn: tuple = ()
    last: Forecast | None = None
    fits: int = 0

    def items(self) -> tuple:
        return self.fill, self.upper, self.lower, self.line


class ChartOverlays(QObject):
    # what the chart's Analysis menu asks of the rest of the analysis
    linkToggled = Signal(object, bool)  # (ChartDock, on): join / leave the linked time axes
    forecastSettingsRequested = Signal(object)  # (ChartOverlays): edit its forecast settings
    derivedRequested = Signal(object, object)  # (DerivedSpec, ChartDock): add it to the chart
    derivedDialogRequested = Signal(str, object)  # (source, ChartDock): ask which derivation
    alertRequested = Signal(str)  # stream: start a rule on it
    summaryRequested = Signal(str)  # stream: show its summary
    tilesRequested = Signal(list)  # streams: show them as value tiles

    def __init__(self, chart: ChartDock, hub: AnalysisHub) -> None:
        super().__init__()
        self.chart = chart
        self.hub = hub
        self.vb = chart.plot.getPlotItem().getViewBox()
        self.linked = False  # kept by the controller: its time axis is linked
        self.marks_on = True
        self.forecasts: dict[str, ForecastDraw] = {}
        self.forecast_config = ForecastConfig()
        self.thresholds: dict[int, pg.InfiniteLine] = {}
        self._marks_key: tuple = ()
        self._marks_at = -1e9  # time.monotonic() of the last mark redraw
        self._alerts_key: tuple = ()
        self._highlight_until = 0.0

        # small and thin: a noisy 1 kHz stream marks dozens of samples per window
        self.marks = pg.ScatterPlotItem(
            size=7, pen=pg.mkPen(ANOMALY_COLOR, width=1.5), brush=None, symbol="o"
        )
        self.marks.setZValue(20)
        self.alert_marks = pg.ScatterPlotItem(
            size=13, pen=pg.mkPen("w", width=1), brush=pg.mkBrush(ALERT_COLOR), symbol="t"
        )
        self.alert_marks.setZValue(21)
        self.highlight = pg.ScatterPlotItem(
            size=26, pen=pg.mkPen("#ffff00", width=3), brush=None, symbol="o"
        )
        self.highlight.setZValue(22)
        for item in (self.marks, self.alert_marks, self.highlight):
            keep_bounds_while_scrolling(item, self.vb)
            self.vb.addItem(item, ignoreBounds=True)
            item.setVisible(False)  # shown with points: an empty scatter still costs each paint
        self.link_badge = pg.TextItem("⇆ time-linked", color="#9ccc65", anchor=(1, 0))
        self.link_badge.setParentItem(self.vb)
        self.link_badge.setVisible(False)
        self.vb.sigResized.connect(self._place_badge)
        self._place_badge()

        self.menu = QMenu("Analysis")
        self.menu.aboutToShow.connect(self._build_menu)
        self.vb.menu.addSeparator()
        self.vb.menu.addMenu(self.menu)

    # ------------------------------------------------------------ toggles

    def set_marks(self, on: bool) -> None:
        self.marks_on = on
        self.marks.setVisible(on and len(self.marks.data) > 0)
        self._marks_key, self._marks_at = (), -1e9

    def set_forecast(self, name: str, on: bool) -> None:
        """Show/hide the forecast of curve ``name``."""
        if not on:
            fd = self.forecasts.pop(name, None)
            if fd is not None:
                for item in fd.items():
                    self.vb.removeItem(item)
            return
        if name in self.forecasts or name not in self.chart.curves:
            return
        color = self.chart.curves[name].item.opts["pen"].color()
        line = pg.PlotDataItem(pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
        edge = pg.mkPen(None)
        upper, lower = pg.PlotDataItem(pen=edge), pg.PlotDataItem(pen=edge)
        band = pg.mkColor(color)
        band.setAlpha(55)
        fill = pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(band))
        fd = ForecastDraw(line, upper, lower, fill)
        for item in (fill, upper, lower):
            self.vb.addItem(item, ignoreBounds=True)
        self.vb.addItem(line)
        self.forecasts[name] = fd

    def set_forecast_config(self, config: ForecastConfig) -> None:
        self.forecast_config = config
        for fd in self.forecasts.values():
            fd.drawn = ()
            fd.throttle.reset()

    def set_linked(self, on: bool) -> None:
        self.linked = on
        self.link_badge.setVisible(on)

    def show_highlight(self, x: float, value: float) -> None:
        self.highlight.setData([x], [value])
        self.highlight.setVisible(True)
        self._highlight_until = time.monotonic() + HIGHLIGHT_S

    # ------------------------------------------------------------ layouts

    def state(self) -> dict:
        """The chart's forecasts and marks, as a layout saves them (``charts`` entry)."""
        return {
            "forecasts": list(self.forecasts),
            "forecast": asdict(self.forecast_config),
            "marks": self.marks_on,
        }

    def restore(self, state: dict) -> None:
        """Apply saved forecasts and marks; raises on a malformed part."""
        self.set_forecast_config(ForecastConfig(**state.get("forecast", {})))
        for name in state.get("forecasts", []):
            self.set_forecast(str(name), True)
        self.set_marks(bool(state.get("marks", True)))

    def _place_badge(self, *_) -> None:
        self.link_badge.setPos(self.vb.width() - 6, 4)

    # ------------------------------------------------------------ drawing

    def _streams(self) -> list[tuple[str, Stream]]:
        return [(n, c.stream) for n, c in self.chart.curves.items() if c.stream is not None]

    def _origin(self, stream: Stream) -> float:
        session = self.chart.store.sessions.get(stream.session_id)
        return (session.origin or 0.0) if session else 0.0

    def refresh(self) -> bool:
        drew = self._refresh_marks()
        drew |= self._refresh_alerts()
        drew |= self._refresh_forecasts()
        if self._highlight_until and time.monotonic() > self._highlight_until:
            self._highlight_until = 0.0
            self.highlight.setVisible(False)
            drew = True
        return drew

    def _refresh_marks(self) -> bool:
        if not self.marks_on:
            return False
        parts = []
        key = []
        for name, stream in self._streams():
            sa = self.hub.analysis(name)
            if sa is None or sa.stream is not stream:
                continue
            key.append((name, id(sa), sa.marks_version))
            parts.append((sa.marks_x[-MAX_MARKS_DRAWN:], sa.marks_v[-MAX_MARKS_DRAWN:]))
        key = tuple(key)
        now = time.monotonic()
        if key == self._marks_key or now - self._marks_at < MARKS_INTERVAL_S:
            return False
        self._marks_key, self._marks_at = key, now
        x = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
        y = np.concatenate([p[1] for p in parts]) if parts else np.empty(0)
        self.marks.setData(x, y)
        self.marks.setVisible(len(x) > 0)
        return True

    def _refresh_alerts(self) -> bool:
        book = self.hub.alerts
        streams = dict(self._streams())
        key = (book.version, tuple((n, id(s)) for n, s in streams.items()))
        if key == self._alerts_key:
            return False
        self._alerts_key = key
        wanted = {
            st.rule.id: st.rule
            for st in book.states
            if st.rule.enabled and st.rule.stream in self.chart.curves
        }
        for rid in [r for r in self.thresholds if r not in wanted]:
            self.vb.removeItem(self.thresholds.pop(rid))
        for rid, rule in wanted.items():
            line = self.thresholds.get(rid)
            if line is None:
                line = pg.InfiniteLine(
                    angle=0,
                    pen=pg.mkPen(ALERT_COLOR, width=1, style=Qt.PenStyle.DotLine),
                    label=rule.describe(),
                    labelOpts={"position": 0.03, "color": ALERT_COLOR, "anchors": [(0, 1), (0, 1)]},
                )
                self.vb.addItem(line, ignoreBounds=True)
                self.thresholds[rid] = line
            line.setPos(rule.threshold)
            line.label.setFormat(rule.describe())
        xs, ys = [], []
        for stream in streams.values():
            x, y = book.markers(stream)
            xs.append(x)
            ys.append(y)
        x = np.concatenate(xs) if xs else np.empty(0)
        y = np.concatenate(ys) if ys else np.empty(0)
        self.alert_marks.setData(x, y)
        self.alert_marks.setVisible(len(x) > 0)
        return True

    def _refresh_forecasts(self) -> bool:
        drew = False
        streams = dict(self._streams())
        for name in [n for n in self.forecasts if n not in self.chart.curves]:
            self.set_forecast(name, False)
        for name, fd in self.forecasts.items():
            stream = streams.get(name)
            if stream is None:
                continue
            key = (id(stream), stream.version)
            if key == fd.drawn or self.chart.state.paused or not fd.throttle.ready():
                continue
            fd.drawn = key
            ring = stream.ring
            n = self.forecast_config.samples
            f = fit_forecast(ring.t[-n:], ring.v[-n:], self.forecast_config)
            fd.last = f
            fd.fits += 1
            if f is None:
                for item in (fd.line, fd.upper, fd.lower):
                    item.setData([], [])
            else:
                x = f.t - self._origin(stream)
                fd.line.setData(x, f.mean)
                fd.upper.setData(x, f.hi)
                fd.lower.setData(x, f.lo)
            drew = True
        return drew

    def keep_lead(self, lead: float) -> bool:
        """Keep ``lead`` seconds of future in the chart's view (its own forecasts', or its
        linked group's); redraws the chart in this frame when that changes."""
        if lead == self.chart.x_lead:
            return False
        self.chart.x_lead = lead
        self.chart.set_follow(self.chart.state.follow)  # forget what was drawn …
        return self.chart.refresh()  # … and redraw with the new range in this frame

    @property
    def lead(self) -> float:
        """Seconds of future this chart's own forecasts need in view."""
        return self.forecast_config.horizon if self.forecasts else 0.0

    def forecast_band(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """What the forecast of ``name`` shows now: x, lower and upper edge (None if hidden)."""
        fd = self.forecasts.get(name)
        if fd is None or fd.last is None:
            return None
        x, lo = fd.lower.getData()
        _, hi = fd.upper.getData()
        return np.asarray(x), np.asarray(lo), np.asarray(hi)

    # ------------------------------------------------------------ context menu

    def _build_menu(self) -> None:
        m = self.menu
        m.clear()
        names = list(self.chart.curves)
        chart = self.chart

        marks = m.addAction("Mark anomalies")
        marks.setCheckable(True)
        marks.setChecked(self.marks_on)
        marks.toggled.connect(self.set_marks)
        link = m.addAction("Link time axis with other linked charts")
        link.setCheckable(True)
        link.setChecked(self.linked)
        link.toggled.connect(lambda on: self.linkToggled.emit(chart, on))
        if not names:
            m.addSeparator()
            m.addAction("(add a curve for forecasts and derived streams)").setEnabled(False)
            return

        fm = m.addMenu("Forecast")
        for name in names:
            act = fm.addAction(name)
            act.setCheckable(True)
            act.setChecked(name in self.forecasts)
            act.toggled.connect(lambda on, n=name: self.set_forecast(n, on))
        fm.addSeparator()
        fm.addAction("Forecast settings…", lambda: self.forecastSettingsRequested.emit(self))

        dm = m.addMenu("Derived stream")
        for name in names:
            sub = dm.addMenu(name)
            for kind, label in KINDS.items():
                text = label if kind == "derivative" else f"{label} (1 s)"
                sub.addAction(
                    text,
                    lambda n=name, k=kind: self.derivedRequested.emit(DerivedSpec(n, k), chart),
                )
            sub.addAction(
                "Other window…", lambda n=name: self.derivedDialogRequested.emit(n, chart)
            )

        am = m.addMenu("Alert on")
        for name in names:
            am.addAction(f"{name}…", lambda n=name: self.alertRequested.emit(n))
        sm = m.addMenu("Summary of")
        for name in names:
            sm.addAction(name, lambda n=name: self.summaryRequested.emit(n))
        tiles = m.addAction("Show as value tiles", lambda: self.tilesRequested.emit(names))
        tiles.setToolTip("One value card per curve in the Value tiles panel")

    def actions_for_tests(self) -> list[QAction]:
        self._build_menu()
        return self.menu.actions()

    def detach(self) -> None:
        """Forget the chart (it is closing); its scene deletes the items."""
        self.forecasts.clear()
        self.thresholds.clear()
