"""Charts draw through the adaptive engine: each mode, throttling, overrides, the band, stats."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication

from streamscope.app import AppOptions, StreamScope
from streamscope.core.adaptive.policy import Override, PolicySettings
from streamscope.core.series import lttb
from streamscope.core.series.m4_cache import m4_aligned_bruteforce
from streamscope.core.store.store import Store
from streamscope.ingest.client import StreamClient
from streamscope.ui.chart_engine import column_width
from support.data import drawn
from support.qt import loop_until


def feed(store: Store, name: str, n: int, seconds: float, start: float = 0.0) -> None:
    t = start + np.arange(n) * (seconds / n)
    store.append("g1", name, t, np.sin(t * 7.0) + np.random.default_rng(n).normal(size=n) * 0.1)


def view(chart) -> tuple[tuple[float, float], int]:
    xr = chart._x_range()
    return xr, max(100, int(chart.plot.getPlotItem().getViewBox().width()))


def test_auto_goes_raw_decimated_throttled_aggregated_and_says_so(window, store):
    chart = window.new_chart(["sig"])
    chart.engine.policy.settings = PolicySettings(aggregate_points=200_000, antialias=True)
    feed(store, "sig", 200, 20.0)
    now = 1000.0
    assert chart.refresh(now)
    assert chart.engine.plan.antialias and chart.curves["sig"].item.opts["antialias"]
    assert chart.report()["mode"] == "raw" and chart.mode_label.text().startswith("raw 2")
    assert chart.mode_label.text().endswith("· 60 fps")
    hover = QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), chart.mode_box.mapToGlobal(QPoint(5, 5)))
    QApplication.sendEvent(chart.mode_box, hover)  # the tooltip is written when asked for
    assert "Now: Every sample in view is drawn" in chart.mode_box.toolTip()

    feed(store, "sig", 300_000, 30.0, start=20.0)  # 10 kHz: far more points than pixels
    now += 1.0
    assert chart.refresh(now)
    r = chart.report()
    assert r["mode"] == "decimated" and r["points_in_view"] >= 290_000
    assert r["points_drawn"] < 5_000
    assert chart.mode_label.text().startswith("decimated 3") and "→" in chart.mode_label.text()

    # the frame before cost 100 ms, 50 of it this chart's: one rung down, antialiasing off
    chart.engine.measured(frame_ms=100.0, draw_ms=50.0)
    chart.refresh(now + 0.02)
    r = chart.report()
    assert r["throttled"] and r["fps"] == 30 and not chart.engine.plan.antialias
    assert "throttled 30 fps" in chart.mode_label.text()
    assert r["mode"] == "decimated"  # volume is below what aggregation needs... (300k > 200k,
    # but aggregation waits until decimation has cost two rungs)

    chart.engine.measured(frame_ms=100.0, draw_ms=50.0)
    feed(store, "sig", 1000, 0.1, start=50.0)
    chart.refresh(now + 0.5)  # a 15 fps chart is due again after ~67 ms
    r = chart.report()
    assert r["mode"] == "aggregated" and r["fps"] == 15
    assert not chart.curves["sig"].item.opts["antialias"]
    text = chart.mode_label.text()
    assert text.startswith("aggregated ") and " buckets" in text and "throttled 15 fps" in text
    band = chart.curves["sig"].band
    assert band is not None
    bx, lo, hi = band.x, band.lo, band.hi
    _, mean = drawn(chart, "sig")
    assert len(bx) > 50 and len(bx) == len(mean)
    ok = np.isfinite(mean)
    assert np.all(lo[ok] <= mean[ok]) and np.all(mean[ok] <= hi[ok]) and np.any(lo[ok] < hi[ok])
    assert band.fill in chart.plot.getPlotItem().items
    fx, fy = (np.asarray(a) for a in band.fill.getData())  # one vertical segment per bucket
    lines = int(band.width_px)  # 1 px lines per bucket
    assert lines >= 1 and len(fx) == 2 * lines * np.count_nonzero(np.isfinite(lo) & np.isfinite(hi))
    assert np.array_equal(fy[1::2], np.repeat(hi[np.isfinite(hi)], lines))


def test_throttled_chart_skips_ticks_until_its_rate_is_due(window, store):
    chart = window.new_chart(["sig"])
    chart.engine.policy.settings = PolicySettings()  # one blamed frame steps down
    feed(store, "sig", 1000, 10.0)
    assert chart.refresh(10.0)

    def slow_frame(now: float) -> bool:
        chart.engine.measured(frame_ms=200.0, draw_ms=100.0)
        feed(store, "sig", 10, 0.01, start=float(store.find("sig").ring.last_t) + 0.001)
        return chart.refresh(now)

    assert not slow_frame(10.01)  # now 30 fps: new data waits for the next 30 fps slot
    assert chart.refresh(10.04)
    slow_frame(10.05)
    slow_frame(10.06)
    assert chart.report()["fps"] == 5 and "throttled 5 fps" in chart.mode_label.text()
    feed(store, "sig", 10, 0.01, start=30.0)
    assert not chart.refresh(10.1)  # a 5 fps chart waits ~200 ms
    assert chart.refresh(10.24)
    # sustained headroom walks it back up, one rung per headroom_frames frames
    for i in range(chart.engine.policy.settings.headroom_frames):
        chart.engine.measured(frame_ms=1.0, draw_ms=0.5)
        chart.refresh(11.0 + i)
    assert chart.report()["fps"] == 15


def test_live_decimation_equals_the_aligned_reference(window, store):
    """Following, a chart decimates from its column cache: exactly the aligned-column M4 of the
    ring at the engine's column width, frame after frame as data arrives."""
    chart = window.new_chart(["sig"])
    feed(store, "sig", 500_000, 20.0)
    chart.set_mode("decimate")
    stream = store.find("sig")
    origin = store.sessions["g1"].origin
    for frame in range(5):
        if frame:
            feed(store, "sig", 777, 0.03, start=float(stream.ring.last_t) + 1e-5)
        assert chart.refresh()
        (x0, x1), width = view(chart)
        w = column_width(x1 - x0, width)
        ex, ey = m4_aligned_bruteforce(stream.ring.t, stream.ring.v, x0 + origin, x1 + origin, w)
        x, y = drawn(chart, "sig")
        np.testing.assert_array_equal(x, ex - origin)
        np.testing.assert_array_equal(y, ey)
        assert chart.report()["points_drawn"] == len(ex) <= 4 * (width + 1) + 2


