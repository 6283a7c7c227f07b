"""Recordings: every live session's samples appended to one SQLite file, and read back.

Why SQLite in WAL mode with chunked float64 blobs:
- crash-safe: a committed transaction survives ``kill -9`` (WAL with ``synchronous=NORMAL``
  only risks the last commits on power loss), and a torn write can never corrupt what was
  committed before. The writer commits every ``FLUSH_INTERVAL`` seconds, so a crash loses at
  most that much;
- appendable: new sessions and chunks are rows; nothing is rewritten;
- fast: a chunk is one row holding up to ``MAX_CHUNK`` samples as raw little-endian float64
  (16 bytes per sample, ~10M samples/s on one core), so the per-sample cost is a memcpy;
- embedded and inspectable: the stdlib ``sqlite3`` reads it, so do other tools.

The writer is a store sink. The ingest thread copies each batch into a per-stream staging
buffer (one memcpy, microseconds); a full buffer is a finished chunk. A worker thread takes
the finished chunks and the partial buffers every ``FLUSH_INTERVAL`` and inserts them; sqlite
releases the GIL while it writes, so the GUI thread hardly notices. Nothing here imports Qt.

File layout (``FORMAT_VERSION`` 1): ``meta(key, value)``; ``sessions(id, key, product, play,
client, peer, started, ended, origin)``; ``streams(id, session, name)``;
``chunks(stream, seq, n, t0, t1, t, v)`` with ``t``/``v`` the samples of one stream in order.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from streamscope import __version__
from streamscope.core.files.progress import Progress, no_progress
from streamscope.core.files.recording_scan import ChunkRef, ReadReport, check_times, scan_chunks
from streamscope.core.store.store import Session, Store, StoreError

log = logging.getLogger(__name__)

FORMAT = "streamscope-recording"
FORMAT_VERSION = 1
SUFFIX = ".ssrec"
MAX_CHUNK = 65_536  # samples per row: big enough to make rows cheap, small enough to stream
STAGE_MIN = 1_024  # a staging buffer starts this small and doubles: quiet streams stay cheap
FLUSH_INTERVAL = 0.25  # seconds between commits: what a crash can lose
WAKE_SAMPLES = 1_000_000  # a backlog this big is written at once (bounds memory at high rates)
_LE = np.dtype("<f8")
# A write-thread operation: ("chunk", key, t, v), ("session", ...), ("origin", ...), ("ended", ...)
_Op = tuple[Any, ...]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    product TEXT NOT NULL,
    play INTEGER,
    client TEXT NOT NULL DEFAULT '',
    peer TEXT NOT NULL DEFAULT '',
    started REAL NOT NULL,
    ended REAL,
    origin REAL
);
CREATE TABLE IF NOT EXISTS streams(
    id INTEGER PRIMARY KEY,
    session INTEGER NOT NULL REFERENCES sessions(id),
    name TEXT NOT NULL,
    UNIQUE(session, name)
);
CREATE TABLE IF NOT EXISTS chunks(
    stream INTEGER NOT NULL REFERENCES streams(id),
    seq INTEGER NOT NULL,
    n INTEGER NOT NULL,
    t0 REAL NOT NULL,
    t1 REAL NOT NULL,
    t BLOB NOT NULL,
    v BLOB NOT NULL,
    UNIQUE(stream, seq)
);
"""


class RecordingError(Exception):
    """A recording that cannot be created, written or read; the message says why."""


def session_title(product: str, play: int | None) -> str:
    """The name a session had live (the store's ``Session.name`` rule)."""
    return f"{product} — Play #{play}" if play else product


# ---------------------------------------------------------------- writing


def _rowid(cur: sqlite3.Cursor) -> int:
    """The id of the row ``cur`` just inserted (sqlite sets it on every INSERT)."""
    rowid = cur.lastrowid
    if rowid is None:
        raise sqlite3.DatabaseError("an INSERT gave no row id")
    return rowid


@dataclass
class _Pending:
    """What the ingest thread handed over since the last commit, in arrival order."""

    ops: list[_Op] = field(default_factory=list)
    samples: int = 0


