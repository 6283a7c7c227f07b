"""MCAP both ways: recordings and live sessions out (read back with mcap's own reader), files
from mcap's writer in (flattened, converted to CSV), truncated and foreign files, cancel."""

from __future__ import annotations

import csv

import numpy as np
import orjson
import pytest
from mcap.reader import make_reader
from mcap.writer import Writer

from streamscope.cli.export import main as export_main
from streamscope.core.files.csvexport import export_recording_csv
from streamscope.core.files.mcap_export import (
    export_recording_mcap,
    export_store_mcap,
    split_topics,
    store_sessions,
)
from streamscope.core.files.mcap_import import McapRecording
from streamscope.core.files.progress import Cancelled
from streamscope.core.files.recording import Recording, RecordingWriter
from streamscope.core.files.sources import open_recording_file
from streamscope.core.store.store import Session, Store

# values whose shortest repr is long, tiny, huge, negative zero: all must come back exactly
AWKWARD = [0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 123456789.12345679, 1e-7]


def _two_session_recording(path):
    """Two play sessions of one product; nested names, a collision (fps and fps/mean_1s), a
    stream at its own rate and a NaN gap."""
    rng = np.random.default_rng(7)
    expected = {}
    with RecordingWriter(path) as w:
        for play, started in ((1, 1_700_000_000.25), (2, 1_700_000_600.5)):
            s = Session(f"s{play}", "Demo Game", play, started=started, origin=0.0)
            w.session_opened(s)
            t = np.arange(200) * 0.01 + play
            streams = {
                "fps": rng.normal(60, 3, 200),
                "fps/mean_1s": rng.normal(60, 1, 200),
                "imu/ax": rng.normal(size=200),
                "imu/gyro/z": np.array((AWKWARD * 30)[:200]),
            }
            streams["fps"][17] = np.nan
            for name, v in streams.items():
                w.samples_added(s, name, t, v)
            w.samples_added(s, "memory_mb", t[::10], rng.normal(400, 5, 20))
            expected[play] = {
                **{n: (t, v) for n, v in streams.items()},
                "memory_mb": (t[::10], None),
            }
    return expected


def _read_mcap(path):
    with open(path, "rb") as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        messages = [(ch, m) for _, ch, m in reader.iter_messages(log_time_order=False)]
        metadata = list(reader.iter_metadata())
    return summary, messages, metadata


def _flatten(obj, prefix=""):
    for k, v in obj.items():
        name = f"{prefix}/{k}" if prefix else k
        if isinstance(v, dict):
            yield from _flatten(v, name)
        else:
            yield name, v


def test_a_recording_exports_to_mcap_that_mcaps_own_reader_reads_exactly(tmp_path):
    src, out = tmp_path / "play.ssrec", tmp_path / "play.mcap"
    expected = _two_session_recording(src)
    with Recording(src) as rec:
        result = export_recording_mcap(rec, out)
        memory = {s.play: rec.read_session(s)["memory_mb"][1] for s in rec.sessions}
    for play in expected:
        expected[play]["memory_mb"] = (expected[play]["memory_mb"][0], memory[play])

    summary, messages, metadata = _read_mcap(out)
    # PlotJuggler refuses a channel without a schema; Foxglove plots json + jsonschema
    assert summary.channels and all(ch.schema_id != 0 for ch in summary.channels.values())
    assert {ch.message_encoding for ch in summary.channels.values()} == {"json"}
    assert {sc.encoding for sc in summary.schemas.values()} == {"jsonschema"}
    for ch in summary.channels.values():
        schema = orjson.loads(summary.schemas[ch.schema_id].data)
        assert schema["type"] == "object" and schema["properties"]
    topics = {ch.topic for ch in summary.channels.values()}
    # the derived stream sits on its own topic, so both flatten to the names they had
    assert topics == {"/Demo_Game/play1", "/Demo_Game/play1/fps",
                      "/Demo_Game/play2", "/Demo_Game/play2/fps"}  # fmt: skip
    assert summary.chunk_indexes and {c.compression for c in summary.chunk_indexes} == {"zstd"}

    got: dict[int, dict[str, list]] = {1: {}, 2: {}}
    for ch, m in messages:
        play = 1 if "/play1" in ch.topic else 2
        base = f"/Demo_Game/play{play}"
        prefix = ch.topic[len(base) + 1 :]
        for name, value in _flatten(orjson.loads(m.data), prefix):
            got[play].setdefault(name, []).append((m.log_time, value))
    starts = {1: 1_700_000_000_250_000_000, 2: 1_700_000_600_500_000_000}
    for play, streams in expected.items():
        assert set(got[play]) == set(streams)
        for name, (t, v) in streams.items():
            rows = sorted(got[play][name])
            assert [lt for lt, _ in rows] == [starts[play] + round(x * 1e9) for x in t]
            values = [np.nan if x is None else x for _, x in rows]
            assert np.array_equal(np.array(values), v, equal_nan=True), name
            assert [np.signbit(x) for x in values] == np.signbit(v).tolist()  # -0.0 too
    # streams sampled together share a message: 200 rows per session, 2 channels each
    assert len(messages) == result.messages == 4 * 200
    assert {m.name for m in metadata} == {"streamscope.session"}
    plays = sorted(m.metadata["play"] for m in metadata)
    assert plays == ["1", "2"] and metadata[0].metadata["product"] == "Demo Game"


