"""Recording from the window and the app: toggle, --record over a real socket, File → Open."""

from __future__ import annotations

import asyncio

import numpy as np

from streamscope.app import AppOptions, StreamScope, build_window
from streamscope.core.files.recording import Recording
from streamscope.core.files.userdirs import recordings_dir
from streamscope.core.store.store import Store
from streamscope.ingest.client import StreamClient
from support.data import bits
from support.qt import loop_until


def test_record_toggle_writes_to_the_recordings_folder(qtbot):
    store = Store()
    window = build_window(store)
    qtbot.addWidget(window)
    window.show()
    s = store.open_session("Game")
    store.append(s.id, "fps", np.arange(10.0), np.full(10, 60.0))  # before recording: kept
    files = window.file_actions
    files.record_action.trigger()  # the menu item / toolbar button
    assert files.recorder is not None and files.record_action.isChecked()
    path = files.recorder.path
    assert path.parent == recordings_dir() and path.suffix == ".ssrec"
    store.append(s.id, "fps", np.arange(10.0, 20.0), np.full(10, 61.0))
    window.clock.tick()
    assert files.recording_label.isVisibleTo(window)
    assert files.recording_label.text().startswith("● REC")
    files.record_action.trigger()
    assert files.recorder is None and not files.recording_label.isVisibleTo(window)
    with Recording(path) as rec:
        ((session_t, session_v),) = [rec.read(st) for s in rec.sessions for st in s.streams]
    assert session_t.tolist() == list(range(20)) and session_v[-1] == 61.0


def test_open_recording_shows_its_sessions_and_charts_them(qtbot, tmp_path):
    source = Store()
    path = tmp_path / "play.ssrec"
    from streamscope.core.files.recording import RecordingWriter

    with RecordingWriter(path) as writer:
        writer.attach(source)
        s = source.open_session("MyGame")
        t = np.arange(0, 30, 0.001)
        source.append(s.id, "frame_ms", t, 16 + np.sin(t))
    store = Store()
    window = build_window(store)
    qtbot.addWidget(window)
    window.show()
    live = window.new_chart(["frame_ms"])
    task = window.file_actions.open_recording(path)
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    group = window.browser.tree.topLevelItem(0)  # the recording's own group
    assert group.text(0) == "Recording: play.ssrec" and group.font(0).italic()
    root = group.child(0)
    assert root.text(0) == "MyGame — Play #1 (play)" and root.text(1) == "recorded"
    assert root.child(0).text(0) == "frame_ms" and root.child(0).text(1) == "30,000"
    assert "Opened play.ssrec" in window.file_actions.last_notice
    assert not live.refresh()  # a live chart does not take up the recording
    (chart,) = window.chart_recording(str(path))  # "Chart this recording"
    assert chart.refresh()
    curve = chart.curves["frame_ms (play.ssrec)"]
    _, y = curve.item.getData()
    assert curve.points_in_view == 30_000  # drawn like live data
    assert 15.0 <= y.min() < 15.01 and 16.99 < y.max() <= 17.0


def test_opening_a_bad_file_says_why(qtbot, tmp_path):
    window = build_window(Store())
    qtbot.addWidget(window)
    bad = tmp_path / "notes.ssrec"
    bad.write_text("hello")
    assert window.file_actions.open_recording(bad) is None
    assert "not a StreamScope recording" in window.file_actions.last_notice


def test_record_option_records_what_arrives_over_the_socket(qtbot, qloop, tmp_path):
    folder = tmp_path / "rec"
    scope = StreamScope(AppOptions(port=0, record=str(folder)))
    qloop.run_until_complete(scope.start())
    qtbot.addWidget(scope.window)
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0, 0.01, 50_000))
    v = rng.normal(size=50_000)
    v[::1000] = np.nan

    async def client():
        async with StreamClient(scope.server.url, name="Sim") as c:
            for i in range(0, len(t), 5000):
                await c.send_binary("x", t[i : i + 5000], v[i : i + 5000])
            await c.send_sample("fps", 59.5, t=1.0)
            await c.request({"type": "list_streams"}, "streams")

    try:
        qloop.run_until_complete(asyncio.wait_for(client(), 30))
        loop_until(qloop, lambda: scope.store.find("fps") is not None, 5, "the samples")
    finally:
        qloop.run_until_complete(scope.stop())  # closes the recording
    (path,) = folder.glob("*.ssrec")
    with Recording(path) as rec:
        (session,) = rec.sessions
        assert session.name == "Sim — Play #1" and session.ended is not None
        data = rec.read_session(session)
    assert np.array_equal(bits(data["x"][0]), bits(t)) and np.array_equal(
        bits(data["x"][1]), bits(v)
    )
    assert data["fps"][1].tolist() == [59.5]


