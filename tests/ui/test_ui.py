"""The window and charts, offscreen: drops, browser, follow/pause, crosshair readout."""

from __future__ import annotations

import time

import numpy as np
import pytest

from streamscope.app import build_window
from streamscope.ui.dnd import STREAM_MIME, streams_from_mime, streams_to_mime
from support.data import drawn, game_store


@pytest.fixture
def store():
    t = np.arange(0, 20, 0.1)
    return game_store(
        {"fps": (t, 60 + np.sin(t)), "memory_usage_mb": (t, 400 + t), "score": (t, t * 10)}
    )


@pytest.fixture
def window(window):
    """With the stream browser filled."""
    window.browser.sync()
    return window


def test_drop_on_a_chart_adds_a_curve_via_the_browser_drag_data(window):
    chart = window.new_chart(["fps"])
    tree = window.browser.tree
    item = window.browser._streams[("g1", "memory_usage_mb")]
    mime = tree.mimeData([item])  # exactly what a drag from the browser carries
    assert mime.hasFormat(STREAM_MIME)
    assert chart.handle_drop(mime) == 1
    assert list(chart.curves) == ["fps", "memory_usage_mb"]
    assert chart.handle_drop(mime) == 0  # no duplicate curve
    chart.refresh()
    x, y = drawn(chart, "memory_usage_mb")
    assert len(x) > 0 and np.allclose(y, 400 + x)


def test_drop_event_on_the_plot_widget_goes_through_handle_drop(window, qtbot):
    chart = window.new_chart()

    class FakeDrop:  # the three methods the handler uses (QDrag.exec's own loop can't be driven)
        def __init__(self, mime):
            self._mime, self.accepted = mime, False

        def mimeData(self):
            return self._mime

        def acceptProposedAction(self):
            self.accepted = True

        def ignore(self):
            self.accepted = False

    ev = FakeDrop(streams_to_mime([("g1", "score")]))
    chart.plot.dragEnterEvent(ev)
    assert ev.accepted
    chart.plot.dropEvent(ev)
    assert "score" in chart.curves
    other = FakeDrop(streams_to_mime([]))
    other._mime.setText("plain text")
    chart.plot.dragEnterEvent(other)
    assert not other.accepted


def test_drop_on_empty_space_makes_a_new_chart(window):
    assert window.charts == [] and window.area.hint.isVisibleTo(window)
    dock = window.handle_drop(streams_to_mime([("g1", "fps"), ("g1", "score")]))
    assert window.charts == [dock] and list(dock.curves) == ["fps", "score"]
    assert not window.area.hint.isVisibleTo(window)
    dock.close()
    assert window.charts == [] and window.area.hint.isVisibleTo(window)


def test_mime_without_streams_is_refused(window):
    from PySide6.QtCore import QMimeData

    m = QMimeData()
    m.setData(STREAM_MIME, b"not json")
    assert streams_from_mime(m) == []
    assert window.handle_drop(m) is None


def test_chart_shows_window_and_follows_latest(window):
    chart = window.new_chart(["fps"])
    chart.window_box.setCurrentIndex(0)  # 10 s
    assert chart.refresh()
    x0, x1 = chart.plot.getPlotItem().getViewBox().viewRange()[0]
    assert x1 == pytest.approx(19.9, abs=0.01) and x1 - x0 == pytest.approx(10, abs=0.01)
    x, _ = drawn(chart, "fps")
    assert x.min() >= 9.8 and x.max() == pytest.approx(19.9)
    assert not chart.refresh()  # nothing changed: nothing drawn


def test_a_young_session_fills_the_window_from_its_start(window, store):
    chart = window.new_chart(["fps"])  # 30 s window, 19.9 s of data since t=0
    assert chart.refresh()
    assert chart.plot.getPlotItem().getViewBox().viewRange()[0] == pytest.approx([0, 30])
    store.append("g1", "fps", np.array([35.0]), np.array([1.0]))
    chart.refresh()  # past the window: it scrolls with the newest sample
    assert chart.plot.getPlotItem().getViewBox().viewRange()[0] == pytest.approx([5, 35])


def test_pause_freezes_while_ingest_goes_on(window, store):
    chart = window.new_chart(["fps"])
    chart.refresh()
    chart.pause_btn.click()
    assert chart.state.paused
    store.append("g1", "fps", np.array([25.0]), np.array([1.0]))
    chart.refresh()
    x, _ = drawn(chart, "fps")
    assert x.max() == pytest.approx(19.9)
    chart.pause_btn.click()
    chart.refresh()
    assert drawn(chart, "fps")[0].max() == pytest.approx(25.0)


def test_user_zoom_stops_following(window, store):
    chart = window.new_chart(["fps"])
    chart.refresh()
    vb = chart.plot.getPlotItem().getViewBox()
    vb.sigRangeChangedManually.emit([True, False])
    assert not chart.state.follow and not chart.follow_btn.isChecked()
    chart.follow_btn.click()
    assert chart.state.follow


def test_crosshair_readout(window):
    chart = window.new_chart(["fps", "score"])
    chart.refresh()
    text = chart.values_at(5.05)
    assert "t = 5.050 s" in text and "score 50" in text and "fps 59.0" in text


