"""Live sessions are never evicted or renamed; new sessions and streams are refused instead,
ended ones make room (announced); clocks that change unit or lie about the year get errors."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.store.admission import CreationRate
from streamscope.core.store.store import Store, StoreError, StoreSettings
from streamscope.core.store.timecheck import TimeRules, check_times
from support.data import arr

YEAR_3000 = 32_503_680_000.0  # 3000-01-01 as epoch seconds


def producers(store: Store, n: int, wave: int, first: int = 0) -> tuple[int, int]:
    """``n`` short-lived producers (numbered from ``first``), ``wave`` connected at a time, each
    on its own connection with its own hello and a few samples; returns (served, refused)."""
    served = refused = 0
    for start in range(first, first + n, wave):
        live = []
        for i in range(start, min(first + n, start + wave)):
            try:
                s = store.open_session(f"P{i}", f"p{i}", peer=f"10.0.0.{i % 250}:{20_000 + i}")
            except StoreError as e:
                assert "max_sessions" in str(e)
                refused += 1
                continue
            store.append(s.id, "x", arr(0, 0.5, 1), arr(i, i, i))
            live.append(s.id)
            assert len(store.sessions) <= store.settings.max_sessions
        for sid in live:  # the connection drops
            store.end_session(sid, resumable=True)
        served += len(live)
    return served, refused


def test_a_live_session_keeps_its_name_and_every_sample_while_5000_producers_come_and_go():
    store = Store()
    game = store.open_session("Game", "game-1", peer="127.0.0.1:40000")
    sent = []
    ended_when_evicted = set()
    for k in range(50):  # 50 waves of 100 producers, 10 game samples per wave: 500 in all
        served, refused = producers(store, 100, wave=100, first=k * 100)
        assert served + refused == 100 and refused >= 100 - store.settings.max_sessions
        for j in range(10):
            t = k * 10 + j * 1.0 / 60
            sid, errors = store.append(game.id, "fps", arr(t), arr(60.0 + j))
            assert sid == game.id and errors == []
            sent.append(t)
        ended_when_evicted |= {e.session_id for e in store.evictions}
    assert store.sessions.get("game-1") is game and game.live
    assert game.name == "Game — Play #1"
    assert store.find("fps", game.id).ring.t.tolist() == sent  # all 500, in order
    assert "game-1" not in ended_when_evicted and store.evicted > 2_000


def test_200_producers_with_their_own_hello_beside_a_game_take_none_of_its_samples():
    store = Store()
    game = store.open_session("Game", "game-1", peer="127.0.0.1:40000")
    for k in range(500):
        if k % 100 == 0:
            producers(store, 200, wave=200, first=k * 2)  # 200 at once: over max_sessions
        assert store.append(game.id, "hp", arr(k * 0.1), arr(k))[0] == game.id
    assert store.find("hp", game.id).ring.v.tolist() == list(range(500))
    assert [s.name for s in store.sessions.values() if s.product.startswith("127.")] == []


def test_a_new_session_is_refused_naming_the_limit_when_all_are_live():
    store = Store(StoreSettings(max_sessions=3))
    ids = [store.open_session("G", peer=f"h:{i}").id for i in range(3)]
    with pytest.raises(StoreError, match=r"all 3 sessions are live \(limit 3, max_sessions\)"):
        store.open_session("Late", peer="h:9")
    with pytest.raises(StoreError, match="max_sessions"):  # samples without hello too
        store.open_session("h:9", peer="h:9", play=False)
    assert list(store.sessions) == ids and store.evictions == type(store.evictions)()
    assert store.refused == {"max_sessions": 2}
    assert store._plays == {"G": 3}  # a refused hello takes no Play number


def test_eviction_is_for_ended_sessions_only_oldest_first_and_announced():
    store = Store(StoreSettings(max_sessions=3))
    a, b, c = (store.open_session(n) for n in "ABC")
    store.append(b.id, "x", arr(1, 2, 3), arr(1, 2, 3))
    store.end_session(c.id)
    store.end_session(b.id)  # b ended last but started first: it is the older one
    store.open_session("D")
    assert b.id not in store.sessions and c.id in store.sessions and a.id in store.sessions
    assert store.evicted == 1 and len(store.evictions) == 1
    notice = store.evictions[-1]
    assert (notice.session_id, notice.samples) == (b.id, 3)
    assert notice.text() == (
        "Removed ended session 'B — Play #1' (3 samples): the 3-session limit (max_sessions)"
    )
    store.open_session("E")  # c is the only ended one left
    assert [e.session_id for e in store.evictions] == [b.id, c.id]
    with pytest.raises(StoreError):  # a, D and E are live: nothing more is evicted
        store.open_session("F")
    assert store.evicted == 2 and all(s.live for s in store.sessions.values())


def test_global_stream_cap_evicts_ended_sessions_then_refuses_naming_the_limit():
    store = Store(StoreSettings(max_streams=5))
    old = store.open_session("Old")
    for i in range(3):
        store.append(old.id, f"o{i}", arr(1), arr(1))
    store.end_session(old.id)
    live = store.open_session("Live")
    for i in range(5):  # the fourth stream needs room: the ended session goes, announced
        store.append(live.id, f"s{i}", arr(1), arr(1))
    assert old.id not in store.sessions and store.stream_count == 5
    assert "max_streams" in store.evictions[-1].reason
    other = store.open_session("Other")
    with pytest.raises(StoreError, match=r"limit 5 over all sessions, max_streams"):
        store.append(other.id, "new", arr(1), arr(1))
    assert store.stream_count == 5 and live.id in store.sessions
    assert store.refused == {"max_streams": 1}


def test_loading_a_recording_never_evicts_a_live_session():
    store = Store(StoreSettings(max_sessions=2))
    a = store.open_session("A")
    store.open_session("B")
    data = {"x": (arr(1, 2), arr(1, 2))}
    with pytest.raises(StoreError, match="max_sessions"):
        store.load_session("Rec", data, source="f.db", started=0, ended=1, origin=0)
    store.end_session(a.id)
    rec = store.load_session("Rec", data, source="f.db", started=0, ended=1, origin=0)
    assert rec.id in store.sessions and a.id not in store.sessions


# ---------------------------------------------------------------- creation rate


def test_one_connection_saying_hello_too_fast_is_refused_others_are_not():
    store = Store(StoreSettings(new_sessions_burst=5, new_sessions_per_s=0.5))
    for _ in range(5):
        store.open_session("G", peer="h:1")
    with pytest.raises(StoreError, match=r"too fast .*limit 5 at once, then one every 2 s"):
        store.open_session("G", peer="h:1")
    store.open_session("G", peer="h:2")  # another connection has its own budget
    store.open_session("G")  # no connection (a tool, a test): no limit


def test_clock_resets_beyond_the_rate_are_errors_and_the_run_goes_on():
    store = Store(StoreSettings(new_sessions_burst=3, new_sessions_per_s=0.001))
    sid = store.open_session("G", "g", peer="h:1").id  # the hello took one of the three
    runs = {sid}
    errors: list[str] = []
    for k in range(10):  # the clock resets ten times
        sid, e = store.append(sid, "t", arr(5, 6, 7), arr(k, k, k))
        runs.add(sid)
        errors += e
    assert len(runs) == 3  # two new runs were allowed
    assert len(errors) == 7 and "went back 2.0 s (a clock reset), 3 samples rejected" in errors[0]
    assert "too fast" in errors[0] and store.sessions[sid].live


def test_creation_rate_refills_and_forgets_idle_connections():
    rate = CreationRate(burst=2, per_s=1.0)
    assert [rate.allow("a", 0.0) for _ in range(3)] == [True, True, False]
    assert rate.allow("a", 1.0) and not rate.allow("a", 1.0)
    for i in range(2000):  # many one-off connections: the table stays small
        rate.allow(f"p{i}", 100.0 + i * 10)
    assert len(rate._buckets) <= 1025
    assert CreationRate(burst=0, per_s=0).allow("x", 0.0)  # 0 disables it


# ---------------------------------------------------------------- clocks


def alternating_units(n: int, t0: float = 0.0) -> np.ndarray:
    """A 60/s clock sent alternately in seconds and in milliseconds."""
    t = t0 + np.arange(n) / 60.0
    return np.where(np.arange(n) % 2 == 1, t * 1000.0, t)


@pytest.mark.parametrize("t0", [0.0, 5.0])
@pytest.mark.parametrize("batch", [1, 30])
def test_time_unit_changing_mid_stream_is_an_error_not_hundreds_of_runs(t0, batch):
    store = Store()
    sid = store.open_session("G", "g").id
    t = alternating_units(600, t0)  # 10 s of it
    errors = []
    for i in range(0, len(t), batch):
        sid, e = store.append(sid, "fps", t[i : i + batch], np.ones(len(t[i : i + batch])))
        errors += e
    assert len(store.sessions) <= 2  # at most one run before the pattern is clear
    assert store.evicted == 0
    unit_errors = [e for e in errors if "the time unit keeps changing" in e]
    assert unit_errors and unit_errors[0].startswith("'fps': ")
    kept = sum(len(st) for s in store.sessions.values() for st in s.streams.values())
    assert kept >= 290  # the unit the stream settled in is kept


def test_a_clock_reset_to_near_zero_is_a_new_run_not_a_unit_error():
    store = Store()
    s = store.open_session("G", "g")
    sid, errors = store.append(s.id, "t", arr(49.0, 50.04), arr(1, 2))
    sid, errors = store.append(sid, "t", arr(0.04), arr(3))  # 50.04 / 0.04 is ~1251
    assert errors == [] and sid != s.id and store.sessions[sid].streams["t"].ring.t[0] == 0.04


def test_a_step_up_by_1000_alone_is_no_error():
    ok, errors = check_times("a", arr(1.0, 1016.7, 1017.0), 0.5, TimeRules())
    assert (ok is None or ok.all()) and errors == []


def test_a_first_sample_in_the_year_3000_is_an_error_not_a_split():
    store = Store()
    s = store.open_session("G")
    now = 1.76e9
    t = arr(YEAR_3000, now, now + 1)
    sid, errors = store.append(s.id, "x", t, arr(1, 2, 3))
    assert sid == s.id and len(store.sessions) == 1
    assert len(errors) == 1 and "'x': 1 sample rejected" in errors[0]
    assert "year 3000" in errors[0] and "7 days after now" in errors[0]
    assert store.find("x").ring.t.tolist() == [now, now + 1]
    assert s.origin == now  # the axis starts at the real first sample
    _, errors = store.append(s.id, "y", arr(YEAR_3000), arr(1))  # alone, in its own message
    assert "year 3000" in errors[0] and "y" not in s.streams


def test_times_just_ahead_of_the_wall_clock_are_kept():
    ok, errors = check_times("a", arr(2e9 + 3600), None, TimeRules(), now=2e9)
    assert ok is None and errors == []
    ok, errors = check_times("a", arr(2e9 + 8 * 86400), None, TimeRules(), now=2e9)
    assert ok is not None and not ok.any() and "year 2033" in errors[0]
