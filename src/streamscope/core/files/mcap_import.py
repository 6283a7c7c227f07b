"""MCAP import: JSON channels flattened as PlotJuggler does, one session per file.

- a channel with message encoding ``json``: every number (and bool) in its messages becomes a
  stream ``<topic>/<key>/<key>`` (array items by index, ``/topic/a/0``, as PlotJuggler's JSON
  parser names them); ``null`` is a gap (NaN); text fields are skipped; time = ``log_time``;
- other encodings (protobuf, ros2msg, cdr, flatbuffer, ...) are listed as "not decoded", not
  an error;
- the file is read record by record (``mcap``'s ``StreamReader``), so a truncated file (a
  crash, a copy cut short) gives every intact record and a warning saying how much was read.

``McapRecording`` has the reading side of ``Recording`` (sessions, streams, ``read``,
``read_all``), so the CSV export, the CLI and the app's open path take either. The session is
product = the file name, times in seconds since the first message (``started`` = its wall
clock), so a 100 Hz file shows 0, 0.01, 0.02, ... exactly.
"""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lz4.frame
import numpy as np
import orjson
import zstandard
from mcap.data_stream import ReadDataStream
from mcap.exceptions import McapError, UnsupportedCompressionError
from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, Footer, Message
from mcap.stream_reader import StreamReader

from streamscope.core.files.progress import Progress, no_progress
from streamscope.core.files.recording import RecordedSession, RecordedStream, RecordingError

SUFFIX = ".mcap"
MAGIC = b"\x89MCAP0\r\n"
BATCH = 4_096  # messages of one channel decoded together (one orjson call)
MAX_SHAPES = 16  # key sets in one batch flattened column-wise; more: message by message
Series = tuple[np.ndarray, np.ndarray]


def is_mcap(path: str | Path) -> bool:
    """The file starts with MCAP's magic bytes (whatever its name)."""
    with contextlib.suppress(OSError), open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC
    return False


class _Columns:
    """Samples per stream name: ns times and values, appended in blocks."""

    def __init__(self) -> None:
        self.t: dict[str, list[np.ndarray]] = {}
        self.v: dict[str, list[np.ndarray]] = {}
        self.text_fields: set[str] = set()

    def add(self, name: str, t: np.ndarray, v: np.ndarray) -> None:
        if name not in self.t:
            self.t[name], self.v[name] = [], []
        self.t[name].append(t)
        self.v[name].append(v)

    def add_items(self, prefix: str, items: list[Any], t: np.ndarray) -> None:
        """Flatten ``items`` (the same field of consecutive messages, times ``t``) into
        streams under ``prefix``; whole columns at once when the messages agree in shape."""
        first = items[0]
        if type(first) is dict:
            keys = first.keys()
            if all(type(x) is dict and x.keys() == keys for x in items):
                for k in keys:
                    self.add_items(f"{prefix}/{k}", [x[k] for x in items], t)
                return
            if all(type(x) is dict for x in items):  # a few shapes (streams at other rates)
                shapes: dict[tuple[str, ...], list[int]] = {}
                for i, x in enumerate(items):
                    shapes.setdefault(tuple(x), []).append(i)
                if len(shapes) <= MAX_SHAPES:
                    for idx in shapes.values():
                        self.add_items(prefix, [items[i] for i in idx], t[idx])
                    return
        elif type(first) is list:
            n = len(first)
            if all(type(x) is list and len(x) == n for x in items):
                for i in range(n):
                    self.add_items(f"{prefix}/{i}", [x[i] for x in items], t)
                return
        else:
            with contextlib.suppress(TypeError, ValueError):
                # None -> NaN, bool -> 0/1; text raises (then item by item below)
                self.add(prefix, t, np.array(items, dtype=np.float64))
                return
        for x, ti in zip(items, t.tolist(), strict=True):  # mixed shapes: one by one
            self.add_one(prefix, x, ti)

    def add_one(self, prefix: str, x: Any, t: int) -> None:
        if type(x) is dict:
            for k, sub in x.items():
                self.add_one(f"{prefix}/{k}", sub, t)
        elif type(x) is list:
            for i, sub in enumerate(x):
                self.add_one(f"{prefix}/{i}", sub, t)
        elif x is None or isinstance(x, int | float):
            value = np.nan if x is None else float(x)
            self.add(prefix, np.array([t], np.int64), np.array([value]))
        else:
            self.text_fields.add(prefix)


