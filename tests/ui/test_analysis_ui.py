"""Analysis panels and overlays, offscreen: live data in, what is displayed checked."""

from __future__ import annotations

import json

import numpy as np
import pytest

from streamscope.app import build_window
from streamscope.core.analysis.align import align_xy
from streamscope.core.analysis.derived import DerivedSpec
from streamscope.core.analysis.llm import LLMSettings
from streamscope.ui.analysis import overlays, summary_dock, tiles_dock
from streamscope.ui.dnd import streams_to_mime
from support.llm_stand_in import StandIn


@pytest.fixture(autouse=True)
def _unthrottled(monkeypatch):
    """No throttling between test frames (autouse: in place before the window is made)."""
    monkeypatch.setattr(tiles_dock, "REFRESH_S", 0.0)
    monkeypatch.setattr(summary_dock, "REFRESH_S", 0.0)
    monkeypatch.setattr(overlays, "MARKS_INTERVAL_S", 0.0)


def feed(store, name, t, v, session="g1"):
    store.append(session, name, np.asarray(t, float), np.asarray(v, float))


def frame(window, n=1):
    """n frames, each with a round of the analysis views (the app runs those at ~10 Hz) and a
    frame after it that draws what the views' hub derived."""
    for _ in range(n):
        window.clock.tick()
        window.clock.tick_views()
        window.clock.tick()


# ---------------------------------------------------------------- value tiles


def test_tiles_show_last_value_change_window_stats_rate_and_alarm(window, store):
    tiles = window.analysis.tiles
    assert tiles.isVisible() and tiles.hint.isVisible()
    assert tiles.handle_drop(streams_to_mime([("g1", "fps"), ("g1", "mem")])) == 2
    assert not tiles.hint.isVisibleTo(tiles)
    t = np.arange(0, 40, 0.1)  # 10 Hz
    feed(store, "fps", t, np.where(t < 30, 60.0, 50.0))
    feed(store, "mem", t, 400 + t)
    frame(window)
    fps, mem = tiles.tiles["fps"], tiles.tiles["mem"]
    assert fps.value_label.text() == "50.00"
    assert fps.change_label.text() == "▼ −10.00 (−16.7%) vs 10 s ago".replace("−", "-")
    assert "#ef5350" in fps.change_label.styleSheet()  # down: red
    # the 30 s window (the default), (9.9, 39.9], holds 200 samples of 60 and 100 of 50
    assert fps.stats_label.text() == "min 50.00 · mean 56.67 · max 60.00"
    assert fps.rate_label.text() == "10.0 Hz"
    assert mem.value_label.text() == "439.9" and mem.change_label.text().startswith("▲ +10.00")
    assert len(fps.spark.x) > 10

    tiles.period_box.setCurrentIndex(0)  # vs 1 s ago
    tiles.window_box.setCurrentIndex(0)  # 10 s
    frame(window)
    assert fps.change_label.text().startswith("▶ 0")
    assert fps.stats_label.text() == "min 50.00 · mean 50.00 · max 50.00"

    assert not fps.alarm
    window.analysis.add_rule("fps < 55 for 2 s")
    frame(window)
    assert fps.alarm and "#b71c1c" in fps.styleSheet()  # alarm colour
    assert not mem.alarm
    feed(store, "fps", [40.0], [58.0])  # condition broken: the alert clears
    frame(window)
    assert not fps.alarm
    tiles.remove_stream("mem")
    assert list(tiles.tiles) == ["fps"]


def test_tile_waits_for_a_stream_that_has_not_arrived(window):
    tiles = window.analysis.tiles
    tiles.add_stream("later")
    frame(window)
    assert tiles.tiles["later"].stats_label.text() == "waiting for data…"


# ---------------------------------------------------------------- anomalies


def planted(n=3000, at=(1000, 2000, 2500)):
    rng = np.random.default_rng(1)
    t = np.arange(n) * 0.01
    v = 60 + rng.uniform(-1, 1, n)
    v[list(at)] = [90, 20, 95]
    return t, v


