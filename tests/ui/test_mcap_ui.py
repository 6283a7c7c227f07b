"""MCAP in the window: File ▸ Open (and --open) take .mcap in the background, the File menu
exports a recording or the live sessions, with progress and cancel."""

from __future__ import annotations

import numpy as np
import orjson
from mcap.reader import make_reader
from mcap.writer import Writer

from streamscope.app import build_window
from streamscope.core.files.recording import RecordingWriter
from streamscope.core.store.store import Store


def _window(qtbot, store=None):
    window = build_window(store or Store())
    qtbot.addWidget(window)
    window.show()
    return window


def test_file_open_takes_an_mcap_file_in_the_background(qtbot, tmp_path):
    path = tmp_path / "robot.mcap"
    with open(path, "wb") as f:
        w = Writer(f)
        w.start()
        ch = w.register_channel("/imu", "json", w.register_schema("Imu", "jsonschema", b"{}"))
        for k in range(500):
            w.add_message(ch, 10**18 + k * 10**7, orjson.dumps({"ax": k * 0.5}), 0)
        pb = w.register_channel("/cam", "protobuf", w.register_schema("C", "protobuf", b"x"))
        w.add_message(pb, 10**18, b"\x08\x01", 0)
        w.finish()
    window = _window(qtbot)
    files = window.file_actions
    menu = [a.text() for a in window.file_menu.actions()]
    assert "Export recording as &MCAP…" in menu and "Export sessions as MC&AP…" in menu
    task = files.open_recording(path)  # what File ▸ Open and --open call
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    group = window.browser.tree.topLevelItem(0)  # the recording's own group
    assert group.text(0) == "Recording: robot.mcap"
    session = group.child(0)
    assert session.child(0).text(0) == "/imu/ax" and session.child(0).text(1) == "500"
    assert "/cam: not decoded: protobuf (1 messages)" in files.last_notice
    stream = window.store.find("/imu/ax")
    assert stream.ring.t[:3].tolist() == [0.0, 0.01, 0.02] and stream.ring.v[-1] == 249.5


def test_export_sessions_as_mcap_writes_what_the_store_holds(qtbot, tmp_path):
    store = Store()
    s = store.open_session("Game")
    store.append(s.id, "fps", np.arange(100.0), np.full(100, 60.0))
    window = _window(qtbot, store)
    out = tmp_path / "sessions.mcap"
    task = window.file_actions.mcap_actions.export_sessions(out)
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    assert "Saved sessions.mcap: 100 messages" in window.file_actions.last_notice
    with open(out, "rb") as f:
        msgs = [(ch.topic, m.data) for _, ch, m in make_reader(f).iter_messages()]
    assert msgs[0] == ("/Game/play1", b'{"fps":60.0}') and len(msgs) == 100


def test_a_cancelled_recording_export_leaves_no_file(qtbot, tmp_path):
    src = tmp_path / "big.ssrec"
    source = Store()
    with RecordingWriter(src) as w:
        w.attach(source)
        s = source.open_session("Game")
        for i in range(4):
            source.append(s.id, f"s{i}", np.arange(200_000) * 1e-3, np.zeros(200_000))
    window = _window(qtbot)
    out = tmp_path / "big.mcap"
    task = window.file_actions.mcap_actions.export_recording(src, out)
    task.cancel()  # as the progress dialog's Cancel does
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    assert "cancelled" in window.file_actions.last_notice
    assert not list(tmp_path.glob("*mcap*"))


def test_export_recording_as_csv_takes_an_mcap_file_and_names_what_it_could_not_read(
    qtbot, tmp_path
):
    path = tmp_path / "robot.mcap"
    with open(path, "wb") as f:
        w = Writer(f)
        w.start()
        ch = w.register_channel("/imu", "json", w.register_schema("Imu", "jsonschema", b"{}"))
        for k in range(100):
            w.add_message(ch, 10**18 + k * 10**7, orjson.dumps({"ax": k * 0.25}), 0)
        pb = w.register_channel("/cam", "protobuf", w.register_schema("C", "protobuf", b"x"))
        w.add_message(pb, 10**18, b"\x08\x01", 0)
        w.finish()
    window = _window(qtbot)
    files = window.file_actions
    out = tmp_path / "robot.csv"
    task = files.export_recording(path, out)
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    rows = out.read_text().splitlines()
    assert len(rows) >= 101 and rows[-1].endswith(",24.75")
    assert "/cam: not decoded: protobuf" in files.last_notice
