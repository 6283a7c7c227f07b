"""The time windows a chart, the value tiles and the other views offer: one list, so a choice
means the same span everywhere (views that need fewer or more derive theirs from it)."""

from __future__ import annotations

WINDOWS: list[tuple[str, float | None]] = [
    ("10 s", 10.0),
    ("30 s", 30.0),
    ("60 s", 60.0),
    ("5 min", 300.0),
    ("All", None),
]
