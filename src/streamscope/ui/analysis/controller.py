"""Live analysis in the main window: owns the analysis hub, the panels (value tiles,
anomalies, alerts, summary), the XY charts, the chart overlays and the time link, and the
"Analysis" menu.

It hooks into the window (a ``ChartHost``) with two stages on the render clock's views timer
(~10 Hz, never inside a chart's frame): ``tick`` (the hub update) and ``refresh_views`` (every
analysis view); nothing here runs from ingest. New charts are picked up on the next round, so
``new_chart`` is untouched. Layouts save and restore everything with ``state`` / ``restore``
(a dict of each part's own ``state()``); ``state_to_json`` / ``state_from_json`` are the same as
JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from streamscope.core.analysis.alerts import AlertRule, RuleError
from streamscope.core.analysis.derived import DerivedSpec
from streamscope.core.analysis.hub import AnalysisHub, Anomaly
from streamscope.core.analysis.llm import LLMSettings
from streamscope.core.store.store import LIVE
from streamscope.ui.analysis.alerts_dock import AlertsDock
from streamscope.ui.analysis.anomalies_dock import AnomaliesDock
from streamscope.ui.analysis.dialogs import ask_derived_spec, ask_forecast_config, ask_llm_settings
from streamscope.ui.analysis.overlays import ChartOverlays
from streamscope.ui.analysis.summary_dock import SummaryDock
from streamscope.ui.analysis.tiles_dock import TilesDock
from streamscope.ui.analysis.time_link import TimeLink
from streamscope.ui.analysis.xy_dock import XYDock
from streamscope.ui.chart_dock import ChartDock
from streamscope.ui.host import ChartHost

STATE_VERSION = 1


class _View(Protocol):
    def refresh(self) -> bool: ...


class AnalysisController(QObject):
    def __init__(self, window: ChartHost) -> None:
        super().__init__(window.window())
        self.window = window
        self.store = window.store
        self.hub = AnalysisHub(self.store)
        self.llm = LLMSettings.from_env()
        self.overlays: dict[ChartDock, ChartOverlays] = {}
        self.xy_docks: list[XYDock] = []
        self._next_xy = 1
        self.link = TimeLink(on_change=self._link_changed)

        right = Qt.DockWidgetArea.RightDockWidgetArea
        parent = window.window()
        self.tiles = TilesDock(self.store, self.hub, parent)
        self.anomalies = AnomaliesDock(self.store, self.hub, parent)
        self.alerts = AlertsDock(self.store, self.hub, parent)
        self.summary = SummaryDock(self.store, self.hub, lambda: self.llm, parent)
        window.addDockWidget(right, self.tiles)
        window.addDockWidget(right, self.anomalies)
        window.tabifyDockWidget(self.anomalies, self.alerts)
        window.tabifyDockWidget(self.alerts, self.summary)
        for dock in (self.anomalies, self.alerts, self.summary):
            dock.hide()
        window.resizeDocks([self.tiles], [330], Qt.Orientation.Horizontal)
        self.anomalies.anomalyActivated.connect(self.focus_anomaly)
        self._build_menu()
        window.installEventFilter(self)
        window.clock.add_stage(self.tick)
        window.clock.add_stage(self.refresh_views)

    # ------------------------------------------------------------ render clock

    def tick(self) -> bool:
        """First stage of each frame: attach overlays to new charts, then update the hub."""
        self.sync()
        return False  # computes, never draws

    def refresh_views(self) -> bool:
        """Last stage of each frame: every analysis view, drawn after the charts (read after
        the hub tick, which may have attached new overlays). Each chart then keeps the future
        its forecasts, or its linked group's, need in view."""
        drew = False
        for ov in list(self.overlays.values()):
            drew |= ov.refresh()
            drew |= ov.keep_lead(self.lead_for(ov.chart))
        for view in self.views():
            drew |= view.refresh()
        return drew

    def views(self) -> list[_View]:
        """The views drawn after the overlays: XY charts, then the panels."""
        return [
            *self.xy_docks,
            self.tiles,
            self.anomalies,
            self.alerts,
            self.summary,
        ]

    def sync(self) -> None:
        """Attach/detach chart overlays, tell the hub what is on screen, fold new samples."""
        charts = set(self.window.charts)
        for chart in [c for c in self.overlays if c not in charts]:
            self.overlays.pop(chart).detach()
        self.link.prune(charts)
        for chart in self.window.charts:
            if chart not in self.overlays:
                self.overlays[chart] = self._make_overlay(chart)
        names = {n for c in self.window.charts for n in c.curves}
        names |= set(self.tiles.tiles)
        if self.summary.isVisible() and self.summary.stream:
            names.add(self.summary.stream)
        self.hub.set_watched(names)
        self.hub.update()

    def overlay(self, chart: ChartDock) -> ChartOverlays:
        """The overlay of ``chart`` (made now if the next frame has not done it yet)."""
        if chart not in self.overlays:
            self.overlays[chart] = self._make_overlay(chart)
        return self.overlays[chart]

    def _make_overlay(self, chart: ChartDock) -> ChartOverlays:
        ov = ChartOverlays(chart, self.hub)
        ov.set_linked(self.link.is_linked(chart))
        ov.linkToggled.connect(self.set_linked)
        ov.forecastSettingsRequested.connect(self.edit_forecast)
        ov.derivedRequested.connect(self.add_derived)
        ov.derivedDialogRequested.connect(self.ask_derived)
        ov.alertRequested.connect(self.new_alert_for)
        ov.summaryRequested.connect(self.show_summary)
        ov.tilesRequested.connect(self.add_tiles)
        return ov

    # ------------------------------------------------------------ menu

    def _build_menu(self) -> None:
        bar = self.window.menuBar()
        help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
        menu = bar.addMenu("&Analysis")
        if help_action is not None:
            bar.insertMenu(help_action, menu)
        for dock, key in (
            (self.tiles, "Ctrl+T"),
            (self.anomalies, "Ctrl+Shift+A"),
            (self.alerts, "Ctrl+Shift+R"),
            (self.summary, "Ctrl+I"),
        ):
            act = dock.toggleViewAction()
            act.setShortcut(QKeySequence(key))
            menu.addAction(act)
        menu.addSeparator()
        self._add(
            menu, "New &XY chart (selected streams)", "Ctrl+Shift+X", self.new_xy_from_selection
        )
        self._add(menu, "Add &derived stream…", None, self.ask_derived_from_selection)
        self._add(menu, "&Link all charts' time axes", "Ctrl+L", self.toggle_link_all)
        menu.addSeparator()
        self._add(menu, "&Model endpoint…", None, self.edit_llm)
        self.menu = menu

    def _add(self, menu: QMenu, text: str, key: str | None, slot: Callable) -> QAction:
        act = QAction(text, self.window.window())
        if key:
            act.setShortcut(QKeySequence(key))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    # ------------------------------------------------------------ actions

    def add_tiles(self, names: Iterable[str]) -> None:
        for name in names:
            self.tiles.add_stream(name)
        self.tiles.show()
        self.tiles.raise_()

    def add_derived(self, spec: DerivedSpec, chart: ChartDock | None = None) -> str:
        """Keep ``spec`` current as a stream; add it to ``chart`` if given."""
        name = self.hub.add_derived(spec)
        if chart is not None:
            chart.add_stream(name)
        self.window.show_status(f"New stream {name}: {spec.label}", 5000)
        return name

    def ask_derived(self, source: str, chart: ChartDock | None = None) -> str | None:
        spec = ask_derived_spec(self.window.window(), source)
        return None if spec is None else self.add_derived(spec, chart)

    def ask_derived_from_selection(self) -> None:
        names = self.window.selected_streams()
        if not names:
            self.window.show_status("Select a stream in the Streams panel first", 5000)
            return
        target = next((c for c in reversed(self.window.charts) if c.isVisible()), None)
        self.ask_derived(names[0], target)

    def new_alert_for(self, name: str) -> None:
        self.alerts.show()
        self.alerts.raise_()
        self.alerts.prefill(name)

    def add_rule(self, text: str) -> AlertRule:
        """Add a rule from its text (``fps < 30 for 2 s``); raises ``RuleError``."""
        return self.hub.alerts.add(AlertRule.parse(text))

    def show_summary(self, name: str) -> None:
        self.summary.show()
        self.summary.raise_()
        self.summary.set_stream(name)

    def edit_forecast(self, overlay: ChartOverlays) -> None:
        try:
            new = ask_forecast_config(self.window.window(), overlay.forecast_config)
        except ValueError as e:
            self.window.show_status(f"Forecast settings not applied: {e}", 8000)
            return
        if new is not None:
            overlay.set_forecast_config(new)

    def edit_llm(self) -> None:
        settings = ask_llm_settings(self.window.window(), self.llm)
        if settings is not None:
            self.set_llm(settings)

    def set_llm(self, settings: LLMSettings) -> None:
        self.llm = settings
        self.summary.update_model_button()

    # ------------------------------------------------------------ XY charts

    def new_xy(self, x: str = "", y: str = "") -> XYDock:
        n = self._next_xy
        self._next_xy += 1
        dock = XYDock(self.store, f"xy-{n}", x, y)
        dock.closed.connect(self._xy_closed)
        area = self.window.area
        if self.window.charts:
            area.splitDockWidget(self.window.charts[-1], dock, Qt.Orientation.Horizontal)
        else:
            area.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock)
        area.hint.setVisible(False)
        self.xy_docks.append(dock)
        return dock

    def new_xy_from_selection(self) -> XYDock:
        names = [*self.window.selected_streams(), "", ""]
        return self.new_xy(names[0], names[1])

    def _xy_closed(self, dock: XYDock) -> None:
        if dock in self.xy_docks:
            self.xy_docks.remove(dock)
        self.window.area.hint.setVisible(not self.window.charts and not self.xy_docks)

    # ------------------------------------------------------------ linked time axes

    def set_linked(self, chart: ChartDock, on: bool) -> None:
        if on:
            self.link.add(chart)
        else:
            self.link.remove(chart)

    def toggle_link_all(self) -> None:
        charts = list(self.window.charts)
        if charts and all(self.link.is_linked(c) for c in charts):
            for c in charts:
                self.link.remove(c)
            self.window.show_status("Charts unlinked", 3000)
        else:
            for c in charts:
                self.link.add(c)
            self.window.show_status(f"{len(charts)} charts share one time axis", 3000)

    def lead_for(self, chart: ChartDock) -> float:
        """Future to keep in view while following: the chart's own forecast horizon, or the
        largest of its linked group, so linked charts keep one time axis."""
        group = self.link.members if self.link.is_linked(chart) else [chart]
        return max((self.overlays[c].lead for c in group if c in self.overlays), default=0.0)

    def _link_changed(self, chart: ChartDock, on: bool) -> None:
        ov = self.overlays.get(chart)
        if ov is not None:
            ov.set_linked(on)

    # ------------------------------------------------------------ anomalies

    def focus_anomaly(self, a: Anomaly) -> None:
        """Centre every chart showing ``a.stream`` on the anomaly (making one if none does)."""
        charts = [c for c in self.window.charts if a.stream in c.curves]
        if not charts:
            charts = [self.window.new_chart([a.stream])]
        for chart in charts:
            chart.set_follow(False)
            vb = chart.plot.getPlotItem().getViewBox()
            x0, x1 = vb.viewRange()[0]
            half = max((x1 - x0) / 2, 1.0)
            vb.setXRange(a.x - half, a.x + half, padding=0)
            self.overlay(chart).show_highlight(a.x, a.value)
            chart.raise_()
        newest = self.store.find(a.stream, source=LIVE)
        if newest is not None and newest.session_id != a.session_id:
            self.window.show_status(
                "This anomaly is from an earlier session; the charts show the newest one", 6000
            )

    # ------------------------------------------------------------ layouts

    def state(self) -> dict:
        """Everything analysis adds to a layout (alert rules, derived streams, tiles, XY charts,
        per-chart forecasts and links, settings), each part's own ``state()`` under its key.
        The API key is never saved."""
        charts = {
            chart.objectName(): {**ov.state(), "linked": self.link.is_linked(chart)}
            for chart, ov in self.overlays.items()
        }
        return {
            "version": STATE_VERSION,
            "alert_rules": self.alerts.state()["rules"],
            "derived": [d.spec.to_dict() for d in self.hub.derived.values()],
            "anomaly": self.anomalies.state(),
            "tiles": self.tiles.state(),
            "xy": [d.state() for d in self.xy_docks],
            "charts": charts,
            "llm": {"endpoint": self.llm.endpoint, "model": self.llm.model,
                    "timeout": self.llm.timeout},
        }  # fmt: skip

    def restore(self, state: object) -> list[str]:
        """Restore ``state()`` output; call it after the layout's charts exist.

        Bad parts are skipped and returned as messages; the rest is still applied.
        """
        if not isinstance(state, dict):
            return ["analysis settings must be a JSON object"]
        problems: list[str] = []
        try:
            self.alerts.restore({"rules": state.get("alert_rules", [])})
        except RuleError as e:
            problems.append(str(e))
        for d in state.get("derived", []):
            _section(problems, f"derived stream {d!r}",
                     lambda d=d: self.hub.add_derived(DerivedSpec.from_dict(d)))  # fmt: skip
        anomaly = state.get("anomaly", {})
        _section(problems, "anomaly settings", lambda: self.anomalies.restore(anomaly))
        _section(problems, "value tiles", lambda: self.tiles.restore(state.get("tiles", {})))
        for spec in state.get("xy", []):
            _section(problems, f"XY chart {spec!r}", lambda spec=spec: self._restore_xy(spec))
        by_name = {c.objectName(): c for c in self.window.charts}
        for obj, cs in dict(state.get("charts", {})).items():
            if obj not in by_name:
                problems.append(f"no chart {obj!r} for its analysis settings")
                continue
            chart = by_name[obj]
            _section(problems, f"analysis of chart {obj!r}",
                     lambda c=chart, cs=cs: self._restore_chart(c, cs))  # fmt: skip
        _section(problems, "model endpoint", lambda: self._restore_llm(state.get("llm", {})))
        return problems

    def _restore_xy(self, spec: dict) -> None:
        self.new_xy(str(spec.get("x", "")), str(spec.get("y", ""))).restore(spec)

    def _restore_chart(self, chart: ChartDock, cs: dict) -> None:
        self.overlay(chart).restore(cs)
        self.set_linked(chart, bool(cs.get("linked", False)))

    def _restore_llm(self, d: dict) -> None:
        if d.get("endpoint") and not self.llm.enabled:  # the environment wins
            model, timeout = str(d.get("model", "local-model")), float(d.get("timeout", 30))
            self.set_llm(LLMSettings(str(d["endpoint"]), model, self.llm.api_key, timeout))

    def area_docks(self) -> list[QDockWidget]:
        """The docks analysis keeps in the chart area (XY charts): a layout replaces them."""
        return list(self.xy_docks)

    def state_to_json(self) -> str:
        return json.dumps(self.state())

    def state_from_json(self, text: str) -> list[str]:
        """``restore`` from JSON text; text that is not JSON is one problem."""
        try:
            state = json.loads(text)
        except json.JSONDecodeError as e:
            return [f"analysis settings are not valid JSON: {e}"]
        return self.restore(state)

    # ------------------------------------------------------------ shutdown

    def eventFilter(self, obj, ev) -> bool:
        if obj is self.window and ev.type() == QEvent.Type.Close:
            self.summary.shutdown()
        return False


def _section(problems: list[str], what: str, apply) -> None:
    """Apply one part of saved analysis settings; a bad part is reported, not fatal."""
    try:
        apply()
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        problems.append(f"{what} skipped: {e}")