def test_anomaly_marks_and_list_and_click_to_centre(window, store):
    chart = window.new_chart(["fps", "quiet"])
    t, v = planted()
    feed(store, "fps", t[:1500], v[:1500])
    feed(store, "quiet", t, 5 + np.sin(t))
    frame(window)
    ov = window.analysis.overlays[chart]
    assert ov.marks.data["x"].tolist() == [10.0]
    feed(store, "fps", t[1500:], v[1500:])  # live: more arrive
    frame(window)
    assert ov.marks.data["x"].tolist() == [10.0, 20.0, 25.0]
    assert ov.marks.data["y"].tolist() == [90.0, 20.0, 95.0]

    dock = window.analysis.anomalies
    model = dock.model
    assert model.rowCount() == 3 and dock.count_label.text() == "3 anomalies"
    row = [model.data(model.index(0, c)) for c in range(5)]
    assert row[:3] == ["25.000", "fps", "95.00"] and row[3].startswith("+")
    assert row[4] == "Game — Play #1"

    chart.refresh()
    dock.table.clicked.emit(model.index(2, 0))  # the first one, at t = 10 s
    assert not chart.state.follow
    x0, x1 = chart.plot.getPlotItem().getViewBox().viewRange()[0]
    assert (x0 + x1) / 2 == pytest.approx(10.0)
    assert ov.highlight.isVisible() and ov.highlight.data["x"].tolist() == [10.0]

    ov.set_marks(False)
    assert not ov.marks.isVisible()
    dock.threshold_spin.setValue(500.0)  # nothing is that odd: the list is rebuilt empty
    frame(window)
    assert model.rowCount() == 0
    dock.threshold_spin.setValue(3.0)
    frame(window)
    assert model.rowCount() == 3
    dock.clear()
    assert model.rowCount() == 0 and dock.count_label.text() == "0 anomalies"


# ---------------------------------------------------------------- forecast


def test_forecast_band_is_drawn_ahead_and_widens(window, store):
    chart = window.new_chart(["mem"])
    t = np.arange(0, 20, 0.05)
    rng = np.random.default_rng(2)
    feed(store, "mem", t, 400 + 3 * t + rng.normal(0, 1, len(t)))
    frame(window)
    ov = window.analysis.overlays[chart]
    assert ov.forecast_band("mem") is None
    actions = {a.text(): a for a in ov.actions_for_tests()}
    assert {"Mark anomalies", "Forecast", "Derived stream", "Alert on", "Summary of"} <= set(
        actions
    )
    forecast_menu = actions["Forecast"].menu()
    (mem_action,) = [a for a in forecast_menu.actions() if a.text() == "mem"]
    mem_action.trigger()  # the context-menu toggle
    frame(window)
    x, lo, hi = ov.forecast_band("mem")
    h = ov.forecast_config.horizon
    assert x[0] == pytest.approx(t[-1]) and x[-1] == pytest.approx(t[-1] + h)
    assert np.all(np.diff(hi - lo) > 0)  # wider further ahead
    mid = (lo + hi) / 2
    assert mid[-1] == pytest.approx(400 + 3 * (t[-1] + h), abs=2.0)
    assert ov.forecasts["mem"].fill.isVisible()
    x1 = chart.plot.getPlotItem().getViewBox().viewRange()[0][1]
    assert x1 >= t[-1] + h  # room for the forecast while following
    fits = ov.forecasts["mem"].fits
    feed(store, "mem", [20.0], [460.0])
    frame(window, 5)  # within a quarter second: not refitted on every frame
    assert ov.forecasts["mem"].fits == fits
    mem_action.setChecked(False)
    assert "mem" not in ov.forecasts


# ---------------------------------------------------------------- XY


