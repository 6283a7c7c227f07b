"""The adaptive policy, frame by frame: modes, the fps ladder, hysteresis, overrides, the cap."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from streamscope.core.adaptive.policy import (
    ChartInput,
    ChartPolicy,
    ChartState,
    Mode,
    Override,
    Plan,
    PolicySettings,
    explain,
    format_count,
    format_duration,
    label,
    ladder,
    should_draw,
    step,
)

BIG = ChartInput(frame_ms=5.0, draw_ms=2.0, sample_rates=(1e6,), points_in_view=10_200_000,
                 window_s=10.0, width_px=1200)  # fmt: skip
SMALL = ChartInput(frame_ms=5.0, draw_ms=2.0, sample_rates=(10.0,), points_in_view=500,
                   window_s=50.0, width_px=1200)  # fmt: skip


def frames(policy: ChartPolicy, inp: ChartInput, frame_ms: list[float]) -> list[Plan]:
    return [policy.step(replace(inp, frame_ms=ms, draw_ms=ms)) for ms in frame_ms]


# ---------------------------------------------------------------- modes


def test_raw_when_slow_and_sparse() -> None:
    assert ChartPolicy().step(SMALL).mode is Mode.RAW


def test_decimate_by_rate_or_by_points() -> None:
    by_rate = replace(SMALL, sample_rates=(10.0, 1500.0))
    assert ChartPolicy().step(by_rate).mode is Mode.DECIMATED
    by_points = replace(SMALL, points_in_view=2401)  # > 2 x 1200 px
    assert ChartPolicy().step(by_points).mode is Mode.DECIMATED
    assert ChartPolicy().step(replace(SMALL, points_in_view=2400)).mode is Mode.RAW


def test_coalesce_fast_updating_streams() -> None:
    assert not ChartPolicy().step(replace(SMALL, sample_rates=(50.0,))).coalesce
    assert ChartPolicy().step(replace(SMALL, sample_rates=(51.0,))).coalesce
    # 1000 samples/s in 10 batches/s: slow updates, redraw on data
    batched = replace(SMALL, sample_rates=(1000.0,), update_rates=(10.0,))
    assert not ChartPolicy().step(batched).coalesce


def test_aggregate_only_with_huge_volume_and_lasting_overload() -> None:
    policy = ChartPolicy()
    plans = frames(policy, BIG, [20.0])  # one rung down: still decimating
    assert plans[-1].mode is Mode.DECIMATED and plans[-1].target_fps == 30
    plans = frames(policy, BIG, [40.0])  # over the 30 fps budget too: 15 fps, aggregate
    assert plans[-1].mode is Mode.AGGREGATED and plans[-1].target_fps == 15
    assert plans[-1].bucket_s == 0.05  # 10 s over 1200 px, 4 px a bucket: 33 ms -> 50 ms
    # a small volume never aggregates, however overloaded
    small = ChartPolicy()
    plans = frames(small, replace(BIG, points_in_view=100_000, sample_rates=(2000.0,)), [500.0] * 5)
    assert plans[-1].target_fps == 5 and plans[-1].mode is Mode.DECIMATED


def test_rate_times_window_counts_as_volume() -> None:
    policy = ChartPolicy()
    inp = replace(BIG, points_in_view=50_000, sample_rates=(1e6,), window_s=10.0)
    assert frames(policy, inp, [20.0, 40.0])[-1].mode is Mode.AGGREGATED


def test_aggregation_is_latched_until_the_volume_drops() -> None:
    policy = ChartPolicy()
    frames(policy, BIG, [20.0, 40.0])
    assert policy.state.aggregated
    # cheap frames: the rate climbs back, but the mode stays aggregated (no mode flapping)
    plans = frames(policy, BIG, [1.0] * 100)
    assert plans[-1].target_fps == 60 and all(p.mode is Mode.AGGREGATED for p in plans)
    # zooming in below half the threshold goes back to decimation
    zoomed = replace(BIG, points_in_view=900_000, sample_rates=(80_000.0,))
    assert policy.step(zoomed).mode is Mode.DECIMATED
    assert not policy.state.aggregated


# ---------------------------------------------------------------- frame-rate ladder


def test_over_budget_steps_down_one_rung_and_drops_antialias() -> None:
    policy = ChartPolicy()
    first = policy.step(BIG)
    assert first.target_fps == 60 and first.antialias and not first.throttled
    ladder_seen = [p.target_fps for p in frames(policy, BIG, [20.0, 40.0, 100.0, 300.0, 300.0])]
    assert ladder_seen == [30, 15, 5, 5, 5]  # one rung per frame, never below the last
    assert not policy.step(BIG).antialias


def test_budget_is_that_of_the_current_rate() -> None:
    policy = ChartPolicy()
    frames(policy, BIG, [17.0])  # > 16.7 ms: 30 fps
    plans = frames(policy, BIG, [30.0] * 10)  # within 33 ms: stays at 30
    assert [p.target_fps for p in plans] == [30] * 10


def test_named_budget_overrides_the_rate_budget() -> None:
    policy = ChartPolicy(PolicySettings(budget_ms=10.0))
    assert frames(policy, BIG, [12.0])[-1].target_fps == 30
    assert frames(policy, BIG, [12.0])[-1].target_fps == 15  # 12 ms > 10 ms at any rate


def test_cheap_chart_is_not_blamed_for_a_slow_frame() -> None:
    policy = ChartPolicy()
    # a 40 ms frame, mostly other charts' painting: 8 ms of its own is < 50% of 16.7 ms
    for _ in range(100):
        assert policy.step(replace(BIG, frame_ms=40.0, draw_ms=8.0)).target_fps == 60
    assert policy.step(replace(BIG, frame_ms=40.0, draw_ms=9.0)).target_fps == 30


def test_throttled_chart_steps_up_on_its_own_cost_beside_a_slow_one() -> None:
    policy = ChartPolicy()
    frames(policy, BIG, [20.0])
    assert policy.state.level == 1
    # the window's frames stay at 40 ms (another chart), this chart's own cost fell to 2 ms
    plans = [policy.step(replace(BIG, frame_ms=40.0, draw_ms=2.0)) for _ in range(30)]
    assert plans[-1].target_fps == 60


def test_consecutive_over_budget_frames_setting() -> None:
    policy = ChartPolicy(PolicySettings(over_budget_frames=3))
    assert [p.target_fps for p in frames(policy, BIG, [20, 20, 5, 20, 20, 20])] == [
        60, 60, 60, 60, 60, 30,
    ]  # fmt: skip


def test_headroom_must_last_before_stepping_up() -> None:
    s = PolicySettings(headroom_frames=30)
    policy = ChartPolicy(s)
    frames(policy, BIG, [20.0, 40.0])  # 15 fps
    assert policy.state.level == 2
    # 7 ms < 50% of the 30 fps budget (16.7 ms) is headroom; 29 frames are not enough
    plans = frames(policy, replace(BIG, points_in_view=10_000), [7.0] * 29)
    assert {p.target_fps for p in plans} == {15}
    # one frame without headroom restarts the count
    plans = frames(policy, replace(BIG, points_in_view=10_000), [20.0] + [7.0] * 29)
    assert {p.target_fps for p in plans} == {15}
    plans = frames(policy, replace(BIG, points_in_view=10_000), [7.0])
    assert plans[-1].target_fps == 30 and not plans[-1].antialias
    # at 30 fps, headroom means under 50% of the 60 fps budget (8.3 ms)
    plans = frames(policy, replace(BIG, points_in_view=10_000), [7.0] * 30)
    assert plans[-1].target_fps == 60 and plans[-1].antialias


def test_no_flapping_when_the_measurement_alternates_around_the_budget() -> None:
    policy = ChartPolicy()
    plans = frames(policy, BIG, [15.0, 18.5] * 200)  # 16.7 ms budget at 60 fps
    rates = [p.target_fps for p in plans]
    changes = sum(a != b for a, b in itertools.pairwise(rates))
    assert rates[-1] == 30 and changes == 1


def test_no_flapping_around_the_headroom_threshold() -> None:
    policy = ChartPolicy()
    frames(policy, BIG, [20.0])
    plans = frames(policy, replace(BIG, points_in_view=10_000), [8.0, 8.6] * 200)  # 8.33 ms
    assert {p.target_fps for p in plans} == {30}


def test_frames_where_the_chart_was_not_drawn_change_nothing() -> None:
    policy = ChartPolicy()
    frames(policy, BIG, [20.0])
    before = policy.state
    policy.step(replace(BIG, frame_ms=None, draw_ms=None))
    assert policy.state == before


# ---------------------------------------------------------------- overrides and the cap


@pytest.mark.parametrize(
    ("override", "inp", "mode"),
    [
        (Override.RAW, BIG, Mode.RAW),
        (Override.DECIMATE, SMALL, Mode.DECIMATED),
        (Override.AGGREGATE, SMALL, Mode.AGGREGATED),
        (Override.AUTO, SMALL, Mode.RAW),
    ],
)
def test_override_fixes_the_mode(override: Override, inp: ChartInput, mode: Mode) -> None:
    policy = ChartPolicy()
    plans = frames(policy, replace(inp, override=override), [20.0, 40.0, 100.0])
    assert all(p.mode is mode for p in plans)
    assert plans[-1].target_fps == 5  # throttling still protects the window


def test_override_aggregate_has_a_bucket() -> None:
    plan = ChartPolicy().step(replace(SMALL, override=Override.AGGREGATE))
    assert plan.bucket_s == 0.2  # 50 s on 1200 px, 4 px a bucket: 167 ms -> 200 ms


def test_user_override_beats_the_aggregation_latch() -> None:
    policy = ChartPolicy()
    frames(policy, BIG, [20.0, 40.0])
    assert policy.step(replace(BIG, override=Override.DECIMATE)).mode is Mode.DECIMATED
    assert not policy.state.aggregated  # the override cleared the latch...
    cheap = replace(BIG, override=Override.DECIMATE)
    frames(policy, cheap, [1.0] * 60)  # ...and the chart recovered its rate meanwhile
    assert policy.step(BIG).mode is Mode.DECIMATED  # back in Auto: no reason to aggregate


def test_fps_cap() -> None:
    s = PolicySettings()
    assert ladder(60, s) == (60, 30, 15, 5)
    assert ladder(30, s) == (30, 15, 5)
    assert ladder(10, s) == (10, 5)
    assert ladder(120, s) == (120, 60, 30, 15, 5)
    policy = ChartPolicy()
    plans = frames(policy, replace(BIG, fps_cap=10.0), [50.0, 150.0, 300.0])
    assert plans[0].target_fps == 10 and plans[0].clock_fps == 10 and not plans[0].throttled
    assert [p.target_fps for p in plans[1:]] == [5, 5]
    # lowering the cap while throttled clamps the rung
    policy = ChartPolicy()
    frames(policy, BIG, [20.0, 40.0, 100.0])  # rung 3 of 4 (5 fps)
    plan = policy.step(replace(BIG, fps_cap=30.0, frame_ms=None, draw_ms=None))
    assert plan.target_fps == 5 and policy.state.level == 2


def test_step_is_pure() -> None:
    state = ChartState()
    s = PolicySettings()
    new, plan = step(state, replace(BIG, frame_ms=20.0, draw_ms=20.0), s)
    assert state == ChartState() and new.level == 1
    assert step(state, replace(BIG, frame_ms=20.0, draw_ms=20.0), s) == (new, plan)


# ---------------------------------------------------------------- clock helper and labels


def test_should_draw() -> None:
    full = Plan(Mode.RAW, 60.0, 60.0, True, True)
    half = replace(full, target_fps=30.0)
    assert should_draw(1.0, None, half)
    assert not should_draw(1.0, None, half, dirty=False)
    assert should_draw(1.0, 0.99, full)  # unthrottled: every tick with new data
    assert not should_draw(1.0 + 1 / 60, 1.0, half)
    assert should_draw(1.0 + 2 / 60 - 0.002, 1.0, half)  # a tick that fired 2 ms early
    assert not should_draw(1.0 + 2 / 60, 1.0, half, dirty=False)
    ticks = [i / 60 for i in range(121)]  # 2 s of a 60 Hz clock with a 15 fps chart
    last, drawn = None, 0
    for now in ticks:
        if should_draw(now, last, replace(full, target_fps=15.0)):
            last, drawn = now, drawn + 1
    assert drawn == 31  # every 4th tick


def test_labels() -> None:
    plan = Plan(Mode.DECIMATED, 60.0, 60.0, True, True)
    assert label(plan, 10_200_000, 2400) == "decimated 10.2M→2.4k · 60 fps"
    agg = Plan(Mode.AGGREGATED, 15.0, 60.0, False, True, bucket_s=0.05)
    assert label(agg, 10_000_000, 1200) == "aggregated 50 ms buckets · throttled 15 fps"
    raw = Plan(Mode.RAW, 30.0, 30.0, True, False)
    assert label(raw, 950, 952) == "raw 952 pts · 30 fps"
    assert [format_count(n) for n in (0, 999, 1000, 12_345, 999_999, 2.5e9)] == [
        "0", "999", "1k", "12.3k", "1M", "2.5G",
    ]  # fmt: skip
    assert [format_duration(s) for s in (2.0, 0.05, 0.0002, 1.5)] == [
        "2 s", "50 ms", "200 µs", "1.5 s",
    ]  # fmt: skip


def test_explanations_say_what_each_plan_draws_and_why_its_rate() -> None:
    dec = explain(Plan(Mode.DECIMATED, 60.0, 60.0, True, True), 10_200_000, 2400)
    assert dec.startswith("10.2M samples in view are drawn as 2.4k points")
    assert "Redrawn at up to 60 fps" in dec
    agg = explain(Plan(Mode.AGGREGATED, 15.0, 60.0, False, True, bucket_s=0.05), 10**7, 1200)
    assert "50 ms buckets" in agg and "Redrawn at 15 fps instead of 60" in agg
    raw = explain(Plan(Mode.RAW, 30.0, 30.0, True, False), 950, 952)
    assert raw.startswith("Every sample in view is drawn (952 points)")
