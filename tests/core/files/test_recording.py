"""Recordings: what the store saw is what the file gives back, bit for bit."""

from __future__ import annotations

import sqlite3
import threading
import time

import numpy as np
import pytest

from streamscope.core.files import recording as rec
from streamscope.core.files.progress import Cancelled
from streamscope.core.files.recording import (
    Recording,
    RecordingError,
    RecordingWriter,
    add_to_store,
)
from streamscope.core.store.store import Store, StoreSettings
from support.data import same
from support.paths import assert_imports_without_qt


def stored(store: Store) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    return {
        (s.name, name): (st.ring.t.copy(), st.ring.v.copy())
        for s in store.sessions.values()
        for name, st in s.streams.items()
    }


def read_back(path) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    with Recording(path) as r:
        return {(s.name, st.name): r.read(st) for s in r.sessions for st in s.streams}


def wait_until(condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``condition`` (set by the writer thread) until it holds, or fail after timeout."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        tick.wait(0.005)


def feed(store: Store, rng: np.random.Generator) -> None:
    """Mixed traffic: batches of all sizes, gaps, repeated times, epoch times, a clock reset."""
    a = store.open_session("Game", "a", client="unity")
    t = 0.0
    for i in range(300):
        n = int(rng.integers(1, 3000))
        ts = t + np.cumsum(rng.uniform(0, 1e-3, n))  # includes repeated times (step 0)
        ts[rng.random(n) < 0.01] = ts[0]
        ts = np.maximum.accumulate(ts)
        vs = rng.normal(size=n)
        vs[rng.random(n) < 0.02] = np.nan
        vs[::97] = -0.0
        store.append(a.id, f"s{i % 5}", ts, vs)
        t = ts[-1]
    store.append(a.id, "big", np.arange(200_000) / 1e4, np.sin(np.arange(200_000.0)))
    epoch = store.open_session("Sim", play=False)
    store.append(epoch.id, "x", 1.7e9 + np.arange(10) * 0.1, np.arange(10.0))
    sid, _ = store.append(a.id, "s0", np.array([0.0, 0.5]), np.array([1.0, 2.0]))  # reset
    assert sid != a.id
    store.end_session(epoch.id)


def test_recording_then_reopening_gives_identical_samples(tmp_path):
    store = Store()
    path = tmp_path / "r.ssrec"
    with RecordingWriter(path) as writer:
        writer.attach(store)
        feed(store, np.random.default_rng(3))
    expected = stored(store)
    got = read_back(path)
    assert got.keys() == expected.keys()
    for key, (t, v) in expected.items():
        assert same(got[key][0], t) and same(got[key][1], v), key
    with Recording(path) as r:
        names = [s.name for s in r.sessions]
        assert names == ["Game — Play #1", "Sim", "Game — Play #2"]
        game, sim, run2 = r.sessions
        assert game.client == "unity" and game.ended is not None  # ended by the reset
        assert sim.origin == 1.7e9 and game.origin == 0.0
        assert run2.ended is not None  # still live when recording stopped: ended there
        big = next(st for st in game.streams if st.name == "big")
        assert big.count == 200_000 and big.t0 == 0.0 and big.t1 == pytest.approx(19.9999)
        assert r.total_samples == sum(len(t) for t, _ in expected.values())


def test_chunks_are_bounded_and_ordered(tmp_path):
    store = Store(StoreSettings(capacity=500_000))
    path = tmp_path / "r.ssrec"
    with RecordingWriter(path) as writer:
        writer.attach(store)
        s = store.open_session("G")
        store.append(s.id, "a", np.arange(300_000.0), np.arange(300_000.0))
    con = sqlite3.connect(path)
    rows = con.execute("SELECT seq, n, t0, t1 FROM chunks ORDER BY seq").fetchall()
    con.close()
    assert max(n for _, n, _, _ in rows) <= rec.MAX_CHUNK
    assert sum(n for _, n, _, _ in rows) == 300_000
    assert [r[0] for r in rows] == list(range(len(rows)))
    assert all(rows[i][3] < rows[i + 1][2] for i in range(len(rows) - 1))


def test_switching_recording_on_keeps_what_is_stored_already(tmp_path):
    store = Store()
    s = store.open_session("G")
    store.append(s.id, "fps", np.arange(5.0), np.arange(5.0))
    path = tmp_path / "r.ssrec"
    with RecordingWriter(path) as writer:
        writer.attach(store)
        store.append(s.id, "fps", np.arange(5.0, 8.0), np.arange(5.0, 8.0))
    ((t, v),) = read_back(path).values()
    assert t.tolist() == list(range(8)) and v.tolist() == list(range(8))


def test_the_file_is_readable_while_it_is_written(tmp_path):
    store = Store()
    path = tmp_path / "r.ssrec"
    writer = RecordingWriter(path, flush_interval=0.01)
    writer.attach(store)
    try:
        s = store.open_session("G")
        store.append(s.id, "a", np.arange(100.0), np.ones(100))
        wait_until(lambda: writer.samples_written == 100, what="the first commit")
        with Recording(path) as r:
            assert r.total_samples == 100
    finally:
        writer.close()


def test_opened_recordings_load_into_a_store_and_are_not_recorded_again(tmp_path):
    src = Store()
    path = tmp_path / "r.ssrec"
    with RecordingWriter(path) as writer:
        writer.attach(src)
        feed(src, np.random.default_rng(4))
    expected = stored(src)

    store = Store(StoreSettings(capacity=1000))  # smaller than the recording's streams
    live = store.open_session("Live")
    store.append(live.id, "fps", np.array([1.0]), np.array([60.0]))
    second = tmp_path / "second.ssrec"
    with RecordingWriter(second) as writer, Recording(path) as r:
        writer.attach(store)
        added, problems = add_to_store(store, path, r.read_all())
        store.append(live.id, "fps", np.array([2.0]), np.array([61.0]))
    assert problems == []
    assert [s.name for s in added] == [
        f"{n} (r)" for n in ("Game — Play #1", "Sim", "Game — Play #2")
    ]
    assert all(not s.live and s.source == str(path) for s in added)
    for s, original in zip(added, ["Game — Play #1", "Sim", "Game — Play #2"], strict=True):
        for name, st in s.streams.items():
            t, v = expected[(original, name)]
            assert same(st.ring.t, t) and same(st.ring.v, v)  # nothing dropped to capacity
    assert store.total_samples == 2  # loading is not "samples in"
    assert list(read_back(second)) == [("Live — Play #1", "fps")]  # loaded ones stayed out


def test_appending_to_an_existing_recording(tmp_path):
    path = tmp_path / "r.ssrec"
    for product in ("First", "Second"):
        store = Store()
        with RecordingWriter(path) as writer:
            writer.attach(store)
            s = store.open_session(product)
            store.append(s.id, "a", np.arange(3.0), np.arange(3.0))
    assert sorted(read_back(path)) == [("First — Play #1", "a"), ("Second — Play #1", "a")]


def test_progress_is_reported_and_cancel_stops_reading(tmp_path):
    store = Store(StoreSettings(capacity=400_000))
    path = tmp_path / "r.ssrec"
    with RecordingWriter(path) as writer:
        writer.attach(store)
        s = store.open_session("G")
        store.append(s.id, "a", np.arange(300_000.0), np.zeros(300_000))
    seen = []
    with Recording(path) as r:
        r.read_all(lambda done, total: seen.append((done, total)))
        assert seen[-1] == (300_000, 300_000) and len(seen) > 3

        def cancel_halfway(done, total):
            if done > total / 2:
                raise Cancelled()

        with pytest.raises(Cancelled):
            r.read_all(cancel_halfway)


def test_bad_files_are_refused_clearly(tmp_path):
    with pytest.raises(RecordingError, match="no such file"):
        Recording(tmp_path / "missing.ssrec")
    junk = tmp_path / "junk.ssrec"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(RecordingError, match="not a StreamScope recording"):
        Recording(junk)
    with pytest.raises(RecordingError, match="cannot record"):
        RecordingWriter(junk)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.close()
    with pytest.raises(RecordingError, match="not a StreamScope recording"):
        Recording(other)
    newer = tmp_path / "newer.ssrec"
    RecordingWriter(newer).close()
    con = sqlite3.connect(newer)
    with con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    con.close()
    with pytest.raises(RecordingError, match="newer StreamScope"):
        Recording(newer)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RecordingError, match="cannot record"):
        RecordingWriter(blocker / "sub" / "r.ssrec")  # its folder cannot exist


def test_a_write_failure_is_reported_not_raised_into_ingest(tmp_path, monkeypatch):
    def broken(self, ops):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(rec._ChunkWriter, "write", broken)
    store = Store()
    writer = RecordingWriter(tmp_path / "r.ssrec", flush_interval=0.01)
    writer.attach(store)
    s = store.open_session("G")
    try:
        store.append(s.id, "a", np.arange(3.0), np.arange(3.0))
        wait_until(lambda: not writer.running, what="the writer to stop on the error")
        assert writer.error and "disk I/O error" in writer.error
        store.append(s.id, "a", np.arange(3.0, 6.0), np.arange(3.0))  # ingest goes on
        assert len(store.find("a")) == 6
    finally:
        writer.close()


def test_recording_csv_and_layout_modules_stay_free_of_qt():
    assert_imports_without_qt(
        "streamscope.core.files.recording",
        "streamscope.core.files.recording_scan",
        "streamscope.core.files.csvexport",
        "streamscope.core.files.layout",
        "streamscope.core.files.layout_check",
        "streamscope.core.files.userdirs",
        "streamscope.cli.export",
    )
