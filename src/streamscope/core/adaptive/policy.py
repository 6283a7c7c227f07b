"""Adaptive rendering policy: a pure state machine deciding, per chart and frame, how to draw.

Why a pure function of (state, measurements): it is tested frame by frame without Qt or a clock,
and the render clock stays a thin loop (measure, call :meth:`ChartPolicy.step`, obey the plan).

Rules (every threshold is a :class:`PolicySettings` field):

- Mode (Auto): decimate when a stream sends more than ``decimate_rate_hz`` samples/s or the view
  holds more than ``decimate_points_per_px`` x width points; else draw raw.
- Frame rate: a chart starts at the user's cap and walks down the ladder (60 → 30 → 15 → 5) one
  rung per over-budget frame it is responsible for, turning antialiasing off. It is responsible
  only for its own cost (its setData and its own painting, ``draw_ms``): blamed when the frame
  was over budget AND its own cost took at least ``own_share`` of that budget, so a chart of a
  few hundred points is never throttled for another chart's painting. It walks back up one
  rung after ``headroom_frames`` consecutive frames whose own cost stays under
  ``headroom_ratio`` x the budget of the faster rung. With ``headroom_ratio <= own_share`` a
  chart that steps up is not blamed again at the same cost, and the gap between the two
  thresholds is the hysteresis: a measurement wobbling around either cannot make it flap.
- Aggregation (Auto; our call): only when decimation has already cost the chart
  ``aggregate_after_steps`` rungs AND the view holds at least ``aggregate_points`` points
  (or rate x window says it will). Decimation is O(pixels) with the pyramid, so volume alone is
  no reason to change what the user sees; sustained overload with huge volume is. Aggregation
  is then latched until the volume falls below ``aggregate_exit_ratio`` x that threshold (so a
  cheaper frame does not bounce the chart back and forth between modes).
- Streams updating faster than ``coalesce_updates_hz`` are redrawn on the frame clock only
  (``Plan.coalesce``); slower ones may be redrawn as soon as data arrives.
- A user override (Raw/Decimate/Aggregate) fixes the mode; frame-rate throttling and the cap
  still apply, since they protect the whole window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from streamscope.core.series.aggregate import choose_bucket

FPS_LADDER = (60.0, 30.0, 15.0, 5.0)


class Mode(StrEnum):
    RAW = "raw"
    DECIMATED = "decimated"
    AGGREGATED = "aggregated"


class Override(StrEnum):
    AUTO = "auto"
    RAW = "raw"
    DECIMATE = "decimate"
    AGGREGATE = "aggregate"


_FORCED = {
    Override.RAW: Mode.RAW,
    Override.DECIMATE: Mode.DECIMATED,
    Override.AGGREGATE: Mode.AGGREGATED,
}


@dataclass(frozen=True)
class PolicySettings:
    fps_ladder: tuple[float, ...] = FPS_LADDER  # rungs below the user's cap, fastest first
    coalesce_updates_hz: float = 50.0  # per stream: faster updates are drawn on the clock only
    decimate_rate_hz: float = 1000.0  # per stream: faster sample rates are decimated
    decimate_points_per_px: float = 2.0  # more points in view than this x width: decimate
    budget_ms: float | None = None  # frame budget; None means 1000 / the chart's target fps
    own_share: float = 0.5  # a chart is blamed for a slow frame only if its own draw and
    # paint took at least this share of the budget (never for other charts' painting)
    over_budget_frames: int = 1  # consecutive blamed frames before stepping down one rung
    headroom_ratio: float = 0.5  # "headroom": own cost under this x the faster rung's budget
    # (keep it <= own_share: a chart that steps up is then not blamed at the same cost)
    headroom_frames: int = 30  # consecutive headroom frames before stepping up one rung
    aggregate_points: int = 2_000_000  # volume (points in view) that may justify aggregation
    aggregate_after_steps: int = 2  # ...once decimation has cost this many rungs
    aggregate_exit_ratio: float = 0.5  # leave aggregation below this x aggregate_points
    aggregate_px_per_bucket: float = 4.0  # buckets this wide at least: a band of one bucket
    # per pixel costs more to fill than the decimated line it replaces
    antialias: bool = True  # the user's preference; dropped while the chart is throttled


@dataclass(frozen=True)
class ChartInput:
    """One frame's facts about one chart. ``frame_ms``/``draw_ms`` are None if it was not drawn."""

    frame_ms: float | None
    draw_ms: float | None
    sample_rates: tuple[float, ...] = ()  # samples/s, per stream
    update_rates: tuple[float, ...] | None = None  # appends/s per stream (default: sample_rates)
    points_in_view: int = 0  # of the largest curve
    window_s: float = 0.0  # visible time span
    width_px: int = 1200
    override: Override = Override.AUTO
    fps_cap: float = 60.0


