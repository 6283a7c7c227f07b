"""Checking a layout file field by field: a bad field is reported and left to its default.

A layout file may come from anywhere (a colleague, a bug report, a download), so nothing in it
is trusted: each known field has a type and a range (``ANALYSIS``), a field that does not fit
is dropped with a message naming it (the code that applies the layout then uses its default),
and everything else still applies. Nesting deeper than ``MAX_DEPTH`` is cut before the JSON
parser sees it (the stdlib parser recurses, and raises ``RecursionError`` on deep arrays).
Qt-free: the UI shows the messages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32  # a saved layout nests 6 deep; deeper values become null (then reported)
MAX_CHARTS = 64  # charts (and chart settings) a layout may open
MAX_NAMES = 64  # streams per chart, value tiles, XY charts
MAX_WINDOW = 30 * 86_400.0  # seconds: the widest time window a chart takes from a file
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def cut_deep(text: str, limit: int = MAX_DEPTH) -> tuple[str, int]:
    """``text`` with every array or object nested deeper than ``limit`` replaced by ``null``,
    and how many were replaced. Strings are stepped over whole; text that is not JSON stays
    what it was (the parser then says why)."""
    depth, start, cuts, pieces, kept = 0, -1, 0, [], 0
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            continue
        if tok in "[{":
            depth += 1
            if depth == limit + 1:
                start = m.start()
        else:
            if depth == limit + 1 and start >= 0:
                pieces += [text[kept:start], "null"]
                kept, start, cuts = m.end(), -1, cuts + 1
            depth -= 1
    if start >= 0:  # never closed: not JSON; leave it for the parser to refuse
        return text, 0
    return ("".join(pieces) + text[kept:], cuts) if cuts else (text, 0)


# ---------------------------------------------------------------- field specs


@dataclass(frozen=True)
class Num:
    lo: float
    hi: float
    integer: bool = False

    def check(self, x: Any) -> str:
        if isinstance(x, bool) or not isinstance(x, int | float):
            return "a number"
        if self.integer and not (isinstance(x, int) or float(x).is_integer()):
            return "a whole number"
        if not (math.isfinite(x) and self.lo <= x <= self.hi):
            return f"a number from {self.lo:g} to {self.hi:g}"
        return ""


@dataclass(frozen=True)
class Obj:
    fields: dict[str, Any]


@dataclass(frozen=True)
class ListOf:
    item: Any
    cap: int


@dataclass(frozen=True)
class MapOf:  # str -> item
    item: Any
    cap: int


INDEX = Num(0, 63, integer=True)  # a choice in a list the window offers
NAMES = ListOf(str, MAX_NAMES)
ANALYSIS = Obj(
    {
        "version": Num(0, 1e6, integer=True),
        "alert_rules": ListOf(
            Obj(
                {
                    "stream": str,
                    "op": str,
                    "threshold": Num(-1e300, 1e300),
                    "duration": Num(0, 1e6),
                    "enabled": bool,
                }
            ),
            256,
        ),
        "derived": ListOf(Obj({"source": str, "kind": str, "window": Num(0, 1e6)}), MAX_NAMES),
        "anomaly": Obj({"window": Num(2, 1e6, integer=True), "threshold": Num(0, 1e6)}),
        "tiles": Obj({"streams": NAMES, "window": INDEX, "period": INDEX}),
        "xy": ListOf(
            Obj(
                {
                    "x": str,
                    "y": str,
                    "window": INDEX,
                    "method": str,
                    "tolerance": Num(0, 1e6),
                    "equal": bool,
                }
            ),
            MAX_NAMES,
        ),
        "charts": MapOf(
            Obj(
                {
                    "forecast": Obj(
                        {
                            "samples": Num(2, 1e6, integer=True),
                            "horizon": Num(0, 1e6),
                            "degree": Num(0, 3, integer=True),
                            "level": Num(0, 1),
                            "points": Num(2, 10_000, integer=True),
                        }
                    ),
                    "forecasts": NAMES,
                    "marks": bool,
                    "linked": bool,
                }
            ),
            MAX_CHARTS,
        ),
        "llm": Obj({"endpoint": str, "model": str, "timeout": Num(0.1, 3600)}),
    }
)
_UNSET = object()


def check(value: Any, spec: Any, where: str, problems: list[str]) -> Any:
    """``value`` as far as it fits ``spec``; what does not is reported in ``problems`` and
    left out (returns ``_UNSET`` when nothing of it fits). Unknown keys are ignored."""
    if spec in (str, bool):
        if isinstance(value, spec):
            return value
        return _bad(where, "text" if spec is str else "true or false", value, problems)
    if isinstance(spec, Num):
        want = spec.check(value)
        if want:
            return _bad(where, want, value, problems)
        return int(value) if spec.integer else float(value)
    if isinstance(spec, Obj):
        if not isinstance(value, dict):
            return _bad(where, "an object", value, problems)
        out = {}
        for key, sub in spec.fields.items():
            if key in value:
                got = check(value[key], sub, f"{where}.{key}", problems)
                if got is not _UNSET:
                    out[key] = got
        return out
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return _bad(where, "a list", value, problems)
        items = []
        for i, item in enumerate(value[: spec.cap]):
            got = check(item, spec.item, f"{where}[{i}]", problems)
            if got is not _UNSET:
                items.append(got)
        if len(value) > spec.cap:
            problems.append(f"{where}: {len(value):,} entries; only the first {spec.cap} used")
        return items
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return _bad(where, "an object", value, problems)
        entries = {}
        for key, item in list(value.items())[: spec.cap]:
            got = check(item, spec.item, f"{where}[{key!r}]", problems)
            if got is not _UNSET:
                entries[key] = got
        if len(value) > spec.cap:
            problems.append(f"{where}: {len(value):,} entries; only the first {spec.cap} used")
        return entries
    raise TypeError(f"no such field spec: {spec!r}")


def _bad(where: str, want: str, value: Any, problems: list[str]) -> Any:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "…"
    problems.append(f"{where} must be {want}, not {shown}: the default is used")
    return _UNSET


def check_analysis(raw: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """The analysis part of a layout, every field checked (``ANALYSIS``)."""
    got = check(raw, ANALYSIS, where, problems)
    return got if isinstance(got, dict) else {}