def test_streams_at_other_rates_leave_their_key_out_and_nan_is_null(tmp_path):
    store = Store()
    s = store.open_session("Rig")
    store.append(s.id, "a", np.array([0.0, 1.0, 2.0]), np.array([1.0, np.nan, 3.0]))
    store.append(s.id, "b/c", np.array([1.0]), np.array([7.5]))
    out = tmp_path / "live.mcap"
    export_store_mcap(store_sessions(store), out)
    _, messages, _ = _read_mcap(out)
    assert [m.data for _, m in messages] == [b'{"a":1.0}', b'{"a":null,"b":{"c":7.5}}',
                                             b'{"a":3.0}']  # fmt: skip
    assert messages[0][0].topic == "/Rig/play1"


def test_split_topics_puts_each_name_under_its_longest_stream_prefix():
    assert split_topics(["fps", "fps/mean_1s", "fps/mean_1s/x", "imu/ax", "fps2"]) == {
        "": ["fps", "imu/ax", "fps2"],
        "fps": ["fps/mean_1s"],
        "fps/mean_1s": ["fps/mean_1s/x"],
    }


def _json_mcap(path, n=1000, hz=100, start_ns=1_600_000_000_123_000_000, extra=None):
    """An MCAP file from mcap's own writer: one JSON channel, ``n`` messages at ``hz``."""
    values = [(k * 0.37 + 1 / 7, AWKWARD[k % len(AWKWARD)]) for k in range(n)]
    with open(path, "wb") as f:
        w = Writer(f)
        w.start()
        schema = w.register_schema("Pose", "jsonschema", b'{"type":"object"}')
        ch = w.register_channel("/robot/pose", "json", schema)
        for k, (x, y) in enumerate(values):
            t = start_ns + k * (1_000_000_000 // hz)
            msg = {"pos": {"x": x, "y": y}, "ok": k % 2 == 0, "name": "r1"}
            w.add_message(ch, t, orjson.dumps(msg), t)
        if extra:
            extra(w)
        w.finish()
    return values


def test_an_mcap_file_opens_and_converts_to_csv_exactly_at_10_ms(tmp_path):
    src, out = tmp_path / "robot.mcap", tmp_path / "robot.csv"
    values = _json_mcap(src)
    with open_recording_file(src) as rec:
        assert isinstance(rec, McapRecording)
        (session,) = rec.sessions
        assert session.product == "robot" and session.started == 1_600_000_000.123
        assert rec.stream_names() == ["/robot/pose/pos/x", "/robot/pose/pos/y", "/robot/pose/ok"]
        assert any("text fields" in n and "/robot/pose/name" in n for n in rec.notes())
        export_recording_csv(rec, out)
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1000
    times = np.array([float(r["time"]) for r in rows])
    assert times[0] == 0.0 and np.allclose(np.diff(times), 0.01, rtol=0, atol=1e-12)
    assert [float(r["time"]) for r in rows[:4]] == [0.0, 0.01, 0.02, 0.03]
    assert [float(r["/robot/pose/pos/x"]) for r in rows] == [x for x, _ in values]
    assert [float(r["/robot/pose/pos/y"]) for r in rows] == [y for _, y in values]
    assert [float(r["/robot/pose/ok"]) for r in rows[:3]] == [1.0, 0.0, 1.0]


def test_a_truncated_file_opens_up_to_the_cut_with_a_warning(tmp_path):
    src = tmp_path / "long.mcap"
    with open(src, "wb") as f:  # small chunks, so the cut leaves whole chunks before it
        w = Writer(f, chunk_size=4096)
        w.start()
        ch = w.register_channel("/m", "json", w.register_schema("M", "jsonschema", b"{}"))
        for k in range(5000):
            w.add_message(ch, k * 1_000_000, b'{"v":%d}' % k, k * 1_000_000)
        w.finish()
    data = src.read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with open(cut, "rb") as f, pytest.raises(Exception):  # noqa: B017 - mcap's indexed reader
        list(make_reader(f).iter_messages())
    rec = McapRecording(cut)
    ((_session, streams),) = rec.read_all()
    _t, v = streams["/m/v"]
    assert 1000 < len(v) < 5000
    assert v.tolist() == list(range(len(v)))  # every intact message, in order
    (warning,) = [n for n in rec.notes() if "cut short" in n]
    assert f"read {len(v):,} messages" in warning and "cut.mcap" in warning


def test_a_protobuf_channel_is_listed_as_not_decoded(tmp_path):
    def protobuf(w):
        sid = w.register_schema("foxglove.Log", "protobuf", b"\x0a\x03abc")
        ch = w.register_channel("/camera/info", "protobuf", sid)
        for k in range(3):
            w.add_message(ch, 1_600_000_000_000_000_000 + k, b"\x08\x01", 0)

    src = tmp_path / "mixed.mcap"
    _json_mcap(src, n=10, extra=protobuf)
    rec = McapRecording(src)
    ((_, streams),) = rec.read_all()
    assert "/robot/pose/pos/x" in streams and len(streams["/robot/pose/pos/x"][0]) == 10
    assert rec.undecoded == ["/camera/info: not decoded: protobuf (3 messages)"]
    assert not any("cut short" in n for n in rec.notes())


def test_a_cancelled_export_leaves_no_file_and_keeps_an_older_one(tmp_path):
    src = tmp_path / "play.ssrec"
    _two_session_recording(src)
    out = tmp_path / "play.mcap"
    calls = []

    def cancel_midway(done, total):
        calls.append(done)
        if done > total // 2:
            raise Cancelled()

    with Recording(src) as rec, pytest.raises(Cancelled):
        export_recording_mcap(rec, out, cancel_midway)
    assert len(calls) > 2 and not list(tmp_path.glob("*mcap*"))  # nor a .partial
    out.write_bytes(b"an older export")
    with Recording(src) as rec, pytest.raises(Cancelled):
        export_recording_mcap(rec, out, cancel_midway)
    assert out.read_bytes() == b"an older export" and list(tmp_path.glob("*mcap*")) == [out]


def test_round_trip_through_mcap_keeps_names_and_values(tmp_path):
    src, out = tmp_path / "play.ssrec", tmp_path / "play.mcap"
    expected = _two_session_recording(src)
    with Recording(src) as rec:
        export_recording_mcap(rec, out, streams=["fps", "fps/mean_1s", "imu/gyro/z"])
    ((session, streams),) = McapRecording(out).read_all()
    assert session.product == "play" and len(streams) == 6
    for play in (1, 2):
        for name in ("fps", "fps/mean_1s", "imu/gyro/z"):
            _t, v = streams[f"/Demo_Game/play{play}/{name}"]
            assert np.array_equal(v, expected[play][name][1], equal_nan=True)


def test_cli_exports_a_recording_to_mcap_and_lists_and_converts_an_mcap(tmp_path, capsys):
    src, out, csv_out = tmp_path / "play.ssrec", tmp_path / "play.mcap", tmp_path / "back.csv"
    _two_session_recording(src)
    assert export_main([str(src), "--mcap", str(out), "--streams", "fps,imu/ax"]) == 0
    assert "wrote" in capsys.readouterr().out and out.is_file()
    assert export_main([str(out)]) == 0
    listing = capsys.readouterr().out
    assert "/Demo_Game/play2/imu/ax: 200" in listing and "mean_1s" not in listing
    assert export_main([str(out), "--csv", str(csv_out)]) == 0
    header = csv_out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("session,time,/Demo_Game/play1/fps,")
    assert export_main([str(out), "--mcap", str(tmp_path / "x.mcap")]) == 2