def test_xy_chart_pairs_by_time_and_follows_live_data(window, store):
    xy = window.analysis.new_xy()
    assert xy.hint.isVisible() and not window.area.hint.isVisible()
    mime = streams_to_mime([("g1", "px")])
    assert xy.handle_drop(mime) == 1 and xy.x_name == "px" and xy.y_name == ""
    xy.handle_drop(streams_to_mime([("g1", "pz")]))
    assert (xy.x_name, xy.y_name) == ("px", "pz")
    assert xy.windowTitle() == "XY: pz vs px"
    tx = np.array([0.0, 1.0, 2.0, 3.0])
    tz = np.array([0.05, 0.5, 1.02, 2.5, 3.0])
    feed(store, "px", tx, [0.0, 10.0, 20.0, 30.0])
    feed(store, "pz", tz, [1.0, 2.0, 3.0, 4.0, 5.0])
    xy.tolerance.setValue(0.6)
    frame(window)
    x, y = (np.asarray(a) for a in xy.trail.getData())
    # px is the reference (fewer samples); pz interpolated: t=0 has no pz before it
    # t=1: between 0.5 (2) and 1.02 (3) → 2 + (0.5/0.52)·1 ; t=2: 1.02→2.5 is too far apart
    # for 0.6 s (2 − 1.02 = 0.98) ; t=3: exact 5
    assert x.tolist() == [10.0, 30.0]
    assert y == pytest.approx([2 + 0.5 / 0.52, 5.0])
    assert xy.head.data["x"].tolist() == [30.0] and xy.head.data["y"].tolist() == [5.0]
    feed(store, "px", [4.0], [40.0])
    feed(store, "pz", [4.0], [7.0])
    frame(window)
    assert xy.head.data["x"].tolist() == [40.0] and xy.points == 3
    xy.method_box.setCurrentText("nearest")
    frame(window)
    want = align_xy(store.find("px").ring.t, store.find("px").ring.v, store.find("pz").ring.t,
                    store.find("pz").ring.v, 0.6, "nearest")  # fmt: skip
    assert np.asarray(xy.trail.getData()[1]).tolist() == want.y.tolist()
    xy.close()
    assert window.analysis.xy_docks == [] and window.area.hint.isVisibleTo(window)


# ---------------------------------------------------------------- linked time axes


def test_linked_charts_share_range_choices_and_cursor(window, store):
    t = np.arange(0, 60, 0.1)
    feed(store, "a", t, np.sin(t))
    feed(store, "b", t, t * 2)
    ca, cb = window.new_chart(["a"]), window.new_chart(["b"])
    frame(window)
    window.analysis.toggle_link_all()
    frame(window)
    link = window.analysis.link
    assert link.is_linked(ca) and link.is_linked(cb)
    assert window.analysis.overlays[ca].link_badge.isVisible()
    ca.window_box.setCurrentIndex(0)  # 10 s on one → both
    assert cb.window_box.currentIndex() == 0
    frame(window)
    va, vbx = (c.plot.getPlotItem().getViewBox() for c in (ca, cb))
    assert vbx.viewRange()[0] == pytest.approx(va.viewRange()[0])
    va.setXRange(20, 30, padding=0)  # a zoom on one linked chart …
    va.sigRangeChangedManually.emit([True, False])
    frame(window)
    assert not ca.state.follow and not cb.state.follow  # … stops both following
    assert vbx.viewRange()[0] == pytest.approx([20, 30])
    pos = va.mapViewToScene(va.mapToView(va.boundingRect().center()))
    link._mouse(ca, (pos,))  # the mouse over chart a
    x = link.cursor_x
    assert 20 < x < 30
    assert cb.cursor.isVisible() and cb.cursor.value() == pytest.approx(x)
    assert cb.readout.text().startswith(f"t = {x:.3f} s") and "b " in cb.readout.text()
    cb.follow_btn.click()  # Follow on one brings both back to live
    assert ca.state.follow
    window.analysis.toggle_link_all()
    assert not link.is_linked(ca)
    ca.close()
    frame(window)
    assert ca not in window.analysis.overlays


# ---------------------------------------------------------------- derived streams