# What reading a cut or damaged file raises (lz4 raises RuntimeError on a bad frame).
_DAMAGED = (
    McapError,
    zstandard.ZstdError,
    RuntimeError,
    struct.error,
    ValueError,
    EOFError,
    OSError,
)
_HEAD = struct.Struct("<BQ")  # a record's opcode and length
_MESSAGE = struct.Struct("<HIQQ")  # channel id, sequence, log time, publish time


def _chunk_records(chunk: Chunk) -> Iterator[tuple[int, int, bytes] | Channel]:
    """A chunk's messages as (channel id, log time, data), and its channels.

    What ``mcap.stream_reader.breakup_chunk`` does, without a record object and a stream
    read per field: that was 40 % of an import."""
    if chunk.compression == "zstd":
        data = zstandard.decompress(chunk.data, chunk.uncompressed_size)
    elif chunk.compression == "lz4":
        data = lz4.frame.decompress(chunk.data)
    elif chunk.compression == "":
        data = chunk.data
    else:
        raise UnsupportedCompressionError(chunk.compression)
    head, msg = _HEAD.unpack_from, _MESSAGE.unpack_from
    pos, end = 0, len(data)
    while pos < end:
        op, length = head(data, pos)
        pos += 9
        if op == Opcode.MESSAGE:
            cid, _, log_time, _ = msg(data, pos)
            yield cid, log_time, data[pos + 22 : pos + length]
        elif op == Opcode.CHANNEL:
            yield Channel.read(ReadDataStream(io.BytesIO(data[pos : pos + length])))
        pos += length


def _seconds(ns: int) -> float:
    """ns since the epoch as seconds, rounded once (``ns / 1e9`` rounds twice at 1e18)."""
    return ns // 10**9 + (ns % 10**9) / 1e9