def test_browser_tree_and_filter(window, store):
    tree = window.browser.tree
    assert tree.topLevelItemCount() == 1
    root = tree.topLevelItem(0)
    assert root.text(0) == "Game — Play #1" and root.childCount() == 3
    window.browser.filter.setText("mem")
    visible = [root.child(i).text(0) for i in range(3) if not root.child(i).isHidden()]
    assert visible == ["memory_usage_mb"]
    window.browser.filter.setText("zzz")
    assert root.isHidden()
    window.browser.filter.clear()
    s2 = store.open_session("Game")
    store.append(s2.id, "fps", np.array([0.0]), np.array([1.0]))
    window.browser.sync()
    assert tree.topLevelItemCount() == 2
    assert tree.topLevelItem(0).text(0) == "Game — Play #2"  # newest first


def test_chart_follows_the_newest_session(window, store):
    chart = window.new_chart(["fps"])
    chart.refresh()
    s2 = store.open_session("Game")
    store.append(s2.id, "fps", np.arange(0, 1, 0.1), np.full(10, 5.0))
    chart.refresh()
    _, y = drawn(chart, "fps")
    assert np.all(y == 5.0)


def test_gaps_break_the_line(window, store):
    s = store.open_session("Gap")
    store.append(s.id, "g", np.arange(5.0), np.array([1, 2, np.nan, 4, 5.0]))
    chart = window.new_chart(["g"])
    chart.refresh()
    _, y = drawn(chart, "g")
    assert np.isnan(y).sum() == 1
    assert "gap" in chart.values_at(2.5)


