"""MCAP export: sessions as JSON messages that Foxglove and PlotJuggler plot.

Why this shape (see docs/files.md):
- one channel per session, topic ``/<product>/play<n>`` (or the session's sanitised name); a
  ``jsonschema`` schema describing the message object (PlotJuggler refuses a channel without a
  schema, Foxglove plots JSON when the schema encoding is ``jsonschema``), message encoding
  ``json``;
- one message per timestamp row: streams sampled together share a message (the rows of
  ``csvexport.merge_rows``); names nest on ``/`` (``imu/ax`` → ``{"imu": {"ax": …}}``), so
  PlotJuggler shows ``/topic/imu/ax`` and Foxglove ``.imu.ax``. A name that is also the prefix
  of another (``fps`` and ``fps/mean_1s``) cannot nest: the longer one goes to its own topic
  (``/topic/fps`` carrying ``{"mean_1s": …}``), so the flattened names are the same;
- ``log_time`` = the session's wall-clock start + t, in ns (epoch times are used as they are);
  gaps (NaN) as ``null``; floats in the shortest form that reads back bit for bit (orjson);
- zstd chunks, and a ``streamscope.session`` metadata record per session.

Messages are built per block of rows without a per-message dict: each column is formatted
once (``orjson.dumps`` of the whole column, split on commas), then rows are filled into a
byte template per pattern of present streams.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
from mcap.writer import CompressionType, Writer

from streamscope import __version__
from streamscope.core.files.csvexport import Series, merge_rows
from streamscope.core.files.progress import Progress, no_progress
from streamscope.core.files.recording import RecordedSession, Recording
from streamscope.core.store.store import Session, Store
from streamscope.core.store.timecheck import EPOCH_THRESHOLD

SUFFIX = ".mcap"
SCHEMA_ENCODING = "jsonschema"
MESSAGE_ENCODING = "json"
METADATA_NAME = "streamscope.session"
ROWS_PER_BLOCK = 20_000  # rows turned into messages at once: progress and cancel granularity
CHUNK_SIZE = 4 * 1024 * 1024  # uncompressed bytes per MCAP chunk (zstd likes bigger blocks)

# A session to export: its fields, and a function that gives its streams' samples (called
# once, when the session's turn comes, so one session is in memory at a time).
Loader = Callable[[Progress, int, int], dict[str, Series]]


@dataclass
class ExportSession:
    info: RecordedSession
    load: Loader
    count: int  # samples, for progress


@dataclass
class ExportResult:
    path: Path
    channels: int = 0
    messages: int = 0
    samples: int = 0
    bytes: int = 0
    topics: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- names and schemas


def sanitise(text: str) -> str:
    """A topic segment: letters, digits, ``_ . -``; anything else becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "session"


def session_topic(session: RecordedSession) -> str:
    """``/<product>/play<n>``, or ``/<session name>`` for a session without a play number."""
    if session.play:
        return f"/{sanitise(session.product)}/play{session.play}"
    return f"/{sanitise(session.name)}"


def split_topics(names: Iterable[str]) -> dict[str, list[str]]:
    """Stream names grouped by the prefix they are published under ("" = the session's topic).

    A name goes under its longest proper prefix that is itself a stream name, so no message
    holds a key that is both a number and an object (``fps`` and ``fps/mean_1s``).
    """
    names = list(names)
    known = set(names)
    out: dict[str, list[str]] = {}
    for name in names:
        parts = name.split("/")
        prefix = ""
        for i in range(len(parts) - 1, 0, -1):
            candidate = "/".join(parts[:i])
            if candidate in known:
                prefix = candidate
                break
        out.setdefault(prefix, []).append(name)
    return out


def _relative(name: str, prefix: str) -> list[str]:
    return (name[len(prefix) + 1 :] if prefix else name).split("/")


def _tree(paths: list[list[str]]) -> dict[str, Any]:
    """Nested dict of keys; a leaf holds the index of its path in ``paths``."""
    root: dict[str, Any] = {}
    for i, parts in enumerate(paths):
        node = root
        for key in parts[:-1]:
            node = node.setdefault(key, {})
        node[parts[-1]] = i
    return root


def json_schema(paths: list[list[str]], title: str) -> dict[str, Any]:
    """The JSON Schema of a message holding these nested keys, each a number or null."""

    def obj(node: dict[str, Any]) -> dict[str, Any]:
        props = {
            key: obj(sub) if isinstance(sub, dict) else {"type": ["number", "null"]}
            for key, sub in node.items()
        }
        return {"type": "object", "properties": props}

    return {"title": title, **obj(_tree(paths))}


