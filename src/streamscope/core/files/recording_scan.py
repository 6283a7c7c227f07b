"""Reading a recording that may be damaged: every chunk checked, what is damaged skipped and told.

A recording is only as good as its disk: a copy cut short, a flipped bit, a file edited by
hand. SQLite notices a broken page ("database disk image is malformed") but not a chunk whose
row is intact and whose contents are wrong, so each chunk is checked before its samples are
used:

- from its row alone (``scan_chunks``): ``n`` between 1 and ``MAX_CHUNK``, both blobs exactly
  ``8 n`` bytes, ``t0 <= t1`` finite. ``n`` decides how much is allocated, so a crafted length
  can never ask for more than the file holds;
- with its samples (``check_times``): times non-decreasing, not NaN, equal to the row's
  ``t0``/``t1``, and not before the previous chunk of the stream.

Rows SQLite cannot read are stepped over (the scan resumes at the next readable row), and the
chunks missing from a stream's ``seq`` run are counted. ``ReadReport`` keeps the counts and
the first few reasons, for the CLI's message and the app's dialog. Nothing here imports Qt.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_DETAILS = 8  # reasons kept word for word; the rest are only counted
_PROBE_LINEAR = 64  # rows tried one by one after an unreadable page, before leaping
_PROBE_LEAPS = 40  # then leaps of 2**k rows: far enough for any file


@dataclass
class ChunkRef:
    """One chunk that passed the row checks: where it is and what it claims."""

    rowid: int
    seq: int
    n: int
    t0: float
    t1: float


@dataclass
class ReadReport:
    """What a damaged recording cost. ``ok`` when nothing was skipped."""

    skipped_chunks: int = 0  # chunks read but refused (bad sizes, times, lengths)
    skipped_samples: int = 0  # the samples those chunks claimed to hold
    missing_chunks: int = 0  # chunks that could not be read at all (gaps in a stream's seq)
    unreadable: int = 0  # places where SQLite reported a damaged page
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.skipped_chunks or self.missing_chunks or self.unreadable)

    def skip(self, where: str, why: str, samples: int) -> None:
        self.skipped_chunks += 1
        self.skipped_samples += samples
        self.note(f"{where}: {why}")

    def note(self, text: str) -> None:
        if len(self.details) < MAX_DETAILS:
            self.details.append(text)

    def summary(self) -> str:
        """One line: how much was skipped ("" when nothing was)."""
        if self.ok:
            return ""
        parts = []
        if self.skipped_chunks:
            parts.append(
                f"{self.skipped_chunks:,} damaged chunk{_s(self.skipped_chunks)} "
                f"({self.skipped_samples:,} sample{_s(self.skipped_samples)})"
            )
        if self.missing_chunks:
            parts.append(
                f"{self.missing_chunks:,} unreadable chunk{_s(self.missing_chunks)} "
                "(samples unknown)"
            )
        if self.unreadable and not self.missing_chunks:
            parts.append(f"{self.unreadable:,} damaged part{_s(self.unreadable)} of the file")
        return "skipped " + " and ".join(parts)

    def message(self) -> str:
        """The summary and the first reasons, one per line ("" when nothing was skipped)."""
        if self.ok:
            return ""
        more = self.skipped_chunks + self.unreadable - len(self.details)
        lines = [self.summary(), *(f"  {d}" for d in self.details)]
        if more > 0 and len(self.details) == MAX_DETAILS:
            lines.append("  …")
        return "\n".join(lines)


def _s(n: int) -> str:
    return "" if n == 1 else "s"


_ROW = (
    "SELECT rowid, stream, seq, n, t0, t1, typeof(t), length(t), typeof(v), length(v)"
    " FROM chunks WHERE rowid > ? ORDER BY rowid"
)


def _rows(con: sqlite3.Connection, report: ReadReport) -> Iterator[tuple[Any, ...]]:
    """Every readable chunk row (without its blobs), stepping over damaged pages."""
    last = 0
    while True:
        try:
            for row in con.execute(_ROW, (last,)):
                last = row[0]
                yield row
            return
        except sqlite3.DatabaseError as e:
            report.unreadable += 1
            report.note(f"chunks after row {last}: {e}")
            resume = _next_readable(con, last)
            if resume is None:
                return
            last = resume - 1


def _next_readable(con: sqlite3.Connection, last: int) -> int | None:
    """The first chunk row after ``last`` that SQLite can reach, or None (the end, or none)."""
    steps = [*range(2, _PROBE_LINEAR + 2), *(2**k for k in range(7, _PROBE_LEAPS))]
    for step in steps:
        try:
            row = con.execute(
                "SELECT rowid FROM chunks WHERE rowid >= ? ORDER BY rowid LIMIT 1", (last + step,)
            ).fetchone()
        except sqlite3.DatabaseError:
            continue
        return None if row is None else int(row[0])
    return None


def _finite(x: object) -> bool:
    return isinstance(x, float | int) and not isinstance(x, bool) and np.isfinite(x)


def scan_chunks(
    con: sqlite3.Connection, names: dict[int, str], max_chunk: int, report: ReadReport
) -> dict[int, list[ChunkRef]]:
    """The chunks of each stream (id -> chunks in ``seq`` order) that pass the row checks;
    ``names`` gives each known stream's label for messages."""
    out: dict[int, list[ChunkRef]] = {}
    for rowid, stream, seq, n, t0, t1, tt, tlen, vt, vlen in _rows(con, report):
        where = f"{names[stream]}, chunk {seq}" if stream in names else f"chunk row {rowid}"
        claimed = (
            n
            if isinstance(n, int) and 0 < n <= max_chunk
            else min(max(tlen or 0, vlen or 0) // 8, max_chunk)
        )
        if stream not in names:
            report.skip(where, "belongs to no stream in the file", claimed)
        elif not isinstance(seq, int) or seq < 0:
            report.skip(where, f"bad sequence number {seq!r}", claimed)
        elif not isinstance(n, int) or not 0 < n <= max_chunk:
            report.skip(where, f"bad sample count {n!r}", claimed)
        elif tt != "blob" or vt != "blob" or tlen != 8 * n or vlen != 8 * n:
            report.skip(where, f"cut short or padded ({tlen} and {vlen} bytes for {n} samples)", n)
        elif not (_finite(t0) and _finite(t1) and t0 <= t1):
            report.skip(where, f"bad time range {t0!r} … {t1!r}", n)
        else:
            out.setdefault(stream, []).append(ChunkRef(rowid, seq, n, float(t0), float(t1)))
    for stream, chunks in out.items():
        chunks.sort(key=lambda c: c.seq)
        seqs = {c.seq for c in chunks}
        gaps = chunks[-1].seq + 1 - len(seqs)  # seqs run 0, 1, 2, … as written
        if gaps:
            report.missing_chunks += gaps
            report.note(f"{names[stream]}: {gaps} chunk{_s(gaps)} missing")
    return out


def check_times(t: np.ndarray, ref: ChunkRef, after: float) -> str:
    """Why a chunk's times cannot be used ("" if they can): they must run forward from
    ``after`` (the previous chunk's last time) and match the row's ``t0``/``t1``."""
    if np.isnan(t).any():
        return "a time is NaN"
    if t[0] != ref.t0 or t[-1] != ref.t1:
        return "times do not match the chunk's range"
    if len(t) > 1 and not (t[1:] >= t[:-1]).all():
        return "times go back"
    if t[0] < after:
        return "times go back from the previous chunk"
    return ""