def test_plot_option_charts_wait_for_their_streams(window, store):
    chart = window.new_chart(["not_yet"])
    assert not chart.refresh()
    s = store.open_session("Late")
    store.append(s.id, "not_yet", np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert chart.refresh()
    assert drawn(chart, "not_yet")[1].tolist() == [3.0, 4.0]


def test_status_bar(window, store):
    window._status = lambda: ("ws://127.0.0.1:9", 2)
    window._update_status(1e9)
    assert window.status_address.text() == "Listening on ws://127.0.0.1:9"
    assert window.status_clients.text() == "2 clients"
    assert "samples/s in" in window.status_rate.text()


def test_two_play_sessions_chart_follows_second_and_ghosts_first(window, store):
    """Play pressed twice with the same stream names: newest drawn, previous as a faint ghost."""
    second = store.open_session("Game", "g2")
    t2 = np.arange(0, 5, 0.1)
    store.append(second.id, "fps", t2, np.full(len(t2), 30.0))
    chart = window.new_chart(["fps"])
    chart.window_box.setCurrentIndex(chart.window_box.count() - 1)  # All
    chart.refresh()
    curve = chart.curves["fps"]
    assert curve.stream.session_id == "g2" and curve.ghost is None
    chart.ghost_btn.click()
    chart.refresh()
    assert curve.ghost is not None and curve.ghost_stream.session_id == "g1"
    gx, gy = (np.asarray(a) for a in curve.ghost.getData())
    assert len(gx) > 0 and np.allclose(gy, 60 + np.sin(gx))  # the first session's values
    _, y = drawn(chart, "fps")
    assert np.all(y == 30.0)
    assert curve.ghost.opts["pen"].color().alpha() < 255
    chart.ghost_btn.click()
    assert curve.ghost is None


def test_pause_at_source_sends_the_original_command(window, store):
    sent = []
    window.browser.send_command = lambda sid, msg: sent.append((sid, msg)) or True
    assert window.browser.set_source_paused("g1", "fps", True)
    assert sent == [("g1", {"type": "stop_streaming", "metric": "fps"})]
    assert window.browser._streams[("g1", "fps")].text(0) == "fps (paused at source)"
    window.browser.set_source_paused("g1", "fps", False)
    assert sent[1:] == [  # the history kept while paused is asked for before live data resumes
        ("g1", {"type": "request_historical_data", "metric": "fps"}),
        ("g1", {"type": "start_streaming", "metric": "fps"}),
    ]
    assert window.browser._streams[("g1", "fps")].text(0) == "fps"
    window.browser.send_command = lambda sid, msg: False  # client gone
    assert not window.browser.set_source_paused("g1", "fps", True)


def test_help_shows_the_address_a_working_example_and_every_shortcut(qtbot, store):
    from PySide6.QtGui import QGuiApplication

    window = build_window(store, lambda: ("ws://127.0.0.1:40123", 0))
    qtbot.addWidget(window)
    window.new_chart(["fps"])
    dialog = window.show_help()
    text = dialog.text.toPlainText()
    assert "ws://127.0.0.1:40123" in text
    compile(dialog.example, "example.py", "exec")  # the snippet is valid Python as shown
    assert 'websockets.connect("ws://127.0.0.1:40123")' in dialog.example
    dialog.copy_example()
    assert QGuiApplication.clipboard().text() == dialog.example
    # every action with a key is listed with it (the chart's keys once, not per chart)
    checked = 0
    for act in window.findChildren(type(window.quit_action)):
        if act.shortcuts() and act.parent() is window:
            name = act.text().replace("&", "").rstrip("…. ")
            assert name in text, name
            assert act.shortcut().toString(act.shortcut().SequenceFormat.NativeText) in text
            checked += 1
    assert checked >= 10  # file, chart, view and analysis menus
    assert text.count("Pause display") == 1 and "Space" in text
    assert "Close all charts" in text and "Ctrl+Shift+W" in text


def test_a_new_window_fits_on_a_small_screen_and_keeps_its_size_offscreen(qtbot, store):
    from PySide6.QtCore import QSize

    from streamscope.ui.main_window import fit_to

    assert fit_to(1400, 860, QSize(1366, 728)) == (1297, 669)  # a laptop, taskbar excluded
    assert fit_to(1400, 860, QSize(2560, 1400)) == (1400, 860)
    window = build_window(store)  # offscreen: no real screen, so --snapshot gets the full size
    qtbot.addWidget(window)
    assert (window.width(), window.height()) == (1400, 860)


def test_chart_keys_toggle_follow_pause_and_ghost(window):
    chart = window.new_chart(["fps"])
    acts = {a.text(): a for a in chart.actions()}
    buttons = (chart.follow_btn, chart.pause_btn, chart.ghost_btn)
    before = [b.isChecked() for b in buttons]
    for text in ("Follow latest", "Pause display", "Ghost of the previous session"):
        acts[text].trigger()
    assert [b.isChecked() for b in buttons] == [not b for b in before]


def test_f1_twice_keeps_one_help_dialog(qtbot, store):
    window = build_window(store)
    qtbot.addWidget(window)
    first = window.show_help()
    first.close()
    assert window.show_help() is first and first.isVisible()


def test_drop_zone_shows_while_a_stream_is_dragged_and_a_drop_on_it_makes_a_chart(window):
    class FakeDrop:  # what the handler uses (QDrag.exec's own loop can't be driven)
        def __init__(self, mime):
            self._mime, self.accepted = mime, False

        def mimeData(self):
            return self._mime

        def acceptProposedAction(self):
            self.accepted = True

        def ignore(self):
            self.accepted = False

    for names in (["fps"], ["memory_usage_mb"]):
        window.new_chart(names)  # the charts fill the area: no free space is left
    area, zone = window.area, window.area.drop_zone
    window.browser.tree.dragging.emit(True)  # what a drag from the browser does first
    assert zone.isVisible() and "Drop here for a new chart" in zone.text()
    middle = zone.geometry().center()
    assert area.childAt(middle) is zone  # on top of the charts, not under them
    assert zone.geometry().bottom() >= area.height() - 16  # along the bottom edge
    ev = FakeDrop(streams_to_mime([("g1", "score")]))
    zone.dragEnterEvent(ev)
    zone.dropEvent(ev)
    assert ev.accepted and list(window.charts[-1].curves) == ["score"]
    assert len(window.charts) == 3
    window.browser.tree.dragging.emit(False)
    assert not zone.isVisible()


def test_curves_of_two_simultaneous_sources_overlap_in_x(window):
    """A script started 5 s after the game: both stream now, each on its own clock (t from 0
    at its own start). Drawn on one chart, what arrived together lines up."""
    store = window.store
    game = store.sessions["g1"]  # fps over t 0..19.9
    script = store.open_session("Script")
    t = np.arange(0, 15, 0.1)
    store.append(script.id, "sine", t, np.sin(t))
    assert script.wall_zero == pytest.approx(time.time(), abs=5)  # set by its first sample
    script.wall_zero = game.wall_zero + 5  # its first sample arrived 5 s after the game's
    chart = window.new_chart(["fps", "sine"])
    chart.set_mode("raw")
    chart.window_box.setCurrentIndex(chart.window_box.count() - 1)  # "All"
    chart.refresh()
    fps_x, _ = drawn(chart, "fps")
    sine_x, _ = drawn(chart, "sine")
    assert fps_x[0] == pytest.approx(0) and sine_x[0] == pytest.approx(5)
    assert sine_x[-1] == pytest.approx(fps_x[-1])  # the newest samples, drawn together
    assert "aligned on the wall clock" in chart.plot.getPlotItem().getAxis("bottom").labelText


def test_a_session_alone_keeps_its_own_axis_and_the_legend_marks_curves_with_nothing_in_view(
    window,
):
    chart = window.new_chart(["fps", "nothing_yet"])
    chart.refresh()
    fps_x, _ = drawn(chart, "fps")
    assert fps_x[0] == pytest.approx(0, abs=0.2)
    assert "session start" in chart.plot.getPlotItem().getAxis("bottom").labelText
    label = chart.legend.getLabel(chart.curves["nothing_yet"].item)
    assert label.text == "nothing_yet — waiting for data"
    assert chart.legend.getLabel(chart.curves["fps"].item).text == "fps"
    chart.set_follow(False)
    chart.plot.getPlotItem().setXRange(100, 120, padding=0)
    chart.refresh()
    assert chart.legend.getLabel(chart.curves["fps"].item).text == "fps — no data in view"
