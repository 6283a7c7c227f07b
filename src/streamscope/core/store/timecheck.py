"""Per-sample timestamp sanity, judged against the stream's own time.

A single wild timestamp must not cost valid data: accepted, a far-future time would make every
later sample look like it went back in time (a new run each), and a negative time in an epoch
stream would look like a clock reset. So such samples are rejected one by one, before the store
looks at runs, and the valid samples around them are kept.

Vectorized: the common case (nothing wrong) is a few whole-array comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPOCH_THRESHOLD = 1e8  # times above this are epoch seconds (see PROTOCOL.md)
MAX_TIME_JUMP = 7 * 86400.0  # seconds a stream may leap ahead of its newest sample
MAX_TIMESTAMP = 1e11  # |t| beyond this is no plausible time in seconds (year 5138 as epoch)
_MAX_PASSES = 8  # fixed-point passes for chained forward jumps before a plain loop


@dataclass(frozen=True, slots=True)
class TimeRules:
    """The named limits (kept in ``StoreSettings``)."""

    max_time_jump: float = MAX_TIME_JUMP
    max_timestamp: float = MAX_TIMESTAMP


def check_times(
    name: str, t: np.ndarray, last_t: float | None, rules: TimeRules
) -> tuple[np.ndarray | None, list[str]]:
    """Mask of the acceptable samples of one batch (None: all of them), and one error per kind
    of problem.

    ``last_t`` is the stream's newest stored time (None for a new stream). Backward jumps are
    not judged here: the store treats them as clock resets (a new run) or rejects small ones.
    """
    if not len(t):
        return None, []
    # Fast path (nearly every batch): all times within one window no wider than the jump limit,
    # within bounds, and no negative time next to epoch times.
    lo, hi = (float(t[0]),) * 2 if len(t) == 1 else (float(t.min()), float(t.max()))
    ref = lo if last_t is None else min(lo, last_t)
    top = hi if last_t is None else max(hi, last_t)
    if (
        -rules.max_timestamp <= lo
        and hi <= rules.max_timestamp
        and hi - ref <= rules.max_time_jump
        and (lo >= 0 or top <= EPOCH_THRESHOLD)
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
    return ok, errors


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