def test_decimated_drawing_off_live_equals_the_pyramid_query(window, store):
    chart = window.new_chart(["sig"])
    feed(store, "sig", 500_000, 20.0)
    chart.set_mode("decimate")
    chart.set_follow(False)
    chart.plot.getPlotItem().setXRange(3.0, 11.0, padding=0)
    assert chart.refresh()
    stream = store.find("sig")
    (x0, x1), width = view(chart)
    origin = store.sessions["g1"].origin
    ex, ey = stream.pyramid().query(stream.ring, x0 + origin, x1 + origin, width)
    x, y = drawn(chart, "sig")
    np.testing.assert_array_equal(x, ex - origin)
    np.testing.assert_array_equal(y, ey)
    assert chart.report()["points_drawn"] == len(ex) < 4 * width + 3


def test_minmax_lttb_or_a_note_when_it_is_missing(window, store, monkeypatch):
    chart = window.new_chart(["sig"])
    feed(store, "sig", 200_000, 20.0)
    chart.set_mode("decimate")
    chart.refresh()
    m4 = chart.report()["points_drawn"]
    chart.decimation_actions["lttb"].trigger()  # the context menu's choice
    assert chart.state.decimation == "lttb"
    if lttb.available():
        chart.refresh()
        assert chart.report()["points_drawn"] < m4
    monkeypatch.setattr(lttb, "available", lambda: False)
    chart._invalidate()
    chart.refresh()
    assert chart.report()["points_drawn"] == m4  # min/max instead, and the label says why
    assert "MinMaxLTTB unavailable" in chart.mode_label.text()


