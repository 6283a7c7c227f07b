"""Threshold alerts: rules such as ``fps < 30 for 2 s``, evaluated on stream time.

A rule *fires* at the first sample where its condition has held continuously for
``duration`` seconds (measured between sample timestamps, so a replayed or paused stream is
judged the same way) and *clears* at the first sample where it no longer holds. Gaps (NaN)
are skipped: they neither hold nor break the condition. Evaluation is vectorized over each
chunk of new samples; Python runs once per event, not per sample.

Rules are kept in layouts with ``rules_to_json`` / ``rules_from_json``.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streamscope.core.store.store import LIVE, Store, Stream

OPS = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}
MAX_EVENTS = 1000

_RULE = re.compile(
    r"^\s*(?P<stream>\S+?)\s*(?P<op>>=|<=|>|<)\s*(?P<x>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)"
    r"\s*(for\s+(?P<d>\d+\.?\d*|\.\d+)\s*(?P<unit>ms|s|sec|secs|seconds?)?)?\s*$",
    re.IGNORECASE,
)
_ids = itertools.count(1)


class RuleError(ValueError):
    """A rule that cannot be understood; the message says what is wrong."""


@dataclass(eq=False)
class AlertRule:
    stream: str
    op: str
    threshold: float
    duration: float = 0.0  # seconds the condition must hold before the alert fires
    enabled: bool = True
    id: int = field(default_factory=lambda: next(_ids))

    def __post_init__(self) -> None:
        if not self.stream:
            raise RuleError("a rule needs a stream name")
        if self.op not in OPS:
            raise RuleError(f"unknown comparison {self.op!r} (use one of {' '.join(OPS)})")
        if not math.isfinite(self.threshold):
            raise RuleError("the threshold must be a finite number")
        if not (self.duration >= 0 and math.isfinite(self.duration)):
            raise RuleError("the duration must be zero or more seconds")

    @classmethod
    def parse(cls, text: str) -> AlertRule:
        """``"fps < 30 for 2 s"``, ``"memory_usage_mb >= 500"``, ``"ping > 80 for 500 ms"``."""
        m = _RULE.match(text)
        if not m:
            raise RuleError(
                f"cannot read {text.strip()!r}: write it like 'fps < 30 for 2 s' "
                "(stream, one of > >= < <=, a number, optionally 'for' a duration)"
            )
        d = float(m["d"]) if m["d"] else 0.0
        if (m["unit"] or "").lower() == "ms":
            d /= 1000.0
        return cls(m["stream"], m["op"], float(m["x"]), d)

    def describe(self) -> str:
        text = f"{self.stream} {self.op} {self.threshold:g}"
        return f"{text} for {self.duration:g} s" if self.duration > 0 else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "op": self.op,
            "threshold": self.threshold,
            "duration": self.duration,
            "enabled": self.enabled,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AlertRule:
        try:
            return cls(
                str(d["stream"]),
                str(d["op"]),
                float(d["threshold"]),
                float(d.get("duration", 0.0)),
                bool(d.get("enabled", True)),
            )
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, RuleError):
                raise
            raise RuleError(f"bad alert rule {d!r}: {e}") from None


def rules_to_json(rules: list[AlertRule]) -> str:
    """The rules as a JSON array (what a layout stores)."""
    return json.dumps([r.to_dict() for r in rules])


def rules_from_json(text: str) -> list[AlertRule]:
    """Rules from ``rules_to_json`` output; raises ``RuleError`` naming the first bad entry."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as e:
        raise RuleError(f"alert rules are not valid JSON: {e}") from None
    if not isinstance(items, list):
        raise RuleError("alert rules must be a JSON array")
    return [AlertRule.from_dict(d if isinstance(d, dict) else {}) for d in items]


@dataclass(frozen=True, slots=True)
class AlertEvent:
    rule_id: int
    rule: str  # the rule's text when it happened
    stream: str
    session_id: str
    kind: str  # "fired" | "cleared"
    t: float  # stream time (raw)
    x: float  # session-relative time, as charts show it
    value: float


@dataclass(slots=True)
class Transitions:
    """Where a chunk made the rule fire and clear (indices into the chunk)."""

    fired: np.ndarray
    cleared: np.ndarray
    since: float | None  # start time of the condition run still open at the chunk's end
    active: bool


