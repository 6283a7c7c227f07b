"""Layouts: the file format, and the same docks and curves after saving, rebuilding, loading."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from streamscope.app import build_window
from streamscope.core.files.layout import (
    LAYOUT_VERSION,
    ChartLayout,
    Layout,
    LayoutError,
    dump_layout,
    parse_layout,
)
from streamscope.core.files.userdirs import last_layout_path
from streamscope.core.store.store import Store
from streamscope.ui.main_window import MainWindow
from support.app import start_app
from support.data import game_store
from support.qt import loop_until

# ---------------------------------------------------------------- the format


def test_dump_and_parse_round_trip():
    layout = Layout(
        charts=[
            ChartLayout(
                "chart-1", "FPS", ["fps"], 10.0, False, True, "aggregate", {"fps": "#ff0000"}
            ),
            ChartLayout("chart-7", "Mem", ["mem", "gc"], None),
        ],
        qt={"charts_state": b"\x00\x01binary\xff"},
    )
    doc = json.loads(dump_layout(layout))
    assert doc["format"] == "streamscope-layout" and doc["version"] == LAYOUT_VERSION
    assert parse_layout(dump_layout(layout)) == layout


def test_unknown_keys_are_ignored_and_missing_ones_defaulted():
    data = json.dumps(
        {
            "version": 1,
            "future_key": {"x": 1},
            "charts": [
                {"streams": ["a", "b", "a"], "window": "wide", "follow": "yes", "extra": 1},
                {"id": "c", "title": "T", "colors": {"a": "#123456", "b": 5}, "mode": 3},
            ],
            "qt": {"charts_state": "not base64 !!"},
        }
    )
    layout = parse_layout(data)
    a, b = layout.charts
    assert (a.id, a.title, a.streams, a.window, a.follow) == (
        "chart-1",
        "a, b",
        ["a", "b"],
        30.0,
        True,
    )
    assert (b.id, b.title, b.streams, b.colors, b.mode) == ("c", "T", [], {"a": "#123456"}, None)
    assert layout.qt == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe garbage", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"format": "something-else", "version": 1}', "not a StreamScope layout"),
        (b'{"charts": []}', "no valid layout version"),
        (b'{"version": 2, "charts": []}', "newer StreamScope"),
    ],
)
def test_bad_layouts_are_refused_with_a_reason(data, message):
    with pytest.raises(LayoutError, match=message):
        parse_layout(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"version": 1, "charts": {"a": 1}}', "'charts' must be a list"),
        (b'{"version": 1, "charts": [{"streams": "fps"}]}', "list of names"),
        (b'{"version": 1, "charts": [3]}', "chart 1 is not an object"),
    ],
)
def test_bad_fields_are_reported_and_the_rest_read(data, message):
    """Once refusals of the whole file; now the field is reported and left to its default."""
    layout = parse_layout(data)
    assert any(message in p for p in layout.problems), layout.problems


def test_duplicate_ids_are_made_unique():
    data = json.dumps({"version": 1, "charts": [{"id": "x"}, {"id": "x"}]})
    assert [c.id for c in parse_layout(data).charts] == ["x", "x-2"]


# ---------------------------------------------------------------- on a window


@pytest.fixture
def store():
    t = np.arange(0, 20, 0.1)
    names = ("fps", "memory", "score", "draw_calls")
    return game_store({name: (t, np.sin(t) + len(name)) for name in names}, session_id=None)


def make_window(qtbot, store) -> MainWindow:
    w = build_window(store)
    qtbot.addWidget(w)
    w.resize(780, 700)  # inside the offscreen screen (800×800): restoreGeometry clamps to it
    w.show()
    qtbot.waitExposed(w)
    return w


def describe(window: MainWindow) -> list[dict]:
    """What a user sees of the charts: names, curves, settings, and where the docks are."""
    area = window.area
    out = []
    for dock in window.charts:
        out.append(
            {
                "id": dock.objectName(),
                "title": dock.windowTitle(),
                "state": (
                    dock.state.title,
                    dock.state.streams,
                    dock.state.window,
                    dock.state.follow,
                ),
                "curves": list(dock.curves),
                "colors": {n: c.item.opts["pen"].color().name() for n, c in dock.curves.items()},
                "window_box": dock.window_box.currentText(),
                "area": area.dockWidgetArea(dock),
                "tabbed_with": sorted(d.objectName() for d in area.tabifiedDockWidgets(dock)),
                "floating": dock.isFloating(),
            }
        )
    return out


def arrange(window: MainWindow) -> None:
    """A non-default arrangement: side by side, a tab, custom settings and a colour."""
    a = window.new_chart(["fps"], "Frame rate")
    b = window.new_chart(["memory", "score"])
    c = window.new_chart(["draw_calls"])
    window.area.splitDockWidget(a, b, Qt.Orientation.Horizontal)
    window.area.tabifyDockWidget(b, c)
    a.window_box.setCurrentIndex(0)  # 10 s
    b.window_box.setCurrentIndex(4)  # All
    b.set_follow(False)
    c.curves["draw_calls"].item.setPen("#ff00ff")
    window.clock.tick()


def test_layout_saved_then_app_rebuilt_then_loaded_gives_the_same_docks(qtbot, store, tmp_path):
    first = make_window(qtbot, store)
    arrange(first)
    qtbot.wait(50)  # let the dock layout settle (geometry is assigned on events)
    before = describe(first)
    geometry = {d.objectName(): d.geometry().getRect() for d in first.charts[:2]}
    path = tmp_path / "layout.json"
    assert first.file_actions.save_layout(path)
    first.close()

    second = make_window(qtbot, Store())  # the app rebuilt: no data yet
    assert second.charts == []
    assert second.file_actions.load_layout(path)
    qtbot.wait(50)
    after = describe(second)
    assert after == before
    assert before[1]["tabbed_with"] == ["chart-3"] and before[0]["window_box"] == "10 s"
    assert second.geometry().size() == first.geometry().size()
    moved = {d.objectName(): d.geometry().getRect() for d in second.charts[:2]}
    assert moved == geometry  # side by side, same places and sizes
    assert geometry["chart-1"][0] < geometry["chart-2"][0]
    assert second.new_chart().objectName() == "chart-4"  # new ids do not collide


def test_curves_of_a_loaded_layout_appear_when_their_streams_arrive(qtbot, store, tmp_path):
    first = make_window(qtbot, store)
    first.new_chart(["fps", "later"])
    path = tmp_path / "layout.json"
    first.file_actions.save_layout(path)
    fresh = Store()
    second = make_window(qtbot, fresh)
    second.file_actions.load_layout(path)
    (chart,) = second.charts
    assert not chart.refresh()  # nothing to draw yet
    s = fresh.open_session("Game")
    fresh.append(s.id, "later", np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert chart.refresh()
    assert chart.curves["later"].item.getData()[1].tolist() == [3.0, 4.0]


def test_mode_and_colors_use_whatever_the_chart_supports(qtbot, store):
    window = make_window(qtbot, store)
    dock = window.new_chart(["fps"])
    calls = []
    dock.set_mode = calls.append  # as the render engine's chart will have
    from streamscope.ui.layouts import apply_chart

    apply_chart(
        dock, ChartLayout("x", "t", ["fps"], mode="raw", colors={"fps": "#00ff00", "no": "#fff"})
    )
    assert calls == ["raw"]
    assert dock.curves["fps"].item.opts["pen"].color().name() == "#00ff00"


def test_corrupt_layout_gives_the_default_layout_and_a_visible_message(qtbot, store, tmp_path):
    window = make_window(qtbot, store)
    window.new_chart(["fps"])
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"version": 1, "charts": [')
    assert not window.file_actions.load_layout(bad)
    assert window.charts == [] and window.area.hint.isVisible()  # the default layout
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "not valid JSON" in boxes[-1].text() and "default layout" in boxes[-1].text()
    assert "not valid JSON" in window.statusBar().currentMessage()


def test_last_layout_is_restored_on_start_and_layout_option_wins(qtbot, qloop, tmp_path):
    scope = start_app(qloop, plots=[["fps"], ["memory"]])
    qtbot.addWidget(scope.window)
    qloop.run_until_complete(scope.stop())  # quitting remembers the layout
    assert last_layout_path().is_file()

    again = start_app(qloop)  # no --plot, no --layout: the last layout
    qtbot.addWidget(again.window)
    try:
        assert [list(c.curves) for c in again.window.charts] == [["fps"], ["memory"]]
    finally:
        qloop.run_until_complete(again.stop())

    other = tmp_path / "other.json"
    other.write_bytes(dump_layout(Layout([ChartLayout("chart-1", "S", ["score"])])))
    chosen = start_app(qloop, layout=str(other))
    qtbot.addWidget(chosen.window)
    try:
        assert [list(c.curves) for c in chosen.window.charts] == [["score"]]
    finally:
        qloop.run_until_complete(chosen.stop())


def test_newer_layout_on_start_is_reported_and_the_app_runs(qtbot, qloop, tmp_path):
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"version": 99, "charts": [{"streams": ["x"]}]}))
    scope = start_app(qloop, layout=str(newer), demo=True)
    qtbot.addWidget(scope.window)
    try:
        assert scope.window.charts == []
        assert "newer StreamScope" in scope.window.file_actions.last_notice
        loop_until(qloop, lambda: scope.store.stream_names(), 15, "the demo's streams")
    finally:
        qloop.run_until_complete(scope.stop())


def test_layout_file_keeps_alert_rules_xy_charts_and_forecasts(qtbot, store, tmp_path):
    first = make_window(qtbot, store)
    chart = first.new_chart(["fps"])
    first.analysis.add_rule("fps < 30 for 2 s")
    first.analysis.new_xy("fps", "memory")
    first.analysis.overlay(chart).set_forecast("fps", True)
    path = tmp_path / "layout.json"
    assert first.file_actions.save_layout(path)

    second = make_window(qtbot, Store())
    second.analysis.new_xy("score", "fps")  # replaced by the layout's
    assert second.file_actions.load_layout(path)
    assert [r.describe() for r in second.analysis.hub.alerts.rules] == ["fps < 30 for 2 s"]
    assert [(d.x_name, d.y_name) for d in second.analysis.xy_docks] == [("fps", "memory")]
    (restored,) = second.charts
    assert list(second.analysis.overlay(restored).forecasts) == ["fps"]


def test_render_mode_override_survives_a_layout_round_trip(qtbot, store, tmp_path):
    first = make_window(qtbot, store)
    forced = {"raw": first.new_chart(["fps"]), "aggregate": first.new_chart(["memory"])}
    auto = first.new_chart(["score"])
    for mode, dock in forced.items():
        dock.set_mode(mode)
    auto.set_decimation("lttb")
    path = tmp_path / "layout.json"
    assert first.file_actions.save_layout(path)
    saved = json.loads(path.read_text())
    assert [c["mode"] for c in saved["charts"]] == ["raw", "aggregate", "auto"]
    assert [c["decimation"] for c in saved["charts"]] == ["minmax", "minmax", "lttb"]

    second = make_window(qtbot, Store())
    assert second.file_actions.load_layout(path)
    modes = {tuple(d.curves): d.state.mode for d in second.charts}
    assert modes == {("fps",): "raw", ("memory",): "aggregate", ("score",): "auto"}
    restored = next(d for d in second.charts if "memory" in d.curves)
    assert restored.mode_box.currentText() == "Aggregate"  # the selector shows it too
    assert restored.mode_actions[restored.state.mode].isChecked()
    assert auto.state.mode == "auto"
    lttb = next(d for d in second.charts if "score" in d.curves)
    assert (
        lttb.engine.decimation.value == "lttb"
        and lttb.decimation_actions[lttb.engine.decimation].isChecked()
    )


def test_a_first_demo_run_charts_the_demo_streams_and_a_plain_start_shows_none(qtbot, qloop):
    plain = start_app(qloop)  # no last layout, no --demo: the empty chart area and its hint
    qtbot.addWidget(plain.window)
    empty = plain.window.charts == [] and not plain.window.analysis.xy_docks
    qloop.run_until_complete(plain.stop())
    assert empty
    last_layout_path().unlink()  # as on a first run

    scope = start_app(qloop, demo=True)
    qtbot.addWidget(scope.window)
    try:
        charts = scope.window.charts
        assert len(charts) == 4 and len(scope.window.analysis.xy_docks) == 1
        xy = scope.window.analysis.xy_docks[0]
        wanted = {n for c in charts for n in c.curves} | {xy.x_name, xy.y_name}
        wanted |= set(scope.window.analysis.tiles.tiles)
        # every stream the demo layout names is one the demo sends, and each chart draws it
        loop_until(
            qloop,
            lambda: (
                wanted <= set(scope.store.stream_names())
                and all(c.report()["points_in_view"] > 0 for c in charts)
            ),
            20,
            f"the demo's streams {sorted(wanted)} charted",
        )
    finally:
        qloop.run_until_complete(scope.stop())


def test_a_chart_too_narrow_for_its_buttons_still_shows_its_mode_in_full(qtbot, store):
    window = make_window(qtbot, store)
    chart = window.new_chart(["fps"])
    window.resize(500, 400)
    window.show()
    s = store.open_session("Game")
    store.append(s.id, "fps", np.arange(100.0), np.ones(100))
    assert chart.refresh() and chart.mode_label.text().startswith("raw ")
    badge = chart.mode_label.geometry()
    assert chart.mode_label.isVisibleTo(chart.plot) and chart.plot.rect().contains(badge)
    assert badge.width() >= chart.mode_label.sizeHint().width()