class McapRecording:
    """An MCAP file opened for reading, with the interface of ``Recording``.

    Opening checks the file; the messages are decoded on first use (``load``, or anything
    that needs the streams), which for a big file is the long part: pass ``progress`` to
    ``load``/``read_all``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RecordingError(f"{self.path}: no such file")
        if not is_mcap(self.path):
            raise RecordingError(f"{self.path} is not an MCAP file")
        self.warnings: list[str] = []
        self.undecoded: list[str] = []  # "<topic>: not decoded: <encoding> (n messages)"
        self.messages = 0
        self._sessions: list[RecordedSession] | None = None
        self._data: dict[int, Series] = {}

    # ------------------------------------------------------------ decoding

    def load(self, progress: Progress = no_progress) -> None:
        """Decode every JSON channel (once); ``progress`` counts bytes of the file."""
        if self._sessions is not None:
            return
        size = self.path.stat().st_size
        cols = _Columns()
        channels: dict[int, Channel] = {}
        pending: dict[int, tuple[list[bytes], list[int]]] = {}
        skipped: dict[int, int] = {}
        bad = 0
        complete = False

        def flush(cid: int) -> None:
            nonlocal bad
            datas, times = pending.pop(cid)
            topic = channels[cid].topic
            t = np.array(times, np.int64)
            try:
                items = orjson.loads(b"[" + b",".join(datas) + b"]")
            except orjson.JSONDecodeError:
                items = []
                keep = []
                for i, d in enumerate(datas):
                    with contextlib.suppress(orjson.JSONDecodeError):
                        items.append(orjson.loads(d))
                        keep.append(i)
                bad += len(datas) - len(keep)
                t = t[keep]
            if items:
                cols.add_items(topic, items, t)

        def message(cid: int, log_time: int, data: bytes) -> None:
            self.messages += 1
            ch = channels.get(cid)
            if ch is None or ch.message_encoding != "json":
                skipped[cid] = skipped.get(cid, 0) + 1
                return
            batch = pending.get(cid)
            if batch is None:
                batch = pending[cid] = ([], [])
            batch[0].append(data)
            batch[1].append(log_time)
            if len(batch[0]) >= BATCH:
                flush(cid)

        good = 0  # bytes of the file read as whole records
        with open(self.path, "rb") as f:
            # chunks by hand (emit_chunks): each one is read whole before its messages count
            records = StreamReader(f, emit_chunks=True, record_size_limit=None).records
            try:
                for record in records:
                    if isinstance(record, Chunk):
                        for inner in _chunk_records(record):
                            if isinstance(inner, Channel):
                                channels.setdefault(inner.id, inner)
                            else:
                                message(*inner)
                        good = f.tell()
                        progress(good, size)
                    elif isinstance(record, Message):
                        message(record.channel_id, record.log_time, record.data)
                    elif isinstance(record, Channel):
                        channels.setdefault(record.id, record)
                    elif isinstance(record, Footer):
                        complete = True
            except _DAMAGED as e:
                self.warnings.append(
                    f"{self.path.name} is cut short or damaged ({e or type(e).__name__}): "
                    f"read {self.messages:,} messages from the first {good:,} of {size:,} "
                    f"bytes ({100 * good / max(size, 1):.0f} %); the rest could not be read"
                )
            else:
                if not complete:
                    self.warnings.append(f"{self.path.name} has no footer: read to its end")
        for cid in list(pending):
            flush(cid)
        for cid, n in sorted(skipped.items()):
            ch = channels.get(cid)
            if ch is None:
                self.undecoded.append(
                    f"channel {cid}: not decoded: no channel record ({n:,} messages)"
                )
            else:
                self.undecoded.append(
                    f"{ch.topic}: not decoded: {ch.message_encoding} ({n:,} messages)"
                )
        if bad:
            self.warnings.append(f"{bad:,} messages were not valid JSON and were skipped")
        if cols.text_fields:
            names = ", ".join(sorted(cols.text_fields)[:5])
            self.warnings.append(
                f"text fields are not plotted: {names}"
                + (" …" if len(cols.text_fields) > 5 else "")
            )
        self._build(cols)
        progress(size, size)

    def _build(self, cols: _Columns) -> None:
        ns: dict[str, np.ndarray] = {}
        values: dict[str, np.ndarray] = {}
        for name in list(cols.t):  # popped as they are joined: one copy at a time
            t = np.concatenate(cols.t.pop(name))
            v = np.concatenate(cols.v.pop(name))
            if len(t) > 1 and (t[1:] < t[:-1]).any():
                order = np.argsort(t, kind="stable")
                t, v = t[order], v[order]
            ns[name], values[name] = t, v
        first = min((int(t[0]) for t in ns.values() if len(t)), default=0)
        last = max((int(t[-1]) for t in ns.values() if len(t)), default=0)
        session = RecordedSession(
            1, self.path.name, self.path.stem, None, "mcap", "", _seconds(first), _seconds(last),
            0.0,
        )  # fmt: skip
        for i, name in enumerate(list(ns), 1):
            t = (ns.pop(name) - first).astype(np.float64) / 1e9
            self._data[i] = (t, values.pop(name))
            session.streams.append(RecordedStream(i, name, len(t), float(t[0]), float(t[-1])))
        self._sessions = [session] if session.streams else []

    # ------------------------------------------------------------ the Recording interface

    @property
    def sessions(self) -> list[RecordedSession]:
        self.load()
        assert self._sessions is not None
        return self._sessions

    @property
    def total_samples(self) -> int:
        return sum(s.count for s in self.sessions)

    def stream_names(self) -> list[str]:
        return [st.name for s in self.sessions for st in s.streams]

    def read(
        self, stream: RecordedStream, progress: Progress = no_progress, done: int = 0,
        total: int | None = None,
    ) -> Series:  # fmt: skip
        self.load()
        t, v = self._data[stream.id]
        progress(done + len(t), stream.count if total is None else total)
        return t, v

    def read_session(
        self, session: RecordedSession, progress: Progress = no_progress, done: int = 0,
        total: int | None = None,
    ) -> dict[str, Series]:  # fmt: skip
        total = session.count if total is None else total
        out = {}
        for st in session.streams:
            out[st.name] = self.read(st, progress, done, total)
            done += st.count
        return out

    def read_all(
        self, progress: Progress = no_progress
    ) -> list[tuple[RecordedSession, dict[str, Series]]]:
        """Decode (``progress`` counts bytes) and return the session with its samples."""
        self.load(progress)
        return [(s, self.read_session(s)) for s in self.sessions]

    def notes(self) -> list[str]:
        """What the user should hear about: warnings, then channels left undecoded."""
        return [*self.warnings, *self.undecoded]

    def close(self) -> None:
        self._data.clear()

    def __enter__(self) -> McapRecording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