def test_app_policy_needs_a_run_of_slow_frames_to_throttle(window, store):
    chart = window.new_chart(["sig"])
    feed(store, "sig", 1000, 10.0)
    for i in range(3):
        assert not chart.report()["throttled"]
        chart.engine.measured(frame_ms=40.0, draw_ms=10.0)
        chart.refresh(10.0 + i)
    assert chart.report()["throttled"] and chart.report()["fps"] == 30


def test_override_selector_and_context_menu_force_each_mode(window, store):
    chart = window.new_chart(["sig"])
    feed(store, "sig", 100_000, 20.0)  # Auto would decimate this
    expected = {"Raw": "raw", "Decimate": "decimated", "Aggregate": "aggregated", "Auto": None}
    for i in range(chart.mode_box.count()):
        text = chart.mode_box.itemText(i)
        chart.mode_box.setCurrentIndex(i)
        chart.refresh()
        mode = expected[text]
        assert chart.report()["mode"] == (mode or "decimated"), text
        assert chart.mode_label.text().startswith(mode or "decimated")
        assert chart.mode_actions[chart.state.mode].isChecked()
    assert chart.report()["points_drawn"] < 5_000
    chart.mode_actions[Override.RAW].trigger()
    assert chart.mode_box.currentText() == "Raw" and chart.state.mode is Override.RAW
    chart.refresh()
    assert chart.report()["points_drawn"] >= 100_000 and "(set)" in chart.mode_label.text()
    chart.set_mode("AGGREGATE")
    chart.refresh()
    assert chart.curves["sig"].band is not None
    chart.set_mode("auto")
    chart.refresh()
    assert chart.curves["sig"].band is None  # the band goes with the mode
    with pytest.raises(ValueError):
        chart.set_mode("fast")


def test_antialias_choice_from_the_view_menu(window, store):
    chart = window.new_chart(["sig"])
    feed(store, "sig", 100, 10.0)
    try:
        window.antialias_action.setChecked(True)
        chart.refresh()
        assert chart.curves["sig"].item.opts["antialias"]
        assert window.new_chart(["sig"]).engine.policy.settings.antialias  # new charts too
    finally:
        window.antialias_action.setChecked(False)
    chart.refresh()
    assert not chart.curves["sig"].item.opts["antialias"]


def test_frame_rate_cap_from_the_view_menu(window, store):
    chart = window.new_chart(["sig"])
    feed(store, "sig", 100, 10.0)
    window.fps_cap_actions[10].trigger()
    assert window.clock.fps_cap == 10 and window.clock.timer.interval() == 100
    window.clock.tick()
    feed(store, "sig", 10, 1.0, start=10.0)
    window.clock.tick()
    assert chart.report()["fps"] == 10 and chart.mode_label.text().endswith("10 fps")
    assert not chart.report()["throttled"]  # the cap is the user's choice, not throttling
    window.set_fps_cap(60)
    assert window.fps_cap_actions[60].isChecked()


