import numpy as np
import pytest

from streamscope.core.store.store import Store, StoreError, StoreSettings
from support.data import arr


def test_play_sessions_are_numbered_per_product():
    store = Store()
    a = store.open_session("MyGame", "id-a")
    b = store.open_session("MyGame", "id-b")
    other = store.open_session("Other")
    peer = store.open_session("127.0.0.1:5000", play=False)
    assert (a.name, b.name, other.name) == (
        "MyGame — Play #1",
        "MyGame — Play #2",
        "Other — Play #1",
    )
    assert peer.name == "127.0.0.1:5000"


def test_reused_session_id_gets_a_fresh_session():
    store = Store()
    a = store.open_session("G", "same")
    b = store.open_session("G", "same")
    assert a.id != b.id and len(store.sessions) == 2


def test_lost_connection_resumes_with_the_same_id_but_a_bye_does_not():
    store = Store()
    a = store.open_session("G", "same")
    store.append(a.id, "fps", arr(1, 2), arr(60, 61))
    store.end_session(a.id, resumable=True)  # the connection dropped
    again = store.open_session("G", "same", client="unity")
    assert again is a and a.live and a.name == "G — Play #1" and a.client == "unity"
    store.append(a.id, "fps", arr(3), arr(62))
    assert a.streams["fps"].ring.t.tolist() == [1, 2, 3]
    store.end_session(a.id)  # on purpose (bye): the same id now starts a new play
    fresh = store.open_session("G", "same")
    assert fresh is not a and fresh.name == "G — Play #2"
    store.end_session(fresh.id, resumable=True)
    other = store.open_session("Other", fresh.id)  # another product never takes it over
    assert other is not fresh and not fresh.live


def test_append_and_find_newest():
    store = Store()
    s1 = store.open_session("G")
    store.append(s1.id, "fps", arr(1, 2), arr(60, 61))
    s2 = store.open_session("G")
    assert store.find("fps").session_id == s1.id  # s2 has no fps yet
    store.append(s2.id, "fps", arr(0.5), arr(30))
    assert store.find("fps").session_id == s2.id
    assert store.find("fps", s1.id).ring.v.tolist() == [60, 61]
    assert store.previous(store.find("fps")).session_id == s1.id
    assert store.stream_names() == ["fps"]
    assert store.total_samples == 3


def test_clock_jumping_back_starts_a_new_run():
    store = Store()
    s = store.open_session("G", "x")
    sid, errors = store.append(s.id, "fps", arr(10, 11, 12, 0.0, 0.1), arr(1, 2, 3, 4, 5))
    assert errors == []
    assert sid != s.id
    assert store.sessions[s.id].streams["fps"].ring.t.tolist() == [10, 11, 12]
    assert not store.sessions[s.id].live
    new = store.sessions[sid]
    assert new.streams["fps"].ring.t.tolist() == [0.0, 0.1]
    assert new.name == "G — Play #2"


def test_small_step_back_rejects_only_those_samples():
    store = Store()
    s = store.open_session("G")
    sid, errors = store.append(s.id, "a", arr(1, 2, 1.5, 3), arr(1, 2, 9, 3))
    assert sid == s.id and errors == ["'a' went back 0.5 s (from t=2.0 to t=1.5)"]
    assert store.find("a").ring.t.tolist() == [1, 2, 3]
    sid, errors = store.append(s.id, "a", arr(2.9, 4), arr(0, 4))
    assert store.find("a").ring.t.tolist() == [1, 2, 3, 4] and len(errors) == 1


def test_epoch_times_get_an_origin():
    store = Store()
    s = store.open_session("G")
    store.append(s.id, "a", arr(1.7e9, 1.7e9 + 1), arr(1, 2))
    assert s.origin == 1.7e9
    u = store.open_session("U")
    store.append(u.id, "a", arr(3.0), arr(1))
    assert u.origin == 0.0


