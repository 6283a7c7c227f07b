"""Sessions and their streams: where every decoded sample is kept.

The store is pull-based: ingest only appends and bumps counters; views compare
``structure_version`` (sessions/streams added or removed) and each stream's ``version``
(new samples) on their own clock. Nothing here calls back into a view.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from streamscope.core.ringbuffer import RingBuffer

EPOCH_THRESHOLD = 1e8  # times above this are epoch seconds, shown relative to the first sample
DEFAULT_CAPACITY = 1_000_000
RUN_RESET_SECONDS = 1.0  # a stream going back in time by this much starts a new run


@dataclass(frozen=True, slots=True)
class StoreSettings:
    capacity: int = DEFAULT_CAPACITY  # samples per stream
    max_sessions: int = 50  # oldest ended sessions are dropped first
    max_streams_per_session: int = 2_000


@dataclass(eq=False)
class Stream:
    name: str
    session_id: str
    ring: RingBuffer
    version: int = 0

    def __len__(self) -> int:
        return len(self.ring)


@dataclass(eq=False)
class Session:
    id: str
    product: str
    play: int | None = None  # play-session number for clients that said hello
    client: str = ""
    peer: str = ""
    started: float = field(default_factory=time.time)
    ended: float | None = None
    origin: float | None = None  # time shown as 0 on this session's axis
    streams: dict[str, Stream] = field(default_factory=dict)
    source: str = ""  # "" = live ingest; else the recording file it was read back from

    @property
    def name(self) -> str:
        return f"{self.product} — Play #{self.play}" if self.play else self.product

    @property
    def live(self) -> bool:
        return self.ended is None


class StoreError(Exception):
    """A request the store refuses (unknown session, too many streams)."""


class StoreSink(Protocol):
    """Something that sees every live session and sample as it is stored (the recorder).

    Called on the ingest thread right after the store changed; must be quick and never raise.
    """

    def session_opened(self, session: Session) -> None: ...

    def session_ended(self, session: Session) -> None: ...

    def samples_added(self, session: Session, name: str, t: np.ndarray, v: np.ndarray) -> None: ...


class Store:
    """Registry of sessions → streams, bounded in sessions, streams and samples."""

    def __init__(self, settings: StoreSettings | None = None) -> None:
        self.settings = settings or StoreSettings()
        self.sessions: dict[str, Session] = {}
        self.structure_version = 0
        self.total_samples = 0
        self.total_dropped = 0
        self._plays: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._sinks: list[StoreSink] = []

    def add_sink(self, sink: StoreSink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: StoreSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    # ------------------------------------------------------------ sessions

    def open_session(
        self,
        product: str,
        session_id: str | None = None,
        *,
        client: str = "",
        peer: str = "",
        play: bool = True,
    ) -> Session:
        """Start a session; with ``play`` it is numbered ``<product> — Play #n``."""
        sid = session_id or f"s{next(self._ids)}"
        while sid in self.sessions:  # a reused id (a client reconnecting) gets a fresh run
            sid = f"{session_id}#{next(self._ids)}"
        number = None
        if play:
            number = self._plays[product] = self._plays.get(product, 0) + 1
        session = Session(sid, product, number, client, peer)
        self.sessions[sid] = session
        self._evict()
        self.structure_version += 1
        for sink in self._sinks:
            sink.session_opened(session)
        return session

    def end_session(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session and session.ended is None:
            session.ended = time.time()
            self.structure_version += 1
            for sink in self._sinks:
                sink.session_ended(session)

    def load_session(
        self,
        product: str,
        streams: dict[str, tuple[np.ndarray, np.ndarray]],
        *,
        source: str,
        started: float,
        ended: float | None,
        origin: float | None,
        client: str = "",
        peer: str = "",
    ) -> Session:
        """Add a finished session read back from ``source`` (a recording): named as given,
        each stream sized to hold all its samples, not counted as samples in. Sinks see its
        samples with ``session.source`` set, so a recorder can skip what is on disk already."""
        sid = f"r{next(self._ids)}"
        session = Session(sid, product, None, client, peer, started, ended or started, origin)
        session.source = source
        self.sessions[sid] = session
        errors: list[str] = []
        for name, (t, v) in streams.items():
            stream = self._stream(sid, name, capacity=max(len(t), 1))
            self._append_monotonic(stream, t, v, errors)
            self.total_samples -= len(stream)
        self._evict()
        self.structure_version += 1
        return session

    def new_run(self, session_id: str) -> Session:
        """Continue a connection whose clock restarted in a new session (Play #n+1)."""
        old = self.sessions[session_id]
        self.end_session(session_id)
        return self.open_session(
            old.product, old.id.split("#")[0], client=old.client, peer=old.peer, play=bool(old.play)
        )

    def _evict(self) -> None:
        while len(self.sessions) > self.settings.max_sessions:
            ended = [s for s in self.sessions.values() if not s.live]
            victim = ended[0] if ended else next(iter(self.sessions.values()))
            del self.sessions[victim.id]

    # ------------------------------------------------------------ samples

    def append(
        self, session_id: str, name: str, t: np.ndarray, v: np.ndarray
    ) -> tuple[str, list[str]]:
        """Store samples; return the session they ended in (a clock reset opens a new run)
        and the problems found (samples rejected for going back in time)."""
        errors: list[str] = []
        while len(t):
            stream = self._stream(session_id, name)
            step = np.diff(t, prepend=stream.ring.last_t if len(stream.ring) else t[0])
            jumps = np.flatnonzero(step <= -RUN_RESET_SECONDS)
            cut = int(jumps[0]) if len(jumps) else len(t)
            self._append_monotonic(stream, t[:cut], v[:cut], errors)
            if cut == len(t):
                break
            session_id = self.new_run(session_id).id
            t, v = t[cut:], v[cut:]
        return session_id, errors

    def _append_monotonic(
        self, stream: Stream, t: np.ndarray, v: np.ndarray, errors: list[str]
    ) -> None:
        if not len(t):
            return
        ring = stream.ring
        floor = ring.last_t if len(ring) else -np.inf
        keep = t >= np.maximum.accumulate(np.maximum(t, floor))
        if not keep.all():
            errors.append(f"'{stream.name}': {int((~keep).sum())} samples went back in time")
            t, v = t[keep], v[keep]
        if not len(t):
            return
        session = self.sessions[stream.session_id]
        if session.origin is None:
            session.origin = float(t[0]) if t[0] > EPOCH_THRESHOLD else 0.0
        self.total_dropped += ring.append(t, v)
        self.total_samples += len(t)
        stream.version += 1
        for sink in self._sinks:
            sink.samples_added(session, stream.name, t, v)

    def _stream(self, session_id: str, name: str, capacity: int | None = None) -> Stream:
        session = self.sessions.get(session_id)
        if session is None:
            raise StoreError(f"unknown session {session_id!r}")
        stream = session.streams.get(name)
        if stream is None:
            if len(session.streams) >= self.settings.max_streams_per_session:
                raise StoreError(
                    f"session has {len(session.streams)} streams already (the limit); "
                    f"'{name}' was not created"
                )
            stream = Stream(name, session_id, RingBuffer(capacity or self.settings.capacity))
            session.streams[name] = stream
            self.structure_version += 1
        return stream

    # ------------------------------------------------------------ queries

    def find(self, name: str, session_id: str | None = None) -> Stream | None:
        """The stream ``name`` in the given session, or in the newest session that has it."""
        if session_id is not None:
            session = self.sessions.get(session_id)
            return session.streams.get(name) if session else None
        for session in reversed(self.sessions.values()):
            stream = session.streams.get(name)
            if stream is not None and len(stream):
                return stream
        return None

    def previous(self, stream: Stream) -> Stream | None:
        """The same stream in the session before ``stream``'s own (for the ghost overlay)."""
        found = False
        for session in reversed(self.sessions.values()):
            if found and (other := session.streams.get(stream.name)) is not None:
                return other
            found = found or session.id == stream.session_id
        return None

    def stream_names(self) -> list[str]:
        return sorted({n for s in self.sessions.values() for n in s.streams})

    def describe(self) -> list[dict]:
        return [
            {"session": s.id, "session_name": s.name, "name": st.name, "count": len(st)}
            for s in self.sessions.values()
            for st in s.streams.values()
        ]