class _Staging:
    """One stream's samples since its last chunk, in a buffer that grows up to MAX_CHUNK."""

    __slots__ = ("n", "t", "v")

    def __init__(self, size: int) -> None:
        self.t = np.empty(size, _LE)
        self.v = np.empty(size, _LE)
        self.n = 0

    def put(self, t: np.ndarray, v: np.ndarray) -> None:
        end = self.n + len(t)
        if end > len(self.t):
            size = min(MAX_CHUNK, max(2 * len(self.t), end))
            self.t = np.concatenate([self.t[: self.n], np.empty(size - self.n, _LE)])
            self.v = np.concatenate([self.v[: self.n], np.empty(size - self.n, _LE)])
        self.t[self.n : end] = t
        self.v[self.n : end] = v
        self.n = end

    def chunk(self, key: tuple[str, str]) -> _Op:
        return ("chunk", key, self.t[: self.n], self.v[: self.n])


class RecordingWriter:
    """Appends every live session of a store to ``path`` from a background thread.

    ``attach(store)`` also writes what the store holds already (so switching recording on
    keeps the session you are watching); ``close()`` writes the rest and closes the file.
    """

    def __init__(
        self, path: str | Path, flush_interval: float = FLUSH_INTERVAL, internal: bool = False
    ) -> None:
        self.path = Path(path)
        self.flush_interval = flush_interval
        self.internal = internal  # also record the app's own health session (asked for)
        self.samples_written = 0
        self.error: str | None = None
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._staging: dict[tuple[str, str], _Staging] = {}
        self._fast: set[tuple[str, str]] = set()  # streams that filled a chunk: start full size
        self._wake = threading.Event()
        self._stopping = False
        self._origins: set[str] = set()
        self._sessions: set[str] = set()
        self._create()
        self._thread = threading.Thread(target=self._run, name="recording-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ set-up

    def _create(self) -> None:
        """Create (or validate, to append to) the file now, so errors reach the caller."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = _connect(self.path)
            try:
                existing = _tables(con)
                if "meta" in existing:
                    _check_meta(con, self.path)
                con.executescript(SCHEMA)
                with con:
                    for key, value in (
                        ("format", FORMAT),
                        ("version", str(FORMAT_VERSION)),
                        ("created_by", f"streamscope {__version__}"),
                        ("created", repr(time.time())),
                    ):
                        con.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))
            finally:
                con.close()
        except (OSError, sqlite3.Error) as e:
            raise RecordingError(f"cannot record to {self.path}: {e}") from None

    def attach(self, store: Store, backfill: bool = True) -> None:
        """Record ``store`` from now on; with ``backfill``, first what it holds already."""
        if backfill:
            for session in list(store.sessions.values()):
                if not self._records(session):
                    continue
                self.session_opened(session)
                for name, stream in session.streams.items():
                    if len(stream):
                        self.samples_added(session, name, stream.ring.t, stream.ring.v)
                if not session.live:
                    self.session_ended(session)
        store.add_sink(self)
        self._store = store

    # ------------------------------------------------------------ the sink (ingest thread)

    def _records(self, session: Session) -> bool:
        """Live sessions; not those on disk already, nor the app's own unless asked for."""
        return not session.source and (self.internal or not session.internal)

    def session_opened(self, session: Session) -> None:
        if not self._records(session) or self.error:
            return
        self._sessions.add(session.id)
        self._put(("session", session.id, session.product, session.play, session.client,
                   session.peer, session.started, session.origin))  # fmt: skip
        if session.origin is not None:
            self._origins.add(session.id)

    def session_ended(self, session: Session) -> None:
        if session.id in self._sessions:
            self._put(("ended", session.id, session.ended))

    def session_resumed(self, session: Session) -> None:
        if session.id in self._sessions:
            self._put(("ended", session.id, None))

    def samples_added(self, session: Session, name: str, t: np.ndarray, v: np.ndarray) -> None:
        if session.id not in self._sessions or self.error:
            return  # a session read back from a recording, or one from before attach()
        if session.id not in self._origins and session.origin is not None:
            self._origins.add(session.id)
            self._put(("origin", session.id, session.origin))
        key = (session.id, name)
        n = len(t)
        with self._lock:  # copied here: the caller's arrays may be views into a moving ring
            buf = self._staging.get(key)
            i = 0
            while i < n:
                if buf is None:
                    size = MAX_CHUNK if key in self._fast else max(STAGE_MIN, n - i)
                    buf = self._staging[key] = _Staging(min(MAX_CHUNK, size))
                take = min(MAX_CHUNK - buf.n, n - i)
                buf.put(t[i : i + take], v[i : i + take])
                i += take
                if buf.n == MAX_CHUNK:
                    self._fast.add(key)
                    self._pending.ops.append(buf.chunk(key))
                    del self._staging[key]
                    buf = None
            self._pending.samples += n
            wake = self._pending.samples >= WAKE_SAMPLES
        if wake:
            self._wake.set()

    def _put(self, op: _Op) -> None:
        with self._lock:
            self._pending.ops.append(op)

    def _take(self) -> _Pending:
        """Everything handed over so far, partial chunks last (they are the newest)."""
        with self._lock:
            pending, self._pending = self._pending, _Pending()
            staging, self._staging = self._staging, {}
        pending.ops.extend(buf.chunk(key) for key, buf in staging.items() if buf.n)
        return pending

    @property
    def backlog(self) -> int:
        """Samples handed over but not yet committed."""
        return self._pending.samples

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def size_bytes(self) -> int:
        """The file's size on disk, including the part still in the WAL."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total

    # ------------------------------------------------------------ the writer thread

    def _run(self) -> None:
        try:
            con = _connect(self.path)
        except sqlite3.Error as e:
            self.error = f"cannot open {self.path}: {e}"
            return
        writer = _ChunkWriter(con)
        try:
            while True:
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                stopping = self._stopping
                pending = self._take()
                if pending.ops:
                    writer.write(pending.ops)
                    self.samples_written += pending.samples
                if stopping:
                    writer.end_open_sessions(time.time())
                    break
        except (sqlite3.Error, OSError) as e:
            self.error = f"recording stopped: {e}"
            log.error("recording to %s failed: %s", self.path, e)
        finally:
            with contextlib.suppress(sqlite3.Error):
                if self.error is None:
                    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file
                con.close()

    def close(self, timeout: float | None = 30.0) -> None:
        """Stop recording: write everything handed over, mark open sessions ended, close."""
        if self._store is not None:
            self._store.remove_sink(self)
            self._store = None
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _ChunkWriter:
    """The writer thread's side: ids, sequence numbers, one transaction per flush."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.sessions: dict[str, int] = {}  # store session id -> row id
        self.streams: dict[tuple[str, str], int] = {}
        self.seq: dict[int, int] = {}
        self.open: set[int] = set()

    def write(self, ops: list[_Op]) -> None:
        con = self.con
        with con:  # one transaction: all of it or none of it
            for op in ops:
                kind = op[0]
                if kind == "chunk":
                    (key, name), t, v = op[1], op[2], op[3]
                    if key in self.sessions:
                        self._chunk(self._stream(key, name), t, v)
                elif kind == "session":
                    key, product, play, client, peer, started, origin = op[1:]
                    cur = con.execute(
                        "INSERT INTO sessions(key, product, play, client, peer, started, origin)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (key, product, play, client, peer, started, origin),
                    )
                    self.sessions[key] = sid = _rowid(cur)
                    self.open.add(sid)
                elif kind == "origin" and op[1] in self.sessions:
                    sid = self.sessions[op[1]]
                    con.execute("UPDATE sessions SET origin = ? WHERE id = ?", (op[2], sid))
                elif kind == "ended" and op[1] in self.sessions:
                    sid = self.sessions[op[1]]
                    con.execute("UPDATE sessions SET ended = ? WHERE id = ?", (op[2], sid))
                    if op[2] is None:  # resumed: the client reconnected
                        self.open.add(sid)
                    else:
                        self.open.discard(sid)

    def _stream(self, key: str, name: str) -> int:
        sid = self.streams.get((key, name))
        if sid is None:
            cur = self.con.execute(
                "INSERT INTO streams(session, name) VALUES (?, ?)", (self.sessions[key], name)
            )
            sid = self.streams[(key, name)] = _rowid(cur)
            self.seq[sid] = 0
        return sid

    def _chunk(self, stream: int, t: np.ndarray, v: np.ndarray) -> None:
        # memoryviews (``.data``): sqlite copies straight from the arrays, no bytes in between
        self.con.execute(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
            (stream, self.seq[stream], len(t), t[0], t[-1], t.data, v.data),
        )
        self.seq[stream] += 1

    def end_open_sessions(self, when: float) -> None:
        """Sessions still live when recording stops end there (in the file)."""
        with self.con:
            self.con.executemany(
                "UPDATE sessions SET ended = ? WHERE id = ? AND ended IS NULL",
                [(when, sid) for sid in self.open],
            )
        self.open.clear()


# ---------------------------------------------------------------- reading


@dataclass
class RecordedStream:
    id: int
    name: str
    count: int
    t0: float | None
    t1: float | None


@dataclass
class RecordedSession:
    id: int
    key: str
    product: str
    play: int | None
    client: str
    peer: str
    started: float
    ended: float | None
    origin: float | None
    streams: list[RecordedStream] = field(default_factory=list)

    @property
    def name(self) -> str:
        return session_title(self.product, self.play)

    @property
    def count(self) -> int:
        return sum(s.count for s in self.streams)


class Recording:
    """A recording opened for reading: its sessions and streams, and their samples on demand.

    Reading works while the file is being written (by this or another process) and after a
    crash: only committed chunks are seen. A damaged file reads what is intact: every chunk is
    checked (``recording_scan``), the damaged ones are skipped and counted in ``report``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.report = ReadReport()
        if not self.path.is_file():
            raise RecordingError(f"{self.path}: no such file")
        try:
            self._con = _connect_read(self.path)
            if "meta" not in _tables(self._con):
                raise RecordingError(f"{self.path} is not a StreamScope recording")
            _check_meta(self._con, self.path)
            self.sessions = self._summary()
        except sqlite3.DatabaseError as e:
            raise RecordingError(f"{self.path} is not a StreamScope recording ({e})") from None

    def _summary(self) -> list[RecordedSession]:
        con, report = self._con, self.report
        sessions: dict[int, RecordedSession] = {}
        for row in _readable(con, report, "sessions",
                             "SELECT id, key, product, play, client, peer, started, ended,"
                             " origin FROM sessions ORDER BY id"):  # fmt: skip
            if isinstance(row[0], int) and isinstance(row[2], str) and _number(row[6]):
                sessions[row[0]] = RecordedSession(*row)
            else:
                report.note(f"session row {row[0]!r} is damaged: skipped")
        streams: dict[int, tuple[int, str]] = {}
        for sid, session, name in _readable(
            con, report, "streams", "SELECT id, session, name FROM streams ORDER BY id"
        ):
            if session in sessions and isinstance(sid, int) and isinstance(name, str):
                streams[sid] = (session, name)
        names = {sid: f"{sessions[se].name} / {name}" for sid, (se, name) in streams.items()}
        self._chunks = scan_chunks(con, names, MAX_CHUNK, report)
        for sid, (session, name) in streams.items():
            chunks = self._chunks.get(sid, [])
            count = sum(c.n for c in chunks)
            t0 = min((c.t0 for c in chunks), default=None)
            t1 = max((c.t1 for c in chunks), default=None)
            sessions[session].streams.append(RecordedStream(sid, name, count, t0, t1))
        return list(sessions.values())

    @property
    def total_samples(self) -> int:
        return sum(s.count for s in self.sessions)

    def stream_names(self) -> list[str]:
        """Every stream name in the file, in first-seen order."""
        return list(dict.fromkeys(st.name for s in self.sessions for st in s.streams))

    def read(
        self, stream: RecordedStream, progress: Progress = no_progress, done: int = 0,
        total: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """All intact samples of ``stream`` in order; ``progress`` is told after every chunk.

        A chunk that fails its checks is skipped and counted in ``report``; afterwards
        ``stream.count`` is what was read. Memory is bounded by the file's size whatever
        the chunk rows claim."""
        total = stream.count if total is None else total
        refs = self._chunks.get(stream.id, [])
        size = min(stream.count, self._file_bytes() // 16 + 1)
        t = np.empty(size, _LE)
        v = np.empty(size, _LE)
        at, after = 0, -np.inf
        label = f"{self._session_name(stream)} / {stream.name}"
        for ref, blobs in self._blobs(stream, refs):
            if blobs is None:
                self.report.skip(f"{label}, chunk {ref.seq}", "unreadable", ref.n)
                continue
            tc = np.frombuffer(blobs[0], _LE, ref.n)
            why = check_times(tc, ref, after)
            if why:
                self.report.skip(f"{label}, chunk {ref.seq}", why, ref.n)
                continue
            if at + ref.n > len(t):  # never for a sound file: the rows' sizes are real
                t = np.concatenate([t[:at], np.empty(at + ref.n, _LE)])
                v = np.concatenate([v[:at], np.empty(at + ref.n, _LE)])
            t[at : at + ref.n] = tc
            v[at : at + ref.n] = np.frombuffer(blobs[1], _LE, ref.n)
            at += ref.n
            after = float(tc[-1])
            progress(done + at, total)
        stream.count = at
        return t[:at], v[:at]

    def _blobs(
        self, stream: RecordedStream, refs: list[ChunkRef]
    ) -> Iterable[tuple[ChunkRef, tuple[bytes, bytes] | None]]:
        """Each checked chunk with its blobs (None: SQLite could not read them), in order:
        one query for the stream, then row by row from where a damaged page stopped it."""
        by_rowid = {r.rowid: r for r in refs}
        seen: set[int] = set()
        try:
            for rowid, tb, vb in self._con.execute(
                "SELECT rowid, t, v FROM chunks WHERE stream = ? ORDER BY seq", (stream.id,)
            ):
                ref = by_rowid.get(rowid)
                if ref is not None:  # else: damaged (counted by the scan) or newer than it
                    seen.add(rowid)
                    yield ref, (tb, vb)
            return
        except sqlite3.DatabaseError:
            pass
        for ref in refs:
            if ref.rowid in seen:
                continue
            try:
                row = self._con.execute(
                    "SELECT t, v FROM chunks WHERE rowid = ?", (ref.rowid,)
                ).fetchone()
            except sqlite3.DatabaseError:
                row = None
            yield ref, (row[0], row[1]) if row and len(row[0]) == len(row[1]) == 8 * ref.n else None

    def _session_name(self, stream: RecordedStream) -> str:
        return next((s.name for s in self.sessions if stream in s.streams), "?")

    def _file_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total

    def read_session(
        self, session: RecordedSession, progress: Progress = no_progress, done: int = 0,
        total: int | None = None,
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
        total = session.count if total is None else total
        out = {}
        for st in session.streams:
            claimed = st.count
            out[st.name] = self.read(st, progress, done, total)
            done += claimed
        return out

    def read_all(
        self, progress: Progress = no_progress
    ) -> list[tuple[RecordedSession, dict[str, tuple[np.ndarray, np.ndarray]]]]:
        """Every session with its samples (what ``add_to_store`` takes)."""
        total, done, out = self.total_samples, 0, []
        progress(0, total)
        for session in self.sessions:
            claimed = session.count
            out.append((session, self.read_session(session, progress, done, total)))
            done += claimed
        return out

    def notes(self) -> list[str]:
        """What a reader should be told on opening (nothing: an MCAP file may have some)."""
        return []

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _readable(con: sqlite3.Connection, report: ReadReport, table: str, sql: str) -> list[Any]:
    """The rows of a small table up to where SQLite finds it damaged (then noted)."""
    rows: list[Any] = []
    try:
        rows.extend(con.execute(sql))
    except sqlite3.DatabaseError as e:
        report.unreadable += 1
        report.note(f"the {table} table is damaged after {len(rows)} rows: {e}")
    return rows


def _number(x: object) -> bool:
    return isinstance(x, float | int) and not isinstance(x, bool)


def add_to_store(
    store: Store,
    source: str | Path,
    sessions: Iterable[tuple[RecordedSession, dict[str, tuple[np.ndarray, np.ndarray]]]],
) -> tuple[list[Session], list[str]]:
    """Put sessions read from a recording into ``store`` (ended, named after the file);
    returns the new sessions and the problems met (a stream the store refused)."""
    added, problems = [], []
    label = Path(source).stem
    for rec, data in sessions:
        try:
            added.append(
                store.load_session(
                    f"{rec.name} ({label})",
                    data,
                    source=str(source),
                    started=rec.started,
                    ended=rec.ended,
                    origin=rec.origin,
                    client=rec.client,
                    peer=rec.peer,
                )
            )
        except StoreError as e:
            problems.append(f"{rec.name}: {e}")
    return added, problems


# ---------------------------------------------------------------- helpers


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    con.isolation_level = "DEFERRED"  # `with con:` then wraps a transaction
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


def _connect_read(path: Path) -> sqlite3.Connection:
    """Read-only where possible (opening a recording never changes it).

    ``writable_schema`` lets SQLite open a file cut short (it otherwise refuses one whose
    header counts more pages than the file has); nothing is written through it.
    ``cell_size_check`` makes it verify each row's size on its page."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        _lenient(con)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        con = sqlite3.connect(path)
        _lenient(con)
        return con


def _lenient(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA writable_schema=ON")
    con.execute("PRAGMA cell_size_check=ON")


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _check_meta(con: sqlite3.Connection, path: Path) -> None:
    meta = dict(con.execute("SELECT key, value FROM meta"))
    if meta.get("format") != FORMAT:
        raise RecordingError(f"{path} is not a StreamScope recording")
    try:
        version = int(meta.get("version", ""))
    except ValueError:
        raise RecordingError(f"{path}: unreadable format version") from None
    if version > FORMAT_VERSION:
        raise RecordingError(
            f"{path} was written by a newer StreamScope (recording format {version}; this "
            f"version reads up to {FORMAT_VERSION}). Update StreamScope to open it."
        )