def test_sessions_are_bounded_oldest_ended_first():
    store = Store(StoreSettings(max_sessions=3))
    ids = [store.open_session("G").id for _ in range(3)]
    store.end_session(ids[1])
    store.open_session("G")
    assert ids[1] not in store.sessions and len(store.sessions) == 3


def test_stream_limit_per_session():
    store = Store(StoreSettings(max_streams_per_session=2))
    s = store.open_session("G")
    store.append(s.id, "a", arr(1), arr(1))
    store.append(s.id, "b", arr(1), arr(1))
    with pytest.raises(StoreError, match="limit"):
        store.append(s.id, "c", arr(1), arr(1))
    assert sorted(s.streams) == ["a", "b"]


def test_structure_version_moves_on_new_streams_only():
    store = Store()
    s = store.open_session("G")
    v0 = store.structure_version
    store.append(s.id, "a", arr(1), arr(1))
    v1 = store.structure_version
    store.append(s.id, "a", arr(2), arr(1))
    assert v1 > v0 and store.structure_version == v1
    assert store.find("a").version == 2


def test_describe():
    store = Store()
    s = store.open_session("G", "sid")
    store.append(s.id, "a", arr(1, 2), arr(1, 2))
    assert store.describe() == [
        {"session": "sid", "session_name": "G — Play #1", "name": "a", "count": 2}
    ]


def test_backfill_keeps_only_newer_samples_and_never_starts_a_run():
    store = Store()
    s = store.open_session("G")
    store.append(s.id, "fps", arr(5, 6), arr(50, 60))
    added = store.backfill(s.id, "fps", arr(1, 2, 6, 8, 7), arr(10, 20, 66, 80, 70))
    assert added == 2
    assert store.find("fps").ring.t.tolist() == [5, 6, 7, 8]
    assert store.find("fps").ring.v.tolist() == [50, 60, 70, 80]
    assert len(store.sessions) == 1


@pytest.mark.parametrize("seed", range(5))
def test_one_sample_at_a_time_stores_what_one_batch_stores(seed):
    """The one-sample fast path (one Unity packet per message) against the array path:
    same runs, same samples kept, same samples refused for going back in time."""
    rng = np.random.default_rng(seed)
    step = rng.choice([0.01, 0.01, 0.01, -0.004, -50.0, 0.0], size=400)  # steps back, resets
    t = 100 + np.cumsum(step)
    v = rng.normal(size=t.size)
    results = []
    for batch in (t.size, 1):
        store = Store()
        sid = store.open_session("G", "x").id
        refused = 0
        for i in range(0, t.size, batch):
            sid, errors = store.append(sid, "s", t[i : i + batch], v[i : i + batch])
            refused += sum(_refused(e) for e in errors)
        runs = [st.streams["s"].ring.t.tolist() for st in store.sessions.values()]
        results.append((runs, refused))
    assert results[0] == results[1]
    assert len(results[0][0]) > 1 and results[0][1] > 0  # both kinds of event happened


def _refused(error: str) -> int:
    """How many samples one back-in-time error rejected (1 unless it says how many)."""
    assert "went back" in error
    return int(error.split("; ")[1].split()[0]) if "; " in error else 1


def test_back_in_time_names_the_stream_and_the_jump():
    store = Store()
    s = store.open_session("G")
    store.append(s.id, "fps", arr(8, 9, 10), arr(1, 2, 3))
    _, errors = store.append(s.id, "fps", arr(9.25), arr(4))  # one sample per message
    assert errors == ["'fps' went back 0.75 s (from t=10.0 to t=9.25)"]
    # in one batch: stepping back 0.5 s at a time stays in the run but loses 2.5 s in all
    _, errors = store.append(s.id, "fps", arr(11, 10.5, 10, 9.5, 12), arr(5, 6, 7, 8, 9))
    assert errors == [
        "'fps' went back 0.5 s (from t=11.0 to t=10.5); 3 samples went back and were rejected"
    ]
    assert store.find("fps").ring.t.tolist() == [8, 9, 10, 11, 12]