def template(paths: list[list[str]], present: list[int]) -> tuple[bytes, list[int]]:
    """A ``%b`` byte template of the message object holding the ``present`` paths, and the
    order in which their values fill it."""
    order: list[int] = []

    def obj(node: dict[str, Any]) -> bytes:
        parts = []
        for key, sub in node.items():
            k = orjson.dumps(key).replace(b"%", b"%%")
            if isinstance(sub, dict):
                parts.append(k + b":" + obj(sub))
            else:
                order.append(sub)
                parts.append(k + b":%b")
        return b"{" + b",".join(parts) + b"}"

    tree = _tree([paths[i] for i in present])
    body = obj(tree)
    return body, [present[i] for i in order]


# ---------------------------------------------------------------- messages


def format_values(v: np.ndarray) -> list[bytes]:
    """Each value as JSON: the shortest text that reads back to the same float64, NaN (and
    ±inf, which JSON cannot hold) as ``null``. One orjson call for the whole column."""
    if not len(v):
        return []
    return orjson.dumps(v.tolist())[1:-1].split(b",")


def row_messages(
    paths: list[list[str]], n_rows: int, cells: list[tuple[np.ndarray, list[bytes]]]
) -> list[bytes]:
    """The messages of ``n_rows`` rows; ``cells[k]`` = (rows of stream k's values in this
    block, the values as JSON text). A row holds the streams that have a sample in it."""
    if all(len(rows) == n_rows for rows, _ in cells):  # every stream in every row
        fmt, order = template(paths, list(range(len(paths))))
        return [fmt % row for row in zip(*(cells[k][1] for k in order), strict=True)]
    present = np.zeros((n_rows, len(paths)), bool)
    for k, (rows, _) in enumerate(cells):
        present[rows, k] = True
    patterns, which = np.unique(present, axis=0, return_inverse=True)
    which = which.reshape(-1)
    columns = []
    for rows, text in cells:
        col = np.empty(n_rows, object)
        col[rows] = text
        columns.append(col)
    out = np.empty(n_rows, object)
    for p, pattern in enumerate(patterns):
        ks = np.flatnonzero(pattern).tolist()
        if not ks:
            continue  # a row no stream of this channel has (another channel's row)
        at = np.flatnonzero(which == p)
        fmt, order = template(paths, ks)
        out[at] = [fmt % row for row in zip(*(columns[k][at].tolist() for k in order), strict=True)]
    return [m for m in out.tolist() if m is not None]


def log_times(session: RecordedSession, t: np.ndarray) -> np.ndarray:
    """ns since the epoch: the session's wall-clock start + t, or t itself if it is an epoch
    time already (a client that stamps samples with the wall clock)."""
    ns = np.rint(t * 1e9).astype(np.int64)
    if session.origin is not None and session.origin >= EPOCH_THRESHOLD:
        return ns
    return ns + epoch_ns(session.started)


def epoch_ns(seconds: float) -> int:
    """``seconds`` in ns, from its shortest decimal form: 1700000000.25 → ...250000000 exactly
    (``round(x * 1e9)`` is off by ~100 ns at this size)."""
    return int((Decimal(repr(seconds)) * 10**9).to_integral_value())


# ---------------------------------------------------------------- writing


def write_mcap(
    path: str | Path, sessions: list[ExportSession], progress: Progress = no_progress,
    read_share: int = 0,
) -> ExportResult:  # fmt: skip
    """Write ``sessions`` to ``path`` (replaced only when complete: a cancelled or failed
    export leaves no file). ``progress`` counts samples written; with ``read_share`` = 1,
    each sample counts once read (by the loader) and once written."""
    path = Path(path)
    result = ExportResult(path)
    total = (1 + read_share) * sum(s.count for s in sessions)
    done = 0
    progress(0, total)
    used: set[str] = set()
    with _atomic_binary(path) as out:
        writer = Writer(out, chunk_size=CHUNK_SIZE, compression=CompressionType.ZSTD)
        writer.start(profile="", library=f"streamscope {__version__}")
        for s in sessions:
            data = s.load(progress, done, total)
            done += read_share * s.count
            data = {n: tv for n, tv in data.items() if len(tv[0])}
            if not data:
                continue
            topic = _unique(session_topic(s.info), used)
            groups = split_topics(data)
            topics = []
            for prefix, names in groups.items():
                sub = f"{topic}/{prefix}" if prefix else topic
                topics.append(sub)
                done = _write_channel(writer, s.info, sub, prefix, names, data, result,
                                      progress, done, total)  # fmt: skip
            writer.add_metadata(METADATA_NAME, _session_metadata(s.info, topic, topics))
            result.topics += topics
        writer.finish()
        out.flush()
        result.bytes = out.tell()
    progress(total, total)
    return result


