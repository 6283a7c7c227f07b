"""Qt-free hardening pieces: growable rings, per-sample time sanity, the memory budget."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.series.ringbuffer import MIN_ALLOC, RingBuffer
from streamscope.core.store.budget import trim_counts
from streamscope.core.store.store import Store, StoreSettings
from streamscope.core.store.timecheck import TimeRules, check_times
from support.data import arr

# ---------------------------------------------------------------- ring buffer


def test_ring_grows_with_data_and_keeps_order_and_counts():
    rb = RingBuffer(100_000)
    assert rb.allocated == MIN_ALLOC  # nothing reserved up front
    sent = 0
    rng = np.random.default_rng(5)
    while sent < 300_000:
        n = int(rng.integers(1, 5000))
        t = np.arange(sent, sent + n, dtype=float)
        dropped = rb.append(t, t * 2)
        sent += n
        kept = min(sent, 100_000)
        assert len(rb) == kept and rb.t[-1] == sent - 1 and rb.t[0] == sent - kept
        assert np.array_equal(rb.v, rb.t * 2)
        assert rb.dropped == sent - kept and dropped >= 0
    assert rb.allocated <= 100_000 + 25_000


def test_append_reports_every_drop_it_causes():
    rb = RingBuffer(5000)
    total = 0
    for i in range(100):
        total += rb.append(np.arange(i * 700, (i + 1) * 700, dtype=float), np.zeros(700))
    assert total == rb.dropped == 70_000 - 5000


def test_drop_oldest_trims_counts_and_gives_memory_back():
    rb = RingBuffer(1_000_000)
    rb.append(np.arange(200_000.0), np.arange(200_000.0))
    big = rb.allocated
    assert rb.drop_oldest(190_000) == 190_000
    assert len(rb) == 10_000 and rb.t[0] == 190_000 and rb.first_index == 190_000
    assert rb.dropped == 190_000 and rb.allocated < big // 4
    rb.append(arr(200_000), arr(1))  # still appends in order after shrinking
    assert rb.t[-1] == 200_000 and len(rb) == 10_001
    assert rb.drop_oldest(10**9) == 10_001 and len(rb) == 0


# ---------------------------------------------------------------- timestamps


RULES = TimeRules(max_time_jump=1000.0, max_timestamp=1e11)


def test_plain_times_take_the_fast_path():
    ok, errors = check_times("a", arr(1, 2, 3), 0.5, RULES)
    assert ok is None and errors == []


def test_far_future_sample_is_rejected_and_neighbours_kept():
    t = arr(10, 11, 5e6, 12, 13)
    ok, errors = check_times("a", t, 9.0, RULES)
    assert ok.tolist() == [True, True, False, True, True]
    assert len(errors) == 1 and "ahead of the stream's time" in errors[0]


def test_chained_jumps_are_judged_against_accepted_samples():
    # 2000 and 2500 are each within 1000 of the previous *raw* sample but not of 10.
    t = arr(10, 1500, 2000, 2500, 11)
    ok, _ = check_times("a", t, None, RULES)
    assert ok.tolist() == [True, False, False, False, True]


def test_many_chained_jumps_fall_back_to_the_sequential_rule():
    t = np.concatenate(([0.0], 1500.0 * np.arange(1, 40), [1.0]))
    ok, _ = check_times("a", t, None, RULES)
    assert ok.tolist() == [True] + [False] * 39 + [True]


def test_negative_times_in_an_epoch_stream_are_rejected():
    epoch = 1.7e9
    ok, errors = check_times("a", arr(epoch + 1, -5, epoch + 2), epoch, RULES)
    assert ok.tolist() == [True, False, True] and "epoch" in errors[0]
    ok, _ = check_times("rel", arr(-1, 0, 1), None, RULES)  # relative time may start < 0
    assert ok is None


def test_absurd_magnitudes_get_a_hint_about_units():
    ok, errors = check_times("a", arr(1.7e12, 5), None, RULES)
    assert ok.tolist() == [False, True] and "milliseconds" in errors[0]


def test_store_keeps_valid_samples_around_wild_timestamps():
    store = Store(StoreSettings(max_time_jump=100.0))
    s = store.open_session("G")
    sid, errors = store.append(s.id, "fps", arr(1, 2, 1e9, 3, 4), arr(1, 2, 9, 3, 4))
    assert sid == s.id and len(store.sessions) == 1  # no spurious new run
    assert store.find("fps").ring.t.tolist() == [1, 2, 3, 4] and len(errors) == 1
    _, errors = store.append(s.id, "fps", arr(5e20), arr(1))
    assert "beyond" in errors[0] and len(store.find("fps")) == 4


# ---------------------------------------------------------------- memory budget


def test_trim_counts_drops_the_oldest_by_arrival_age():
    live = np.arange(0, 100.0)  # 100 samples, 1 s apart, just received
    stale = np.arange(0, 100.0)  # same clock, but it stopped 1000 s ago
    drop = trim_counts([live, stale], [0.0, 1000.0], keep=80)
    assert drop.tolist()[1] == 100  # the stale stream goes first, entirely
    assert 70 <= 100 - drop[0] <= 80  # then the live stream's oldest
    drop = trim_counts([live, stale], [0.0, 1000.0], keep=150)
    assert drop[0] == 0 and 40 <= 100 - drop[1] <= 50  # stale keeps only its newest


def test_trim_counts_keeps_a_common_age_across_live_streams():
    fast = np.arange(0, 100, 0.01)  # 10,000 samples over 100 s
    slow = np.arange(0, 100, 1.0)  # 100 samples over the same 100 s
    drop = trim_counts([fast, slow], [0.0, 0.0], keep=5050)
    kept_fast, kept_slow = 10_000 - drop[0], 100 - drop[1]
    assert kept_fast + kept_slow <= 5050
    # both keep about the newest 50 s: the slow stream is not starved by the fast one
    assert 40 <= kept_slow <= 60 and 4000 <= kept_fast <= 6000


def test_store_budget_holds_counts_and_forgets_empty_ended_sessions():
    store = Store(StoreSettings(max_total_samples=10_000))
    old = store.open_session("Old")
    store.append(old.id, "x", np.arange(6000.0), np.zeros(6000))
    store.end_session(old.id)
    old.streams["x"].updated -= 86_400  # it ended a day ago (y spans 20,000 s)
    new = store.open_session("New")
    for k in range(20):
        t = np.arange(k * 1000, (k + 1) * 1000, dtype=float)
        store.append(new.id, "y", t, t)
        assert store.stored_samples <= 10_000
        assert store.stored_samples == sum(
            len(st) for s in store.sessions.values() for st in s.streams.values()
        )
    assert old.id not in store.sessions  # its data was the oldest: gone first
    y = store.find("y").ring
    assert y.t[-1] == 19_999 and np.array_equal(y.v, y.t)  # newest kept, in order
    assert store.budget_dropped == 26_000 - store.stored_samples
    assert store.total_dropped >= store.budget_dropped


@pytest.mark.parametrize("streams", [1, 7, 50])
def test_store_budget_is_a_hard_ceiling_for_any_stream_count(streams):
    store = Store(StoreSettings(max_total_samples=20_000))
    s = store.open_session("G")
    for k in range(45):
        for i in range(streams):
            t = np.arange(k * 500, (k + 1) * 500, dtype=float)
            store.append(s.id, f"s{i}", t, t)
            assert store.stored_samples <= 20_000
    assert store.budget_dropped > 0
    newest = [st.ring.last_t for st in store.sessions[s.id].streams.values()]
    assert newest == [22_499.0] * streams


def test_memory_held_levels_off_once_the_budget_is_full():
    """What the arrays hold (what RSS follows) stays near the budget, not near the capacity,
    and stops changing once the budget is full (the soak command shows the same in RSS)."""
    store = Store(StoreSettings(max_total_samples=200_000))
    s = store.open_session("G")
    held = []
    for k in range(400):  # 8 streams at 1 kHz for 320 s: 2.56M samples in all
        t = k * 0.8 + np.arange(800) * 1e-3
        for i in range(8):
            store.append(s.id, f"s{i}", t, t)
        held.append(sum(st.ring.allocated for st in store.sessions[s.id].streams.values()))
    assert store.budget_dropped > 2_000_000
    assert max(held) <= 2 * 200_000  # 16 bytes each: at most twice the budget's memory
    assert len(set(held[200:])) == 1  # no growth, no churn in the second half