def test_record_option_with_an_unusable_folder_stops_the_start(qtbot, qloop, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    scope = StreamScope(AppOptions(port=0, record=str(blocker / "rec")))
    qtbot.addWidget(scope.window)
    from streamscope.app import StartupError

    try:
        qloop.run_until_complete(scope.start())
        raise AssertionError("start should have failed")
    except StartupError as e:
        assert "cannot record" in str(e)
    finally:
        qloop.run_until_complete(scope.server.stop())


def test_open_option_shows_a_recording_at_start(qtbot, qloop, tmp_path):
    from streamscope.core.files.recording import RecordingWriter

    path = tmp_path / "earlier.ssrec"
    source = Store()
    with RecordingWriter(path) as writer:
        writer.attach(source)
        s = source.open_session("MyGame")
        source.append(s.id, "fps", np.arange(100.0), np.full(100, 30.0))
    scope = StreamScope(AppOptions(port=0, open=[str(path)], plots=[["fps"]]))
    qloop.run_until_complete(scope.start())
    qtbot.addWidget(scope.window)
    try:
        loop_until(qloop, lambda: scope.store.find("fps") is not None, 10, "the recording")
        (session,) = scope.store.sessions.values()
        assert session.name == "MyGame — Play #1 (earlier)" and session.source == str(path)
        live, chart = scope.window.charts  # --plot's (live) and the recording's own
        loop_until(qloop, lambda: "fps (earlier.ssrec)" in chart.curves, 5, "its chart")
        curve = chart.curves["fps (earlier.ssrec)"]
        loop_until(qloop, lambda: curve.points_drawn > 0, 5, "the curve")
        assert live.curves["fps"].stream is None  # live charts wait for live data
    finally:
        qloop.run_until_complete(scope.stop())


def record_file(path, product: str, streams: dict) -> None:
    from streamscope.core.files.recording import RecordingWriter

    source = Store()
    with RecordingWriter(path) as writer:
        writer.attach(source)
        s = source.open_session(product)
        for name, (t, v) in streams.items():
            source.append(s.id, name, t, v)


def test_live_charts_keep_following_live_data_when_a_recording_opens(qtbot, tmp_path):
    path = tmp_path / "old.ssrec"
    t = np.arange(0, 10, 0.1)
    record_file(path, "MyGame", {"fps": (t, np.full(len(t), 30.0))})
    store = Store()
    live_session = store.open_session("MyGame")
    store.append(live_session.id, "fps", t, np.full(len(t), 60.0))
    window = build_window(store)
    qtbot.addWidget(window)
    window.show()
    live = window.new_chart(["fps"])
    task = window.file_actions.open_recording(path)
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    assert live.refresh()
    assert live.curves["fps"].stream.session_id == live_session.id  # not the recording's
    store.append(live_session.id, "fps", np.array([10.0]), np.array([61.0]))
    live.refresh()
    assert live.curves["fps"].item.getData()[1][-1] == 61.0
    # a recording's stream dragged onto the live chart is a curve of its own
    rec_sid = next(s.id for s in store.sessions.values() if s.source)
    from streamscope.ui.dnd import streams_to_mime

    assert live.handle_drop(streams_to_mime([(rec_sid, "fps")])) == 1
    assert sorted(live.curves) == ["fps", "fps (old.ssrec)"]
    live.refresh()
    assert live.curves["fps (old.ssrec)"].item.getData()[1][0] == 30.0
    charts = window.chart_recording(str(path))
    assert [list(c.curves) for c in charts] == [["fps (old.ssrec)"]]

    # File ▸ Close recording: the sessions, the curves and its charts go
    menu = window.file_actions.close_recording_menu
    menu.aboutToShow.emit()
    (entry,) = menu.actions()
    assert entry.text() == "old.ssrec"
    entry.trigger()
    assert not any(s.source for s in store.sessions.values())
    assert list(live.curves) == ["fps"] and live in window.charts
    assert all(c not in window.charts for c in charts)
    assert window.browser.recording_paths() == []
    assert window.browser.tree.topLevelItemCount() == 1  # the live session only


def test_opening_a_damaged_recording_says_what_was_skipped(qtbot, tmp_path):
    import sqlite3

    from PySide6.QtWidgets import QMessageBox

    from streamscope.core.files.recording import RecordingWriter

    source = Store()
    path = tmp_path / "play.ssrec"
    with RecordingWriter(path) as writer:
        writer.attach(source)
        s = source.open_session("MyGame")
        t = np.arange(0, 300, 0.001)  # 300,000 samples: five chunks
        source.append(s.id, "frame_ms", t, 16 + np.sin(t))
    con = sqlite3.connect(path)
    with con:  # one flipped bit in a chunk's sample count
        con.execute("UPDATE chunks SET n = (n | 4096) - (n & 4096) WHERE seq = 1")
    con.close()
    store = Store()
    window = build_window(store)
    qtbot.addWidget(window)
    window.show()
    task = window.file_actions.open_recording(path)
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    group = window.browser.tree.topLevelItem(0)  # the recording's group, then its session
    assert group.child(0).child(0).text(1) == f"{300_000 - 65_536:,}"  # the other four chunks
    notice = window.file_actions.last_notice
    assert "damaged" in notice and "skipped 1 damaged chunk (65,536 samples)" in notice
    assert "frame_ms, chunk 1" in notice and not notice.startswith("Opened")
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "skipped 1 damaged chunk" in boxes[-1].text()
