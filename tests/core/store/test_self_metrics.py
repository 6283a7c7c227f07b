"""The app's own metrics: a StreamScope session that does not count as ingest."""

from __future__ import annotations

import numpy as np

from streamscope.core.store import self_metrics as sm
from streamscope.core.store.store import Store


class Sink:
    internal = False  # like a recording without --record-self

    def __init__(self) -> None:
        self.seen: list[str] = []

    def session_opened(self, session) -> None:
        self.seen.append(session.name)

    def session_ended(self, session) -> None:
        self.seen.append("end")

    def samples_added(self, session, name, t, v) -> None:
        self.seen.append(name)


def test_metrics_are_streams_of_a_streamscope_session_not_ingest() -> None:
    store = Store()
    sink = Sink()
    store.add_sink(sink)
    game = store.open_session("Game")
    metrics = sm.SelfMetrics(store, start=100.0, interval=0.5)
    assert not metrics.due(100.2) and metrics.due(100.5)
    store.append(game.id, "fps", np.arange(1000.0), np.ones(1000))
    metrics.publish(100.5, fps=58.0, frame_ms=4.5)
    assert metrics.ingest_rate == 2000.0  # 1000 samples in 0.5 s
    assert store.total_samples == 1000  # the metrics themselves are not samples in
    metrics.publish(101.0, fps=60.0, frame_ms=5.0)
    assert metrics.ingest_rate == 0.0
    (session,) = [s for s in store.sessions.values() if s.name == sm.SESSION]
    assert session.internal and session.live
    fps = session.streams[sm.FPS]
    assert fps.ring.t.tolist() == [0.5, 1.0] and fps.ring.v.tolist() == [58.0, 60.0]
    assert session.streams[sm.DROPPED].ring.v[-1] == 0.0
    assert sink.seen == ["Game — Play #1", "fps"]  # the recorder never sees the app's session
    assert store.find("fps").session_id == game.id  # no clash with a game's "fps"


def test_a_recording_started_mid_session_leaves_the_app_metrics_out(tmp_path) -> None:
    from streamscope.core.files.recording import Recording, RecordingWriter

    store = Store()
    game = store.open_session("Game")
    store.append(game.id, "fps", np.arange(3.0), np.ones(3))
    metrics = sm.SelfMetrics(store, start=100.0, interval=0.5)
    metrics.publish(100.5, fps=58.0, frame_ms=4.5)  # the StreamScope session exists already
    path = tmp_path / "r.streamscope"
    with RecordingWriter(path) as writer:
        writer.attach(store)  # backfill: what the store holds now
        metrics.publish(101.0, fps=60.0, frame_ms=5.0)
    with Recording(path) as r:
        assert [s.product for s in r.sessions] == ["Game"]
        assert r.stream_names() == ["fps"]


def test_the_app_metrics_are_recorded_when_asked_for(tmp_path) -> None:
    """--record-self: a recording that asked for it holds the StreamScope session, live too."""
    from streamscope.core.files.recording import Recording, RecordingWriter

    store = Store()
    game = store.open_session("Game")
    store.append(game.id, "fps", np.arange(3.0), np.ones(3))
    metrics = sm.SelfMetrics(store, start=100.0, interval=0.5)
    metrics.publish(100.5, fps=58.0, frame_ms=4.5)
    path = tmp_path / "r.streamscope"
    with RecordingWriter(path, internal=True) as writer:
        writer.attach(store)
        metrics.publish(101.0, fps=60.0, frame_ms=5.0)
    with Recording(path) as r:
        assert sorted(s.product for s in r.sessions) == ["Game", sm.SESSION]
        (own,) = [s for s in r.sessions if s.product == sm.SESSION]
        fps = next(st for st in own.streams if st.name == sm.FPS)
        assert fps.count == 2  # the backfilled sample and the live one
