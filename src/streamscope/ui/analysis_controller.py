"""Live analysis in the main window: owns the analysis hub, the panels (value tiles,
anomalies, alerts, summary), the XY charts, the chart overlays and the time link, and the
"Analysis" menu.

It hooks into the window with two lines: the render clock draws ``around(charts)`` — first
the hub update, then the charts, then every analysis view — and nothing here runs from
ingest. New charts are picked up on the next frame, so ``MainWindow.new_chart`` is untouched.
Layouts save and restore everything with ``state_to_json`` / ``state_from_json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QSpinBox,
)

from streamscope.core.analysis.alerts import AlertRule, RuleError, rules_from_json, rules_to_json
from streamscope.core.analysis.anomaly import AnomalyConfig
from streamscope.core.analysis.derived import KINDS, DerivedSpec
from streamscope.core.analysis.forecast import ForecastConfig
from streamscope.core.analysis.hub import AnalysisHub, Anomaly
from streamscope.core.analysis.llm import LLMSettings
from streamscope.ui.alerts_dock import AlertsDock
from streamscope.ui.anomalies_dock import AnomaliesDock
from streamscope.ui.chart_dock import ChartDock
from streamscope.ui.chart_overlays import ChartOverlays
from streamscope.ui.summary_dock import SummaryDock
from streamscope.ui.tiles_dock import TilesDock
from streamscope.ui.time_link import TimeLink
from streamscope.ui.xy_dock import XYDock

if TYPE_CHECKING:
    from streamscope.ui.main_window import MainWindow

STATE_VERSION = 1


class _HubTick:
    """First entry of each frame: attach overlays to new charts, then update the hub."""

    def __init__(self, controller: AnalysisController) -> None:
        self.controller = controller

    def refresh(self) -> bool:
        self.controller.sync()
        return False  # computes, never draws


class _Views:
    """Last entry of each frame: every analysis view, drawn after the charts."""

    def __init__(self, controller: AnalysisController) -> None:
        self.controller = controller

    def refresh(self) -> bool:
        drew = False
        for view in self.controller.views():
            drew |= view.refresh()
        return drew


class AnalysisController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.store = window.store
        self.hub = AnalysisHub(self.store)
        self.llm = LLMSettings.from_env()
        self.overlays: dict[ChartDock, ChartOverlays] = {}
        self.xy_docks: list[XYDock] = []
        self._next_xy = 1
        self.link = TimeLink(on_change=self._link_changed)
        self._tick = _HubTick(self)
        self._views = _Views(self)

        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.tiles = TilesDock(self, window)
        self.anomalies = AnomaliesDock(self, window)
        self.alerts = AlertsDock(self, window)
        self.summary = SummaryDock(self, window)
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

    # ------------------------------------------------------------ render clock

    def around(self, charts: Iterable[ChartDock]) -> list:
        """What the render clock refreshes each frame, in order: the hub, the charts, then the
        analysis views (read after the hub tick, which may have attached new overlays)."""
        return [self._tick, *charts, self._views]

    def views(self) -> list:
        return [
            *self.overlays.values(),
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
                self.overlays[chart] = ChartOverlays(chart, self)
        names = {n for c in self.window.charts for n in c.curves}
        names |= set(self.tiles.tiles)
        if self.summary.isVisible() and self.summary.stream:
            names.add(self.summary.stream)
        self.hub.set_watched(names)
        self.hub.update()

    def overlay(self, chart: ChartDock) -> ChartOverlays:
        """The overlay of ``chart`` (made now if the next frame has not done it yet)."""
        if chart not in self.overlays:
            self.overlays[chart] = ChartOverlays(chart, self)
        return self.overlays[chart]

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

    def _add(self, menu, text: str, key, slot) -> QAction:
        act = QAction(text, self.window)
        if key:
            act.setShortcut(QKeySequence(key))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _selected_names(self) -> list[str]:
        return list(dict.fromkeys(n for _, n in self.window.browser.selected_refs()))

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
        self.window.statusBar().showMessage(f"New stream {name}: {spec.label}", 5000)
        return name

    def ask_derived(self, source: str, chart: ChartDock | None = None) -> str | None:
        kinds = list(KINDS)
        label, ok = QInputDialog.getItem(
            self.window, "Derived stream", f"From {source}:", [KINDS[k] for k in kinds], 1, False
        )
        if not ok:
            return None
        kind = kinds[[KINDS[k] for k in kinds].index(label)]
        window = 1.0
        if kind != "derivative":
            window, ok = QInputDialog.getDouble(
                self.window, "Derived stream", "Window (seconds):", 1.0, 0.001, 3600.0, 3
            )
            if not ok:
                return None
        return self.add_derived(DerivedSpec(source, kind, window), chart)

    def ask_derived_from_selection(self) -> None:
        names = self._selected_names()
        if not names:
            self.window.statusBar().showMessage("Select a stream in the Streams panel first", 5000)
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
        cfg = overlay.forecast_config
        dlg = QDialog(self.window)
        dlg.setWindowTitle("Forecast settings")
        form = QFormLayout(dlg)
        samples = QSpinBox()
        samples.setRange(3, 1_000_000)
        samples.setValue(cfg.samples)
        horizon = QDoubleSpinBox()
        horizon.setRange(0.1, 3600)
        horizon.setValue(cfg.horizon)
        horizon.setSuffix(" s")
        degree = QSpinBox()
        degree.setRange(0, 3)
        degree.setValue(cfg.degree)
        form.addRow("Fit on the last (samples)", samples)
        form.addRow("Forecast ahead", horizon)
        form.addRow("Polynomial degree (1 = line)", degree)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dlg.accept)
        buttons.rejected.connect(dlg.reject)
        form.addRow(buttons)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            new = ForecastConfig(samples.value(), horizon.value(), degree.value())
        except ValueError as e:
            self.window.statusBar().showMessage(f"Forecast settings not applied: {e}", 8000)
            return
        overlay.set_forecast_config(new)

    def edit_llm(self) -> None:
        s = self.llm
        dlg = QDialog(self.window)
        dlg.setWindowTitle("Model endpoint")
        form = QFormLayout(dlg)
        endpoint = QLineEdit(s.endpoint)
        endpoint.setPlaceholderText("off — e.g. http://127.0.0.1:11434/v1")
        model = QLineEdit(s.model)
        key = QLineEdit(s.api_key)
        key.setEchoMode(QLineEdit.EchoMode.Password)
        key.setPlaceholderText("optional; not saved in layouts")
        timeout = QDoubleSpinBox()
        timeout.setRange(1, 600)
        timeout.setValue(s.timeout)
        timeout.setSuffix(" s")
        form.addRow("OpenAI-compatible endpoint", endpoint)
        form.addRow("Model", model)
        form.addRow("API key", key)
        form.addRow("Timeout", timeout)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dlg.accept)
        buttons.rejected.connect(dlg.reject)
        form.addRow(buttons)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.set_llm(LLMSettings(endpoint.text().strip(), model.text().strip() or "local-model",
                                     key.text(), timeout.value()))  # fmt: skip

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
        names = [*self._selected_names(), "", ""]
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
            self.window.statusBar().showMessage("Charts unlinked", 3000)
        else:
            for c in charts:
                self.link.add(c)
            self.window.statusBar().showMessage(f"{len(charts)} charts share one time axis", 3000)

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
        newest = self.store.find(a.stream)
        if newest is not None and newest.session_id != a.session_id:
            self.window.statusBar().showMessage(
                "This anomaly is from an earlier session; the charts show the newest one", 6000
            )

    # ------------------------------------------------------------ layouts

    def state_to_json(self) -> str:
        """Everything analysis adds to a layout (alert rules, derived streams, tiles, XY charts,
        per-chart forecasts and links, settings). The API key is never saved."""
        charts = {}
        for chart, ov in self.overlays.items():
            charts[chart.objectName()] = {
                "forecasts": list(ov.forecasts),
                "forecast": asdict(ov.forecast_config),
                "marks": ov.marks_on,
                "linked": self.link.is_linked(chart),
            }
        cfg = self.hub.anomaly_config
        return json.dumps(
            {
                "version": STATE_VERSION,
                "alert_rules": json.loads(rules_to_json(self.hub.alerts.rules)),
                "derived": [d.spec.to_dict() for d in self.hub.derived.values()],
                "anomaly": {"window": cfg.window, "threshold": cfg.threshold},
                "tiles": {
                    "streams": list(self.tiles.tiles),
                    "window": self.tiles.window_box.currentIndex(),
                    "period": self.tiles.period_box.currentIndex(),
                },
                "xy": [
                    {
                        "x": d.x_name,
                        "y": d.y_name,
                        "window": d.window_box.currentIndex(),
                        "method": d.method_box.currentText(),
                        "tolerance": d.tolerance.value(),
                        "equal": d.equal.isChecked(),
                    }
                    for d in self.xy_docks
                ],
                "charts": charts,
                "llm": {
                    "endpoint": self.llm.endpoint,
                    "model": self.llm.model,
                    "timeout": self.llm.timeout,
                },
            }
        )

    def state_from_json(self, text: str) -> list[str]:
        """Restore ``state_to_json`` output; call it after the layout's charts exist.

        Bad parts are skipped and returned as messages; the rest is still applied.
        """
        problems: list[str] = []
        try:
            state = json.loads(text)
        except json.JSONDecodeError as e:
            return [f"analysis settings are not valid JSON: {e}"]
        if not isinstance(state, dict):
            return ["analysis settings must be a JSON object"]
        try:
            self.hub.alerts.replace_all(rules_from_json(json.dumps(state.get("alert_rules", []))))
        except RuleError as e:
            problems.append(str(e))
        for d in state.get("derived", []):
            try:
                self.hub.add_derived(DerivedSpec.from_dict(d))
            except (KeyError, TypeError, ValueError) as e:
                problems.append(f"derived stream {d!r} skipped: {e}")
        try:
            a = state.get("anomaly", {})
            self.hub.set_anomaly_config(
                AnomalyConfig(int(a.get("window", 100)), float(a.get("threshold", 3.0)))
            )
            self.anomalies.window_spin.setValue(self.hub.anomaly_config.window)
            self.anomalies.threshold_spin.setValue(self.hub.anomaly_config.threshold)
        except (TypeError, ValueError, AttributeError) as e:
            problems.append(f"anomaly settings skipped: {e}")

        def tiles(t: dict) -> None:
            for name in t.get("streams", []):
                self.tiles.add_stream(str(name))
            self.tiles.window_box.setCurrentIndex(int(t.get("window", 1)))
            self.tiles.period_box.setCurrentIndex(int(t.get("period", 1)))

        def xy(spec: dict) -> None:
            d = self.new_xy(str(spec.get("x", "")), str(spec.get("y", "")))
            d.window_box.setCurrentIndex(int(spec.get("window", 2)))
            d.method_box.setCurrentText(str(spec.get("method", "linear")))
            d.tolerance.setValue(float(spec.get("tolerance", 0.1)))
            d.equal.setChecked(bool(spec.get("equal", True)))

        def chart(ov: ChartOverlays, cs: dict) -> None:
            ov.set_forecast_config(ForecastConfig(**cs.get("forecast", {})))
            for name in cs.get("forecasts", []):
                ov.set_forecast(str(name), True)
            ov.set_marks(bool(cs.get("marks", True)))
            self.set_linked(ov.chart, bool(cs.get("linked", False)))

        def llm(d: dict) -> None:
            if d.get("endpoint") and not self.llm.enabled:  # the environment wins
                model, timeout = str(d.get("model", "local-model")), float(d.get("timeout", 30))
                self.set_llm(LLMSettings(str(d["endpoint"]), model, self.llm.api_key, timeout))

        _section(problems, "value tiles", lambda: tiles(state.get("tiles", {})))
        for spec in state.get("xy", []):
            _section(problems, f"XY chart {spec!r}", lambda spec=spec: xy(spec))
        by_name = {c.objectName(): c for c in self.window.charts}
        for obj, cs in dict(state.get("charts", {})).items():
            if obj not in by_name:
                problems.append(f"no chart {obj!r} for its analysis settings")
                continue
            ov = self.overlay(by_name[obj])
            _section(problems, f"analysis of chart {obj!r}", lambda ov=ov, cs=cs: chart(ov, cs))
        _section(problems, "model endpoint", lambda: llm(state.get("llm", {})))
        return problems

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