def test_derived_streams_are_new_live_streams_on_the_chart(window, store):
    chart = window.new_chart(["pos"])
    feed(store, "pos", np.arange(0, 5, 0.5), np.arange(0, 5, 0.5) ** 2)
    frame(window)
    ov = window.analysis.overlays[chart]
    actions = {a.text(): a for a in ov.actions_for_tests()}
    sub = {a.text(): a for a in actions["Derived stream"].menu().actions()}["pos"].menu()
    {a.text(): a for a in sub.actions()}["Derivative (per second)"].trigger()
    window.analysis.add_derived(DerivedSpec("pos", "mean", 1.0), chart)
    frame(window)
    assert list(chart.curves) == ["pos", "pos/derivative", "pos/mean_1s"]
    _, d = chart.curves["pos/derivative"].item.getData()
    assert np.isnan(d[0]) and d[1:] == pytest.approx(2 * np.arange(0.5, 5, 0.5) - 0.5)
    feed(store, "pos", [5.0], [27.25])  # live: (27.25 − 20.25) / 0.5 = 14
    frame(window)
    assert store.find("pos/derivative").ring.v[-1] == pytest.approx(14.0)
    assert chart.curves["pos/derivative"].item.getData()[1][-1] == pytest.approx(14.0)
    _, m = chart.curves["pos/mean_1s"].item.getData()
    assert m[-1] == pytest.approx((20.25 + 27.25) / 2)
    window.browser.sync()
    session = window.browser.tree.topLevelItem(0)
    names = [session.child(i).text(0) for i in range(session.childCount())]
    assert "pos/derivative" in names  # a stream like any other


# ---------------------------------------------------------------- alerts


def test_alert_rules_list_log_marker_and_errors(window, store):
    chart = window.new_chart(["fps"])
    dock = window.analysis.alerts
    dock.entry.setText("fps >")
    assert dock.add_from_entry() is None
    assert dock.error.isVisibleTo(dock) and "cannot read" in dock.error.text()
    assert "#ef5350" in dock.error.styleSheet()  # an error: red
    dock.entry.setText("fps < 30 for 1 s")
    rule = dock.add_from_entry()
    assert rule is not None and dock.entry.text() == ""
    assert "no stream named 'fps' yet" in dock.error.text()  # helpful, not an error
    assert "#ffb74d" in dock.error.styleSheet()
    t = np.arange(0, 5, 0.1)
    feed(store, "fps", t, np.where((t >= 2) & (t < 4), 20.0, 60.0))
    frame(window)
    item = dock.rules.topLevelItem(0)
    assert item.text(0) == "fps < 30 for 1 s" and item.text(1) == "ok" and item.text(2) == "1"
    events = [dock.log.topLevelItem(i).text(2) for i in range(dock.log.topLevelItemCount())]
    assert events == ["cleared", "fired"]  # newest first
    assert dock.log.topLevelItem(1).text(0) == "3.000"
    ov = window.analysis.overlays[chart]
    assert ov.alert_marks.data["x"].tolist() == pytest.approx([3.0])
    (line,) = ov.thresholds.values()
    assert line.value() == 30.0 and line.label.format == "fps < 30 for 1 s"
    feed(store, "fps", np.arange(5, 7, 0.1), np.full(20, 10.0))
    frame(window)
    assert dock.rules.topLevelItem(0).text(1) == "ACTIVE"
    dock.rules.topLevelItem(0).setCheckState(0, dock.rules.topLevelItem(0).checkState(0).Unchecked)
    frame(window)
    assert dock.rules.topLevelItem(0).text(1) == "paused" and not ov.thresholds
    dock.rules.topLevelItem(0).setSelected(True)
    dock.remove_selected()
    assert dock.rules.topLevelItemCount() == 0


# ---------------------------------------------------------------- summary + model