def _write_channel(
    writer: Writer, session: RecordedSession, topic: str, prefix: str, names: list[str],
    data: dict[str, Series], result: ExportResult, progress: Progress, done: int, total: int,
) -> int:  # fmt: skip
    paths = [_relative(n, prefix) for n in names]
    schema = orjson.dumps(json_schema(paths, f"{session.name} {topic}"))
    schema_id = writer.register_schema(topic.lstrip("/") or "session", SCHEMA_ENCODING, schema)
    channel = writer.register_channel(
        topic, MESSAGE_ENCODING, schema_id, {"streamscope.session": session.name}
    )
    result.channels += 1
    series = [data[n] for n in names]
    times, rows_of = merge_rows(series)
    starts = [0] * len(series)
    add = writer.add_message
    for r0 in range(0, len(times), ROWS_PER_BLOCK):
        r1 = min(r0 + ROWS_PER_BLOCK, len(times))
        cells = []
        for k, ((_, v), rows) in enumerate(zip(series, rows_of, strict=True)):
            a, b = starts[k], int(np.searchsorted(rows, r1, "left"))
            cells.append((rows[a:b] - r0, format_values(v[a:b])))
            starts[k] = b
            done += b - a
        msgs = row_messages(paths, r1 - r0, cells)
        for ns, msg in zip(log_times(session, times[r0:r1]).tolist(), msgs, strict=True):
            add(channel, ns, msg, ns)
        result.messages += len(msgs)
        result.samples += sum(len(c[1]) for c in cells)
        progress(done, total)
    return done


def _unique(topic: str, used: set[str]) -> str:
    name, n = topic, 1
    while name in used:
        n += 1
        name = f"{topic}_{n}"
    used.add(name)
    return name


def _session_metadata(s: RecordedSession, topic: str, topics: list[str]) -> dict[str, str]:
    """The session's fields as strings (MCAP metadata is a string map)."""

    def num(x: float | int | None) -> str:
        return "" if x is None else repr(x)

    return {
        "topic": topic,
        "topics": ",".join(topics),
        "name": s.name,
        "product": s.product,
        "play": num(s.play),
        "client": s.client,
        "peer": s.peer,
        "started": num(s.started),
        "ended": num(s.ended),
        "origin": num(s.origin),
        "exported_by": f"streamscope {__version__}",
    }


@contextlib.contextmanager
def _atomic_binary(path: Path) -> Iterator[BinaryIO]:
    """A file written under a temporary name in the same folder, renamed into place on
    success only: a cancelled or failed export never leaves a partial file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with open(tmp, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- sources


def export_recording_mcap(
    recording: Recording, path: str | Path, progress: Progress = no_progress,
    streams: list[str] | None = None,
) -> ExportResult:  # fmt: skip
    """Convert a recording (all its sessions, or only the named ``streams``) to MCAP."""
    wanted = None if streams is None else set(streams)
    sessions = []
    for s in recording.sessions:
        sts = [st for st in s.streams if wanted is None or st.name in wanted]

        def load(p: Progress, done: int, total: int, sts: list[Any] = sts) -> dict[str, Series]:
            out = {}
            for st in sts:
                out[st.name] = recording.read(st, p, done, total)
                done += st.count
            return out

        sessions.append(ExportSession(s, load, sum(st.count for st in sts)))
    return write_mcap(path, sessions, progress, read_share=1)


def store_sessions(store: Store, ids: list[str] | None = None) -> list[ExportSession]:
    """A copy of the store's sessions (not the app's own metrics), taken now, on the thread
    that appends to the store: the export can then run on another thread."""
    out = []
    for s in list(store.sessions.values()):
        if s.internal or (ids is not None and s.id not in ids):
            continue
        data = {n: (st.ring.t.copy(), st.ring.v.copy()) for n, st in s.streams.items() if len(st)}
        if data:
            out.append(
                ExportSession(_as_recorded(s), _given(data), sum(len(t) for t, _ in data.values()))
            )
    return out


def _given(data: dict[str, Series]) -> Loader:
    return lambda _p, _d, _t: data


def _as_recorded(s: Session) -> RecordedSession:
    product, play = s.product, s.play
    return RecordedSession(0, s.id, product, play, s.client, s.peer, s.started, s.ended, s.origin)


def export_store_mcap(
    sessions: list[ExportSession], path: str | Path, progress: Progress = no_progress
) -> ExportResult:
    """Write sessions taken with ``store_sessions`` to ``path``."""
    return write_mcap(path, sessions, progress)