def test_get_stats_over_a_real_websocket(qtbot, qloop):
    scope = StreamScope(AppOptions(port=0, plots=[["sig"]]))
    qtbot.addWidget(scope.window)
    qloop.run_until_complete(scope.start())
    chart = scope.window.charts[0]

    async def send() -> None:
        async with StreamClient(scope.server.url) as c:
            t = np.arange(20_000) * 1e-3
            await c.send_binary("sig", t.tolist(), np.sin(t).tolist())
            await c.request({"type": "list_streams"}, "streams")

    async def ask() -> dict:
        async with StreamClient(scope.server.url) as c:
            return await c.request({"type": "get_stats"}, "stats")

    try:
        qloop.run_until_complete(asyncio.wait_for(send(), 20))
        loop_until(qloop, lambda: chart.report()["points_drawn"] > 0, 10, "a drawn chart")
        loop_until(qloop, lambda: scope.window.clock.fps() > 0, 10, "frames")

        def own_fps_samples() -> int:
            own = scope.store.find("streamscope.fps")
            return len(own) if own is not None else 0

        seen = own_fps_samples()  # then 3 more publishes: the last interval had no ingest
        loop_until(qloop, lambda: own_fps_samples() >= seen + 3, 10, "the app's own metrics")
        stats = qloop.run_until_complete(asyncio.wait_for(ask(), 20))
    finally:
        qloop.run_until_complete(scope.stop())
    assert stats["type"] == "stats" and stats["fps"] > 0
    assert 0 < stats["frame_ms_p50"] <= stats["frame_ms_p95"]
    assert stats["ingest_samples_per_s"] == 0.0  # the app's own metrics are not ingest
    (entry,) = stats["charts"]
    assert entry["title"] == "sig" and entry["mode"] == "decimated"
    assert entry["points_in_view"] == 20_000 and 0 < entry["points_drawn"] < 20_000
    # and the app published its own metrics as streams of a "StreamScope" session
    (own,) = [s for s in scope.store.sessions.values() if s.name == "StreamScope"]
    assert {"streamscope.fps", "streamscope.frame_ms"} <= set(own.streams)
    assert scope.store.total_samples == 20_000


def test_chart_grid_is_the_cheap_one_at_the_major_ticks(window, store):
    chart = window.new_chart(["sig"])
    feed(store, "sig", 1000, 20.0)
    chart.refresh()
    item = chart.plot.getPlotItem()
    assert not item.getAxis("bottom").grid and not item.getAxis("left").grid  # no alpha grid
    lines = chart.grid.lines()
    vertical = [ln.x1() for ln in lines if ln.x1() == ln.x2()]
    (x0, x1), _ = view(chart)
    assert len(vertical) >= 3 and all(x0 <= x <= x1 for x in vertical)
    assert any(ln.y1() == ln.y2() for ln in lines)  # and horizontal ones
    assert chart.grid.zValue() < chart.curves["sig"].item.zValue()


def test_a_frame_that_moves_the_y_range_is_painted_once_and_then_rests(window, store, qapp):
    """pyqtgraph settles auto-range at the start of a paint and paints again if it moved; and
    a 1:1 XY plot whose axes could shrink back kept repainting forever."""
    from streamscope.bench.paint import PaintCounter

    chart = window.new_chart(["sig"])
    xy = window.analysis.new_xy("sig", "sig2")
    t = np.arange(500) * 0.01
    store.append("g1", "sig", t, np.sin(t))
    store.append("g1", "sig2", t, np.cos(t))
    counter = PaintCounter([chart.plot.viewport(), xy.plot.viewport()])
    try:
        for _ in range(3):  # first frames: docks, axes and layout settle
            window.clock.tick()
            window.clock.tick_views()
            counter.settle(qapp)
        before = chart.plot.getPlotItem().getViewBox().viewRange()[1]
        for name in ("sig", "sig2"):  # a sample beyond the y range shown (not an outlier)
            store.append("g1", name, np.array([5.1]), np.array([1.3]))
        window.clock.tick()
        window.clock.tick_views()
        paints = counter.settle(qapp)
        assert chart.plot.getPlotItem().getViewBox().viewRange()[1][1] > before[1] >= 1.0
        assert paints == 2  # each of the two plots painted once, not twice
        for _ in range(20):
            qapp.processEvents()
        assert counter.settle(qapp) == 0  # and nothing repaints while nothing changes
    finally:
        counter.close()


# ---------------------------------------------------------------- work follows what changed


def count_set_data(chart, monkeypatch) -> list[str]:
    """Names of the curves ``setData`` was called on, as the chart redraws."""
    calls: list[str] = []
    for name, c in chart.curves.items():
        real = c.item.setData
        monkeypatch.setattr(c.item, "setData", lambda *a, _n=name, _r=real, **k: (
            calls.append(_n), _r(*a, **k))[1])  # fmt: skip
    return calls


