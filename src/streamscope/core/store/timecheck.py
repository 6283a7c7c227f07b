"""Per-sample timestamp sanity, judged against the stream's own time.

A single wild timestamp must not cost valid data: accepted, a far-future time would make every
later sample look like it went back in time (a new run each), and a negative time in an epoch
stream would look like a clock reset. So such samples are rejected one by one, before the store
looks at runs, and the valid samples around them are kept. The same goes for a time more than
``max_time_jump`` after the wall clock (a first sample dated year 3000 would otherwise open the
stream's axis there and split the session at the next real sample), and for a sample whose time
unit changed (seconds after milliseconds: 1.05 after 1033.3 is no clock reset; alternating at
60/s it would start 60 runs a second).

Vectorized: the common case (nothing wrong) is a few whole-array comparisons.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

EPOCH_THRESHOLD = 1e8  # times above this are epoch seconds (see PROTOCOL.md)
MAX_TIME_JUMP = 7 * 86400.0  # seconds a stream may leap ahead of its newest sample (or of now)
MAX_TIMESTAMP = 1e11  # |t| beyond this is no plausible time in seconds (year 5138 as epoch)
RUN_RESET_SECONDS = 1.0  # a stream going back in time by this much starts a new run
# Times about 1000x (1e6x, 1e9x) apart, within this factor either side: a change of unit (ms, µs,
# ns and s), when it goes both ways (see _unit_switches).
UNIT_FACTORS = (1e3, 1e6, 1e9)
UNIT_SLACK = 2.0
_UNIT_GATE = UNIT_FACTORS[0] / UNIT_SLACK  # no two times this far apart: no unit change
_MAX_PASSES = 8  # fixed-point passes for chained forward jumps before a plain loop


@dataclass(frozen=True, slots=True)
class TimeRules:
    """The named limits (kept in ``StoreSettings``)."""

    max_time_jump: float = MAX_TIME_JUMP
    max_timestamp: float = MAX_TIMESTAMP


@dataclass(slots=True)
class UnitWatch:
    """Per stream: whether its time ever stepped up by a unit factor (see ``_unit_switches``)."""

    jumped: bool = False


def check_times(
    name: str,
    t: np.ndarray,
    last_t: float | None,
    rules: TimeRules,
    now: float | None = None,
    units: UnitWatch | None = None,
) -> tuple[np.ndarray | None, list[str]]:
    """Mask of the acceptable samples of one batch (None: all of them), and one error per kind
    of problem.

    ``last_t`` is the stream's newest stored time (None for a new stream); ``now`` the wall
    clock (epoch seconds; default: the current time); ``units`` the stream's unit watch, kept
    by the caller between batches (default: a fresh one). Backward jumps are not judged here,
    except for a change of unit: the store treats them as clock resets (a new run) or rejects
    small ones.
    """
    if not len(t):
        return None, []
    units = UnitWatch() if units is None else units
    future = (time.time() if now is None else now) + rules.max_time_jump
    # Fast path (nearly every batch): all times within one window no wider than the jump limit,
    # within bounds, not after the wall clock, no negative time next to epoch times, and no two
    # times far enough apart for a change of unit.
    lo, hi = (float(t[0]),) * 2 if len(t) == 1 else (float(t.min()), float(t.max()))
    ref = lo if last_t is None else min(lo, last_t)
    top = hi if last_t is None else max(hi, last_t)
    if (
        -rules.max_timestamp <= lo
        and hi <= min(rules.max_timestamp, future)
        and hi - ref <= rules.max_time_jump
        and (lo >= 0 or top <= EPOCH_THRESHOLD)
        and (top < _UNIT_GATE * ref or not _unit_steps(t, last_t))
    ):
        return None, []
    errors: list[str] = []
    beyond = np.abs(t) > rules.max_timestamp
    if beyond.any():
        first = float(t[np.argmax(beyond)])
        hint = " (milliseconds or nanoseconds? send seconds)" if first > 0 else ""
        errors.append(
            f"'{name}': {_n(beyond)} rejected: timestamp {first:g} is beyond "
            f"±{rules.max_timestamp:g} s{hint}"
        )
    ok = ~beyond
    later = ok & (t > future)
    if later.any():
        first = float(t[np.argmax(later)])
        year = datetime.fromtimestamp(first, UTC).year
        errors.append(
            f"'{name}': {_n(later)} rejected: timestamp {first:g} is in the year {year}, more "
            f"than {rules.max_time_jump / 86400:g} days after now (send seconds; is the clock "
            f"right?)"
        )
        ok &= ~later
    # Epoch mode: the stream (or an earlier sample of this batch) holds epoch times.
    before = np.maximum.accumulate(np.where(ok, t, -np.inf))
    before = np.concatenate(([-np.inf if last_t is None else last_t], before[:-1]))
    negative = ok & (t < 0) & (before > EPOCH_THRESHOLD)
    if negative.any():
        errors.append(
            f"'{name}': {_n(negative)} rejected: negative timestamp "
            f"{float(t[np.argmax(negative)]):g} in a stream of epoch times"
        )
        ok &= ~negative
    ahead = _forward_jumps(t, ok, last_t, rules.max_time_jump)
    if ahead.any():
        i = int(np.argmax(ahead))
        errors.append(
            f"'{name}': {_n(ahead)} rejected: timestamp {float(t[i]):g} is more than "
            f"{rules.max_time_jump:g} s ahead of the stream's time"
        )
        ok &= ~ahead
    unit, ref = _unit_switches(t, ok, last_t, units)
    if unit.any():
        x = float(t[np.argmax(unit)])
        errors.append(
            f"'{name}': {_n(unit)} rejected: timestamp {x:g} is about 1/{_unit_factor(ref, x):g} "
            f"of the stream's time {ref:g}, which it jumped to before: the time unit keeps "
            f"changing (send seconds)"
        )
        ok &= ~unit
    return ok, errors


def _unit_factor(a: float, b: float) -> float:
    """The unit factor (1e3, 1e6, 1e9) by which ``b`` is smaller than ``a`` (within
    UNIT_SLACK), with ``a`` at least RUN_RESET_SECONDS later; else 0."""
    if b <= 0 or a - b < RUN_RESET_SECONDS:
        return 0.0
    r = a / b
    for k in UNIT_FACTORS:
        if k / UNIT_SLACK <= r <= k * UNIT_SLACK:
            return k
    return 0.0


def _unit_steps(t: np.ndarray, last_t: float | None) -> bool:
    """Whether any sample is about 1000x (1e6x, 1e9x) above or below the one before it: the
    cheap check before the sample-by-sample one."""
    if len(t) == 1:
        if last_t is None:
            return False
        x = float(t[0])
        return bool(_unit_factor(last_t, x) or _unit_factor(x, last_t))
    prev = np.concatenate(([np.nan if last_t is None else last_t], t[:-1]))
    hi, lo = np.fmax(prev, t), np.fmin(prev, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = hi / lo
    near = (lo > 0) & (hi - lo >= RUN_RESET_SECONDS)
    return any(
        bool((near & (r >= k / UNIT_SLACK) & (r <= k * UNIT_SLACK)).any()) for k in UNIT_FACTORS
    )


def _unit_switches(
    t: np.ndarray, ok: np.ndarray, last_t: float | None, units: UnitWatch
) -> tuple[np.ndarray, float]:
    """Samples that step back to about 1/1000 (...) of the last accepted sample before them in
    a stream that has stepped *up* by such a factor before (``units.jumped``); and the time the
    first of them was judged against.

    A step up alone is no error (a pause of 1000 s, or the unit the stream keeps from now on),
    and a step back alone is a clock reset (Time.time starts again near 0, often at 1/1000 of
    where it was); both together are a unit that changes back and forth. Judged against
    accepted samples only, so the stream's unit since the step up wins (1.0, 1016.7, 1.03,
    1050: the third is judged against 1016.7, the fourth goes on from it).
    """
    bad = np.zeros(len(t), dtype=bool)
    first_ref = 0.0
    if not _unit_steps(t, last_t):
        return bad, first_ref
    ref = last_t
    for i in np.flatnonzero(ok).tolist():
        x = float(t[i])
        if ref is not None and units.jumped and _unit_factor(ref, x):
            first_ref = first_ref or ref  # the first one's (ref > 0 here: see _unit_factor)
            bad[i] = True
            continue
        if ref is not None and _unit_factor(x, ref):
            units.jumped = True
        ref = x
    return bad, first_ref


def _forward_jumps(t: np.ndarray, ok: np.ndarray, last_t: float | None, limit: float) -> np.ndarray:
    """Samples more than ``limit`` ahead of the last *accepted* sample before them.

    Comparing with the raw previous sample is not enough (after a rejected far-future sample,
    the next good one would look like a clock reset), so rejections are repeated until nothing
    changes; each pass only rejects samples a sequential check would reject too.
    """
    bad = np.zeros(len(t), dtype=bool)
    for _ in range(_MAX_PASSES):
        idx = np.flatnonzero(ok & ~bad)
        if not len(idx):
            return bad
        tt = t[idx]
        first = tt[0] if last_t is None else last_t
        jump = tt - np.concatenate(([first], tt[:-1])) > limit
        if not jump.any():
            return bad
        bad[idx[jump]] = True
    # Many chained jumps (hostile input): settle it sample by sample.
    bad[:] = False
    ref = last_t
    for i in np.flatnonzero(ok):
        if ref is not None and t[i] - ref > limit:
            bad[i] = True
        else:
            ref = float(t[i])
    return bad


def _n(mask: np.ndarray) -> str:
    k = int(mask.sum())
    return f"{k} sample{'s' if k != 1 else ''}"