def evaluate(
    t: np.ndarray,
    v: np.ndarray,
    op: str,
    threshold: float,
    duration: float,
    since: float | None = None,
    active: bool = False,
) -> Transitions:
    """Run a rule over one chunk, continuing from the state the previous chunk left."""
    keep = np.isfinite(v)
    idx = np.flatnonzero(keep)
    t, v = t[keep], v[keep]
    if not len(t):
        return Transitions(idx, idx, since, active)
    cond = OPS[op](v, threshold)
    prev = np.concatenate(([since is not None], cond[:-1]))
    starts = cond & ~prev
    pos = np.where(starts, np.arange(len(t)), -1)
    last_start = np.maximum.accumulate(pos)
    carried = since if since is not None else np.nan
    run_t0 = np.where(last_start >= 0, t[np.maximum(last_start, 0)], carried)
    with np.errstate(invalid="ignore"):
        hot = cond & (t - run_t0 >= duration - 1e-9)  # float steps: 30 × 0.1 s
    prev_hot = np.concatenate(([active], hot[:-1]))
    fired = np.flatnonzero(hot & ~prev_hot)
    cleared = np.flatnonzero(~cond & prev_hot)
    since = float(run_t0[-1]) if cond[-1] else None
    return Transitions(idx[fired], idx[cleared], since, bool(hot[-1]))


class AlertState:
    """One rule bound to the newest session holding its stream."""

    def __init__(self, rule: AlertRule) -> None:
        self.rule = rule
        self.stream: Stream | None = None
        self.seen = 0
        self.since: float | None = None
        self.active = False
        self.fired = 0
        self.last_fired: float | None = None  # session-relative time
        self.last_value = math.nan

    def reset(self) -> None:
        self.stream, self.seen, self.since, self.active = None, 0, None, False


class AlertBook:
    """All rules, their live state and the log of what fired and cleared."""

    def __init__(self) -> None:
        self.states: list[AlertState] = []
        self.events: deque[AlertEvent] = deque(maxlen=MAX_EVENTS)
        self.version = 0  # bumps on every change a view might show
        self.events_total = 0

    @property
    def rules(self) -> list[AlertRule]:
        return [s.rule for s in self.states]

    def add(self, rule: AlertRule) -> AlertRule:
        self.states.append(AlertState(rule))
        self.version += 1
        return rule

    def remove(self, rule_id: int) -> None:
        self.states = [s for s in self.states if s.rule.id != rule_id]
        self.version += 1

    def set_enabled(self, rule_id: int, on: bool) -> None:
        for s in self.states:
            if s.rule.id == rule_id and s.rule.enabled != on:
                s.rule.enabled = on
                s.reset()
                self.version += 1

    def replace_all(self, rules: list[AlertRule]) -> None:
        self.states = [AlertState(r) for r in rules]
        self.version += 1

    def active_streams(self) -> set[str]:
        return {s.rule.stream for s in self.states if s.active and s.rule.enabled}

    def update(self, store: Store) -> int:
        """Evaluate every enabled rule over its new samples; return the number of events."""
        count = 0
        for st in self.states:
            if st.rule.enabled:
                count += self._update_one(store, st)
        return count

    def _update_one(self, store: Store, st: AlertState) -> int:
        rule = st.rule
        stream = store.find(rule.stream, source=LIVE)
        if stream is None:
            return 0
        if stream is not st.stream:  # a new session: judge its whole stored history
            was_active = st.active
            st.reset()
            st.stream = stream
            if was_active:
                self.version += 1
        ring = stream.ring
        new = ring.total - st.seen
        if new <= 0:
            return 0
        start = max(0, len(ring) - new)
        t, v = ring.t[start:], ring.v[start:]
        st.seen = ring.total
        tr = evaluate(t, v, rule.op, rule.threshold, rule.duration, st.since, st.active)
        session = store.sessions.get(stream.session_id)
        origin = (session.origin or 0.0) if session else 0.0
        events = [("fired", i) for i in tr.fired] + [("cleared", i) for i in tr.cleared]
        events.sort(key=lambda e: e[1])
        text = rule.describe()
        for kind, i in events:
            ev = AlertEvent(
                rule.id, text, rule.stream, stream.session_id, kind,
                float(t[i]), float(t[i]) - origin, float(v[i]),
            )  # fmt: skip
            self.events.append(ev)
            if kind == "fired":
                st.fired += 1
                st.last_fired = ev.x
                st.last_value = ev.value
        changed = bool(events) or tr.active != st.active
        st.since, st.active = tr.since, tr.active
        if changed:
            self.version += 1
        self.events_total += len(events)
        return len(events)

    def markers(self, stream: Stream) -> tuple[np.ndarray, np.ndarray]:
        """Session-relative times and values where rules on ``stream`` fired."""
        ev = [
            e for e in self.events
            if e.kind == "fired" and e.stream == stream.name and e.session_id == stream.session_id
        ]  # fmt: skip
        return np.array([e.x for e in ev]), np.array([e.value for e in ev])