def test_an_unchanged_chart_sets_no_data(window, store, monkeypatch):
    """No setData for a chart whose inputs did not change; while following, frames between
    batches only move the view (the chart scrolls with the clock), they set no data."""
    chart = window.new_chart(["sig", "other"])
    feed(store, "sig", 30_000, 30.0)
    feed(store, "other", 3_000, 30.0)
    now = 100.0
    assert chart.refresh(now)
    calls = count_set_data(chart, monkeypatch)
    assert not chart.refresh(now)  # same tick, same data: nothing at all
    for i in range(1, 6):  # new data for one curve only
        feed(store, "sig", 50, 0.05, start=30.0 + 0.05 * i)
        assert chart.refresh(now + 0.05 * i)
    assert calls == ["sig"] * 5
    calls.clear()
    x_before = chart.view.viewRange()[0]
    for i in range(1, 4):  # no data, the clock goes on: the view scrolls, nothing is set
        chart.refresh(now + 0.25 + 0.016 * i)
    assert calls == [] and chart.view.viewRange()[0][1] > x_before[1]


@pytest.mark.parametrize("window_index", [1, 3])  # 30 s and 5 min
def test_live_frames_read_the_new_samples_not_the_window(window, store, window_index):
    """Following 1 kHz data, a frame reads what arrived since the last one, whatever the
    window: the same new samples cost the same over 30 s and over 5 minutes in view."""
    chart = window.new_chart(["sig"])
    chart.window_box.setCurrentIndex(window_index)
    chart.set_mode("decimate")
    feed(store, "sig", 400_000, 400.0)
    now = 1000.0
    assert chart.refresh(now)
    for i in range(1, 31):
        feed(store, "sig", 17, 0.017, start=400.0 + 0.017 * i)
        assert chart.refresh(now + 0.017 * i)
        (stats,) = chart.engine.cache_stats()
        assert not stats.rebuilt
        assert stats.elements_read == 17  # the new samples, and nothing of the window


def test_a_cheap_chart_beside_an_expensive_one_keeps_its_rate(window, store):
    """Each chart is judged by its own draw and paint: a 40 ms frame made by one heavy chart
    throttles that chart, never the light one beside it, and the badge says which."""
    cheap, heavy = window.new_chart(["a"]), window.new_chart(["b"])
    feed(store, "a", 300, 30.0)
    feed(store, "b", 300, 30.0)
    for i in range(12):
        cheap.engine.measured(frame_ms=40.0, draw_ms=1.5)
        heavy.engine.measured(frame_ms=40.0, draw_ms=36.0)
        feed(store, "a", 1, 0.01, start=30.0 + i)
        feed(store, "b", 1, 0.01, start=30.0 + i)
        cheap.refresh(200.0 + i)
        heavy.refresh(200.0 + i)
    assert cheap.report()["fps"] == 60 and "throttled" not in cheap.mode_label.text()
    assert heavy.report()["fps"] < 60 and "throttled" in heavy.mode_label.text()


def test_a_scrolling_chart_keeps_its_curves_bounds_until_it_zooms(window, store, monkeypatch):
    """A move of the view keeps each curve's bounding rect (it is in data coordinates); a new
    pixel size (zoom) drops it, as pyqtgraph does on every change."""
    chart = window.new_chart(["sig"])
    feed(store, "sig", 3000, 30.0)
    assert chart.refresh(100.0)
    chart.plot.grab()
    curve = chart.curves["sig"].item.curve
    found: list[int] = []
    real = curve.dataBounds
    monkeypatch.setattr(curve, "dataBounds", lambda *a, **k: (found.append(1), real(*a, **k))[1])
    for shift in (0.5, 1.0, 1.5):  # the same span: moves
        chart.view.setXRange(shift, 30.0 + shift, padding=0)
        chart.plot.grab()
    assert found == []
    chart.view.setXRange(1.0, 11.0, padding=0)  # a zoom: bounds found again
    chart.plot.grab()
    assert found