def test_summary_rule_based_and_model_answer_and_fallback(window, store, qtbot):
    t = np.arange(0, 60, 0.1)
    feed(store, "mem", t, 400 + 2 * t + np.random.default_rng(3).normal(0, 0.5, len(t)))
    window.analysis.show_summary("mem")
    dock = window.analysis.summary
    frame(window, 2)
    assert dock.text.toPlainText().startswith("mem: rising strongly")
    assert "watch for limits" in dock.text.toPlainText()
    assert not dock.ask_btn.isEnabled()  # off by default
    assert not dock.ask_model()

    stand_in = StandIn()
    try:
        window.analysis.set_llm(LLMSettings(stand_in.url, "stand-in", timeout=5))
        assert dock.ask_btn.isEnabled()
        assert dock.ask_model()
        assert not dock.ask_btn.isEnabled()  # one question at a time

        def shows(text):
            def check():
                frame(window)
                return text in dock.text.toPlainText() or text in dock.model_status.text()

            return check

        qtbot.waitUntil(shows(stand_in.answer), timeout=5000)
        assert "Model interpretation (stand-in)" in dock.text.toPlainText()
        assert dock.text.toPlainText().startswith("mem: rising strongly")
        body = stand_in.requests[0]["body"]
        assert '"name": "mem"' in body["messages"][1]["content"]

        stand_in.mode = "error"
        assert dock.ask_model()
        qtbot.waitUntil(shows("Model unavailable"), timeout=5000)
        assert "HTTP 500" in dock.model_status.text()
        assert dock.text.toPlainText().startswith("mem: rising strongly")  # the fallback
        assert stand_in.answer not in dock.text.toPlainText()
        assert dock.ask_btn.isEnabled()

        stand_in.mode = "hang"
        window.analysis.set_llm(LLMSettings(stand_in.url, "stand-in", timeout=0.3))
        assert dock.ask_model()
        frame(window)  # the GUI keeps drawing while the model is silent
        qtbot.waitUntil(shows("Model unavailable"), timeout=5000)
        assert dock.text.toPlainText().startswith("mem: rising strongly")
    finally:
        stand_in.close()


# ---------------------------------------------------------------- layouts


def test_analysis_state_round_trips_through_json(qtbot, window, store):
    ctl = window.analysis
    chart = window.new_chart(["fps", "mem"])
    frame(window)
    ctl.add_rule("fps < 30 for 2 s")
    ctl.add_derived(DerivedSpec("mem", "rms", 2.0))
    ctl.add_tiles(["fps"])
    ctl.new_xy("px", "pz").method_box.setCurrentText("nearest")
    ctl.overlays[chart].set_forecast("mem", True)
    ctl.set_linked(chart, True)
    ctl.anomalies.threshold_spin.setValue(4.5)
    ctl.set_llm(LLMSettings("http://127.0.0.1:1/v1", "m", api_key="secret"))
    text = ctl.state_to_json()
    assert "secret" not in text
    state = json.loads(text)
    assert state["alert_rules"][0]["stream"] == "fps" and state["charts"]["chart-1"]["linked"]

    other = build_window(store)
    qtbot.addWidget(other)
    other.new_chart(["fps", "mem"])  # the layout makes its charts first …
    problems = other.analysis.state_from_json(text)  # … then restores the analysis
    assert problems == []
    o = other.analysis
    assert [r.describe() for r in o.hub.alerts.rules] == ["fps < 30 for 2 s"]
    assert list(o.hub.derived) == ["mem/rms_2s"]
    assert list(o.tiles.tiles) == ["fps"]
    assert [(d.x_name, d.y_name, d.method_box.currentText()) for d in o.xy_docks] == [
        ("px", "pz", "nearest")
    ]
    (c,) = other.charts
    assert list(o.overlays[c].forecasts) == ["mem"] and o.link.is_linked(c)
    assert o.hub.anomaly_config.threshold == 4.5 and o.llm.endpoint == "http://127.0.0.1:1/v1"
    assert other.analysis.state_from_json("{") and other.analysis.state_from_json("[]")
    rules = [{"stream": "x", "op": "!", "threshold": 1}]
    bad = json.dumps({"alert_rules": rules, "charts": {"nope": {}}})
    problems = other.analysis.state_from_json(bad)
    assert len(problems) == 2 and "unknown comparison" in problems[0]
    bad = json.dumps({"tiles": {"streams": ["t1"], "window": "wide"}, "xy": [7], "llm": []})
    problems = other.analysis.state_from_json(bad)
    assert [p.split(" skipped")[0] for p in problems] == [
        "value tiles",
        "XY chart 7",
        "model endpoint",
    ]
    assert "t1" in o.tiles.tiles  # what could be applied was
