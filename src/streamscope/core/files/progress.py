"""Progress reporting for long work (opening or exporting a large recording).

Long functions take ``progress(done, total)``; the caller's callback may raise ``Cancelled``
to stop them, so the work itself needs no knowledge of threads, dialogs or terminals.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]


class Cancelled(Exception):
    """The user stopped the work; partial output has been removed."""


def no_progress(done: int, total: int) -> None:
    """The default callback: report nothing, never cancel."""