@dataclass(frozen=True)
class ChartState:
    level: int = 0  # rung of the capped ladder (0 = the cap)
    over: int = 0  # consecutive blamed over-budget frames
    calm: int = 0  # consecutive headroom frames
    aggregated: bool = False  # Auto mode latched into aggregation


@dataclass(frozen=True)
class Plan:
    mode: Mode
    target_fps: float
    clock_fps: float  # the user's cap, i.e. the render clock's rate
    antialias: bool
    coalesce: bool  # updates arrive faster than the clock: redraw on the clock only
    bucket_s: float | None = None  # aggregation bucket width (aggregated mode)

    @property
    def throttled(self) -> bool:
        return self.target_fps < self.clock_fps


def ladder(cap: float, settings: PolicySettings) -> tuple[float, ...]:
    """Frame-rate rungs for a user cap: the cap itself, then every default rung below it."""
    cap = cap if cap > 0 else settings.fps_ladder[0]
    return (cap, *(f for f in settings.fps_ladder if f < cap))


def _budget(fps: float, settings: PolicySettings) -> float:
    return settings.budget_ms if settings.budget_ms is not None else 1000.0 / fps


def _step_rate(
    state: ChartState, inp: ChartInput, rungs: tuple[float, ...], s: PolicySettings
) -> ChartState:
    """Move one rung down on blamed over-budget frames, one up after sustained headroom."""
    level = min(state.level, len(rungs) - 1)
    if inp.frame_ms is None or inp.draw_ms is None:
        return replace(state, level=level)
    budget = _budget(rungs[level], s)
    if inp.frame_ms > budget and inp.draw_ms >= s.own_share * budget:
        over = state.over + 1
        if over >= s.over_budget_frames and level < len(rungs) - 1:
            return ChartState(level + 1, 0, 0, state.aggregated)
        return ChartState(level, over, 0, state.aggregated)
    if level > 0 and inp.draw_ms < s.headroom_ratio * _budget(rungs[level - 1], s):
        calm = state.calm + 1
        if calm >= s.headroom_frames:
            return ChartState(level - 1, 0, 0, state.aggregated)
        return ChartState(level, 0, calm, state.aggregated)
    return ChartState(level, 0, 0, state.aggregated)


def _auto_mode(state: ChartState, inp: ChartInput, s: PolicySettings) -> tuple[Mode, bool]:
    """Auto mode and the new aggregation latch."""
    rate = max(inp.sample_rates, default=0.0)
    decimate = (
        rate > s.decimate_rate_hz or inp.points_in_view > s.decimate_points_per_px * inp.width_px
    )
    volume = max(float(inp.points_in_view), rate * inp.window_s)
    if state.aggregated:
        latched = decimate and volume >= s.aggregate_exit_ratio * s.aggregate_points
    else:
        latched = (
            decimate and volume >= s.aggregate_points and state.level >= s.aggregate_after_steps
        )
    if latched:
        return Mode.AGGREGATED, True
    return (Mode.DECIMATED if decimate else Mode.RAW), False


