"""CSV export of exact stored samples (never the decimated drawing), in one wide table.

    session,time,fps,memory_usage_mb
    Demo Game — Play #1,0.1,59.87,420.4
    Demo Game — Play #1,0.1005,,

- one row per distinct session-relative ``time`` (seconds since the session's origin, what the
  chart's x axis shows); streams sampled at the same instants share rows, so a Unity frame's
  metrics sit on one line. A stream holding two samples at one time gets two rows.
- an empty cell: that stream has no sample at that time; ``nan``: a stored gap (a null value).
- numbers are Python's shortest round-trip ``repr``: ``float(cell)`` gives back the stored
  float64 bit for bit. ``session`` names the session the row belongs to; sessions follow
  each other in the file.
- text cells (the header, session names) never run as spreadsheet formulas: one starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's rule for
  CSV injection). Stream and session names come from the game, i.e. from any peer.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

import numpy as np

from streamscope.core.files.progress import Progress, no_progress

if TYPE_CHECKING:
    from streamscope.core.files.sources import RecordingSource

ROWS_PER_BLOCK = 50_000  # rows formatted at once: progress and cancel granularity

Series = tuple[np.ndarray, np.ndarray]  # session-relative times, values


def merge_rows(series: list[Series]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The table's row times and, per series, the row of each of its samples.

    A row is a distinct (time, repeat) pair, where repeat counts earlier samples of the same
    series at the same time; rows sort by time, then repeat. Each series' times must be
    non-decreasing (as stored).
    """
    if series and _shared_strict_times(series):  # one clock for all (Unity packets): no merge
        x = series[0][0]
        rows = np.arange(len(x))
        return x, [rows] * len(series)
    xs, reps = [], []
    for x, _ in series:
        xs.append(x)
        reps.append(np.arange(len(x)) - np.searchsorted(x, x, "left"))
    if not xs:
        return np.empty(0), []
    x_all = np.concatenate(xs)
    r_all = np.concatenate(reps)
    order = np.lexsort((r_all, x_all))
    xs_sorted, rs_sorted = x_all[order], r_all[order]
    del x_all, r_all, reps
    new_row = np.ones(len(order), bool)
    new_row[1:] = (xs_sorted[1:] != xs_sorted[:-1]) | (rs_sorted[1:] != rs_sorted[:-1])
    del rs_sorted
    row_of = np.empty(len(order), np.int64)
    row_of[order] = np.cumsum(new_row) - 1
    del order
    bounds = np.cumsum([0] + [len(x) for x in xs])
    return xs_sorted[new_row], [row_of[a:b] for a, b in itertools.pairwise(bounds)]


def _shared_strict_times(series: list[Series]) -> bool:
    """All series have the very same, strictly increasing times."""
    x = series[0][0]
    if len(x) > 1 and not (x[1:] > x[:-1]).all():
        return False
    return all(s[0] is x or np.array_equal(s[0], x) for s in series[1:])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula


def text_cell(text: str) -> str:
    """``text`` made safe to open in a spreadsheet: a leading ``'`` where it could start a
    formula (OWASP's CSV injection rule). Only for text; numbers are written as they are."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _quote(field: str) -> str:
    """One text cell: neutralised (``text_cell``), then quoted as CSV needs."""
    buf = io.StringIO()  # the default line terminator: a CR or LF inside makes a quoted cell
    csv.writer(buf, lineterminator="\r\n").writerow([text_cell(field)])
    return buf.getvalue()[:-2]


class CsvWriter:
    """Writes the header once, then sessions one after another."""

    def __init__(self, out: TextIO, columns: list[str]) -> None:
        self.out = out
        self.columns = list(columns)
        self.rows = 0
        out.write(",".join(_quote(c) for c in ["session", "time", *self.columns]) + "\n")

    def write_session(
        self,
        session: str,
        streams: dict[str, Series],
        progress: Progress = no_progress,
        done: int = 0,
        total: int | None = None,
    ) -> int:
        """Write one session's streams (keyed by column name); returns the rows written.
        ``progress`` counts samples: ``done`` before this session, out of ``total``."""
        present = [c for c in self.columns if c in streams]
        series = [streams[c] for c in present]
        n_samples = sum(len(x) for x, _ in series)
        total = n_samples if total is None else total
        times, rows_of = merge_rows(series)
        label = _quote(session)
        col_of = {c: i for i, c in enumerate(self.columns)}
        starts = [0] * len(series)
        for r0 in range(0, len(times), ROWS_PER_BLOCK):
            r1 = min(r0 + ROWS_PER_BLOCK, len(times))
            cells = [[""] * (r1 - r0) for _ in self.columns]
            for k, (c, (_, v), rows) in enumerate(zip(present, series, rows_of, strict=True)):
                a = starts[k]
                b = int(np.searchsorted(rows, r1, "left"))
                if b > a:
                    col = np.full(r1 - r0, "", dtype=object)
                    col[rows[a:b] - r0] = list(map(repr, v[a:b].tolist()))
                    cells[col_of[c]] = col.tolist()
                starts[k] = b
                done += b - a
            lines = zip(
                itertools.repeat(label), map(repr, times[r0:r1].tolist()), *cells, strict=False
            )
            self.out.write("\n".join(map(",".join, lines)) + "\n")
            progress(done, total)
        self.rows += len(times)
        return len(times)


def write_csv_file(
    path: str | Path,
    columns: list[str],
    sessions: Iterable[tuple[str, dict[str, Series]]],
    progress: Progress = no_progress,
) -> int:
    """Write ``sessions`` (name, {column: (x, v)}) to ``path``; returns the rows written.

    Written to a temporary name and renamed at the end: a cancelled or failed export never
    leaves a partial file behind, nor replaces a good one.
    """
    sessions = list(sessions)
    total = sum(len(x) for _, streams in sessions for x, _ in streams.values())
    with _atomic_text(path) as out:
        writer = CsvWriter(out, columns)
        done = 0
        for name, streams in sessions:
            writer.write_session(name, streams, progress, done, total)
            done += sum(len(x) for x, _ in streams.values())
        return writer.rows


def export_recording_csv(
    recording: RecordingSource,
    path: str | Path,
    progress: Progress = no_progress,
    streams: list[str] | None = None,
) -> int:
    """Convert a recording or an MCAP file (all sessions, or only the named ``streams``) to CSV.

    One session is in memory at a time. ``progress`` counts each sample twice: read, written.
    """
    columns = [n for n in recording.stream_names() if streams is None or n in streams]
    wanted = set(columns)
    parts = [(s, [st for st in s.streams if st.name in wanted]) for s in recording.sessions]
    total = 2 * sum(st.count for _, sts in parts for st in sts)
    done = 0
    with _atomic_text(path) as out:
        writer = CsvWriter(out, columns)
        for session, sts in parts:
            if not sts:
                continue
            origin = session.origin or 0.0
            data: dict[str, Series] = {}
            for st in sts:
                t, v = recording.read(st, progress, done, total)
                data[st.name] = (t - origin, v)
                done += st.count
            count = sum(len(t) for t, _ in data.values())
            writer.write_session(session.name, data, progress, done, total)
            done += count
        progress(total, total)
        return writer.rows


class _atomic_text:
    """A text file written under a temporary name, renamed into place on success only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.partial")

    def __enter__(self) -> TextIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.tmp, "w", encoding="utf-8", newline="")
        return self.file

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.file.close()
        if kind is None:
            os.replace(self.tmp, self.path)
        else:  # cancelled or failed: no partial file, and an older good one stays
            self.tmp.unlink(missing_ok=True)
