"""Layout files: which charts exist, what each shows, and where the docks are (versioned JSON).

    {"format": "streamscope-layout", "version": 1, "app": "streamscope 0.1.0",
     "charts": [{"id": "chart-1", "title": "fps", "streams": ["fps"], "window": 30.0,
                 "follow": true, "paused": false, "mode": "auto", "colors": {"fps": "#4fc3f7"}}],
     "qt": {"window_geometry": "<base64>", "window_state": "<base64>", "charts_state": "<base64>"}}

Charts refer to streams by name, so a layout fits any session that sends those names. Dock
positions are Qt's own saveState blobs (base64), keyed by chart ``id``. Readers ignore keys
they do not know and fill in missing ones, so older and newer files mostly just work; a file
that is not a layout, or whose ``version`` is newer than ``LAYOUT_VERSION``, is refused with a
``LayoutError`` that says why. Inside a readable file every field is checked
(``layout_check``): a bad one is named in ``Layout.problems`` and left to its default, the
rest applies; at most ``MAX_CHARTS`` charts are opened. A model endpoint in the file is never
adopted as such: it is kept in ``Layout.llm`` for the UI to offer (see ``adopt_llm``).
Qt-free: the UI turns a ``Layout`` into docks.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamscope import __version__
from streamscope.core.files.layout_check import (
    MAX_CHARTS,
    MAX_NAMES,
    MAX_WINDOW,
    check_analysis,
    cut_deep,
)
from streamscope.core.files.userdirs import write_atomically

LAYOUT_FORMAT = "streamscope-layout"
LAYOUT_VERSION = 1
QT_KEYS = ("window_geometry", "window_state", "charts_state")


class LayoutError(Exception):
    """A layout file that cannot be used; the message says why, for the user."""


@dataclass
class ChartLayout:
    id: str
    title: str
    streams: list[str] = field(default_factory=list)
    window: float | None = 30.0  # seconds; None = everything stored
    follow: bool = True
    paused: bool = False
    mode: str | None = None  # the render engine's per-chart override, if it has one
    colors: dict[str, str] = field(default_factory=dict)  # stream name -> "#rrggbb"
    decimation: str | None = None  # "minmax" or "lttb"; None = the chart's default


@dataclass
class Layout:
    charts: list[ChartLayout] = field(default_factory=list)
    qt: dict[str, bytes] = field(default_factory=dict)  # opaque Qt state blobs (QT_KEYS)
    analysis: dict[str, Any] = field(default_factory=dict)  # live analysis state, as it saved it
    # what reading the file found wrong (each one skipped or replaced by its default)
    problems: list[str] = field(default_factory=list, compare=False)
    # the model endpoint the file names ({"endpoint", "model", "timeout"}), not in ``analysis``:
    # a file must never choose where statistics are sent without the user agreeing
    llm: dict[str, Any] = field(default_factory=dict, compare=False)


def default_layout() -> Layout:
    """What a fresh start shows: no charts (the chart area explains how to make one)."""
    return Layout()


# ---------------------------------------------------------------- JSON


def dump_layout(layout: Layout) -> bytes:
    doc = {
        "format": LAYOUT_FORMAT,
        "version": LAYOUT_VERSION,
        "app": f"streamscope {__version__}",
        "charts": [
            {
                "id": c.id,
                "title": c.title,
                "streams": list(c.streams),
                "window": c.window,
                "follow": c.follow,
                "paused": c.paused,
                "mode": c.mode,
                "colors": dict(c.colors),
                "decimation": c.decimation,
            }
            for c in layout.charts
        ],
        "qt": {k: base64.b64encode(v).decode("ascii") for k, v in layout.qt.items()},
        "analysis": layout.analysis,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def parse_layout(data: bytes | str, where: str = "layout") -> Layout:
    """A ``Layout`` from file contents; ``LayoutError`` if it is not one we can read.

    Within a readable layout each field is checked: a bad one is reported in
    ``Layout.problems`` and replaced by its default, and the rest applies."""
    problems: list[str] = []
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        text, cuts = cut_deep(text)
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise LayoutError(f"{where} is not valid JSON ({e})") from None
    if cuts:
        problems.append(f"{cuts:,} value(s) nested deeper than 32 levels were left out")
    if not isinstance(doc, dict):
        raise LayoutError(f"{where} is not a StreamScope layout (expected a JSON object)")
    fmt = doc.get("format", LAYOUT_FORMAT)
    if fmt != LAYOUT_FORMAT:
        raise LayoutError(f"{where} is not a StreamScope layout (format {fmt!r})")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LayoutError(f"{where} has no valid layout version")
    if version > LAYOUT_VERSION:
        raise LayoutError(
            f"{where} was saved by a newer StreamScope (layout version {version}; this "
            f"version reads up to {LAYOUT_VERSION})"
        )
    out = Layout(problems=problems)
    charts = doc.get("charts", [])
    if not isinstance(charts, list):
        problems.append("'charts' must be a list: no charts opened")
        charts = []
    if len(charts) > MAX_CHARTS:
        problems.append(
            f"the layout has {len(charts):,} charts; only the first {MAX_CHARTS} were opened"
        )
    seen: set[str] = set()
    for i, raw in enumerate(charts[:MAX_CHARTS]):
        if not isinstance(raw, dict):
            problems.append(f"chart {i + 1} is not an object: skipped")
            continue
        chart = _chart(raw, i, problems)
        if chart.id in seen:  # ids key the dock positions: they must be unique
            chart.id = f"{chart.id}-{i + 1}"
        seen.add(chart.id)
        out.charts.append(chart)
    if "analysis" in doc:  # checked field by field; each part is applied on its own
        out.analysis = check_analysis(doc["analysis"], "analysis", problems)
        llm = out.analysis.pop("llm", {})
        if llm.get("endpoint"):
            out.llm = llm
    qt = doc.get("qt")
    if isinstance(qt, dict):
        for key in QT_KEYS:
            if isinstance(qt.get(key), str):
                # positions are a nicety: without them charts still come back, stacked
                with contextlib.suppress(binascii.Error, ValueError):
                    out.qt[key] = base64.b64decode(qt[key], validate=True)
    return out


def _chart(raw: dict[str, Any], i: int, problems: list[str]) -> ChartLayout:
    where = f"chart {i + 1}"

    def bad(key: str, want: str) -> None:
        shown = repr(raw[key])
        shown = shown if len(shown) <= 40 else shown[:37] + "…"
        problems.append(f"{where}: '{key}' must be {want}, not {shown}: the default is used")

    streams = raw.get("streams", [])
    if not isinstance(streams, list) or not all(isinstance(s, str) for s in streams):
        bad("streams", "a list of names")
        streams = [s for s in streams if isinstance(s, str)] if isinstance(streams, list) else []
    streams = list(dict.fromkeys(streams))
    if len(streams) > MAX_NAMES:
        problems.append(f"{where}: {len(streams):,} streams; only the first {MAX_NAMES} shown")
        streams = streams[:MAX_NAMES]
    cid = raw.get("id")
    title = raw.get("title")
    window = raw.get("window", 30.0)
    if window is not None and not (
        isinstance(window, int | float)
        and not isinstance(window, bool)
        and math.isfinite(window)
        and 0 < window <= MAX_WINDOW
    ):
        bad("window", f"seconds from 0 to {MAX_WINDOW:g}, or null for everything")
        window = 30.0
    colors = raw.get("colors")
    follow, paused = raw.get("follow"), raw.get("paused")
    for key, value, want in (
        ("follow", follow, bool), ("paused", paused, bool), ("colors", colors, dict),
        ("mode", raw.get("mode"), str), ("decimation", raw.get("decimation"), str),
    ):  # fmt: skip
        if key in raw and value is not None and not isinstance(value, want):
            bad(key, {bool: "true or false", dict: "an object", str: "text"}[want])
    return ChartLayout(
        id=cid if isinstance(cid, str) and cid else f"chart-{i + 1}",
        title=title if isinstance(title, str) and title else (", ".join(streams[:3]) or "Chart"),
        streams=streams,
        window=float(window) if window is not None else None,
        follow=follow if isinstance(follow, bool) else True,
        paused=paused if isinstance(paused, bool) else False,
        mode=raw.get("mode") if isinstance(raw.get("mode"), str) else None,
        colors={k: v for k, v in colors.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(colors, dict)
        else {},
        decimation=raw.get("decimation") if isinstance(raw.get("decimation"), str) else None,
    )


def adopt_llm(layout: Layout, adopt: bool) -> list[str]:
    """Put the layout's model endpoint into its analysis settings only when ``adopt`` (the user
    agreed, or the layout is the app's own); otherwise say it was left out."""
    endpoint = str(layout.llm.get("endpoint", ""))
    if not endpoint:
        return []
    if adopt:
        layout.analysis["llm"] = dict(layout.llm)
        return []
    return [
        f"the layout names the model endpoint {endpoint}; it was not used (statistics are "
        "sent only where you choose: Analysis ▸ Model endpoint…)"
    ]


def load_layout_file(path: str | Path) -> Layout:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LayoutError(f"cannot read layout {path}: {e.strerror or e}") from None
    return parse_layout(data, f"layout {path}")


def save_layout_file(path: str | Path, layout: Layout) -> None:
    write_atomically(Path(path), dump_layout(layout))