def step(state: ChartState, inp: ChartInput, settings: PolicySettings) -> tuple[ChartState, Plan]:
    """One frame of the state machine: the chart's next state and how to draw it."""
    rungs = ladder(inp.fps_cap, settings)
    state = _step_rate(state, inp, rungs, settings)
    forced = _FORCED.get(inp.override)
    mode, latched = (forced, False) if forced else _auto_mode(state, inp, settings)
    state = replace(state, aggregated=latched)
    updates = inp.update_rates if inp.update_rates is not None else inp.sample_rates
    bucket = None
    if mode is Mode.AGGREGATED and inp.window_s > 0:
        rate = max(inp.sample_rates, default=0.0)
        columns = max(int(inp.width_px / settings.aggregate_px_per_bucket), 1)
        bucket = choose_bucket(0.0, inp.window_s, columns, rate)
    plan = Plan(
        mode=mode,
        target_fps=rungs[state.level],
        clock_fps=rungs[0],
        antialias=settings.antialias and state.level == 0,
        coalesce=max(updates, default=0.0) > settings.coalesce_updates_hz,
        bucket_s=bucket,
    )
    return state, plan


class ChartPolicy:
    """Holds one chart's state between frames; see :func:`step`."""

    def __init__(self, settings: PolicySettings | None = None) -> None:
        self.settings = settings or PolicySettings()
        self.state = ChartState()

    def step(self, inp: ChartInput) -> Plan:
        self.state, plan = step(self.state, inp, self.settings)
        return plan


def should_draw(now: float, last_draw: float | None, plan: Plan, dirty: bool = True) -> bool:
    """Whether the clock tick at ``now`` (seconds) should redraw this chart.

    A throttled chart waits a period of its target rate; half a clock tick of slack keeps a
    30 fps chart on every other 60 Hz tick despite timer jitter.
    """
    if not dirty:
        return False
    if last_draw is None or not plan.throttled:
        return True
    slack = 0.5 / plan.clock_fps
    return now - last_draw >= 1.0 / plan.target_fps - slack


def format_count(n: float) -> str:
    """950, 2.4k, 10.2M, 1.5G: three significant digits at most."""
    for unit, suffix in ((1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G")):
        text = f"{n / unit:.3g}"
        if float(text) < 1000:
            return text + suffix
    return f"{n / 1e12:.3g}T"


def format_duration(seconds: float) -> str:
    """50 ms, 2 s, 200 µs."""
    for unit, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= unit * 0.9995:
            return f"{seconds / unit:.3g} {suffix}"
    return f"{seconds * 1e9:.3g} ns"


def label(plan: Plan, points_in_view: int, points_drawn: int) -> str:
    """Status text such as ``decimated 10.2M→2.4k · 60 fps`` or
    ``aggregated 50 ms buckets · throttled 15 fps``."""
    if plan.mode is Mode.DECIMATED:
        what = f"decimated {format_count(points_in_view)}→{format_count(points_drawn)}"
    elif plan.mode is Mode.AGGREGATED:
        what = (
            f"aggregated {format_duration(plan.bucket_s)} buckets"
            if plan.bucket_s
            else "aggregated"
        )
    else:
        what = f"raw {format_count(points_drawn)} pts"
    rate = f"{plan.target_fps:g} fps"
    return f"{what} · {'throttled ' + rate if plan.throttled else rate}"


def explain(plan: Plan, points_in_view: int, points_drawn: int) -> str:
    """What :func:`label` means, in sentences (the chart's render-mode tooltip)."""
    if plan.mode is Mode.DECIMATED:
        what = (
            f"{format_count(points_in_view)} samples in view are drawn as "
            f"{format_count(points_drawn)} points: the first, last, smallest and largest "
            "sample of each pixel column, so no spike is lost."
        )
    elif plan.mode is Mode.AGGREGATED:
        bucket = format_duration(plan.bucket_s) if plan.bucket_s else "time"
        what = (
            f"Samples are grouped in {bucket} buckets: the line is each bucket's mean, "
            "the band its min–max."
        )
    else:
        what = f"Every sample in view is drawn ({format_count(points_drawn)} points)."
    if plan.throttled:
        rate = (
            f"Redrawn at {plan.target_fps:g} fps instead of {plan.clock_fps:g}: recent frames "
            "took longer than their budget. The rate steps back up once frames are cheap."
        )
    else:
        rate = f"Redrawn at up to {plan.target_fps:g} fps, when new data arrives."
    return f"{what}\n{rate}"
