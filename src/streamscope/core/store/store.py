"""Sessions and their streams: where every decoded sample is kept.

The store is pull-based: ingest only appends and bumps counters; views compare
``structure_version`` (sessions/streams added or removed) and each stream's ``version``
(new samples) on their own clock. Nothing here calls back into a view.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from streamscope.core.series.lod import MinMaxPyramid
from streamscope.core.series.ringbuffer import RingBuffer
from streamscope.core.series.stream_lod import StreamLod
from streamscope.core.store.admission import CreationRate, Eviction
from streamscope.core.store.budget import trim_counts
from streamscope.core.store.timecheck import (
    EPOCH_THRESHOLD,
    MAX_TIME_JUMP,
    MAX_TIMESTAMP,
    RUN_RESET_SECONDS,
    TimeRules,
    UnitWatch,
    check_times,
)

DEFAULT_CAPACITY = 1_000_000
DEFAULT_MAX_TOTAL_SAMPLES = 40_000_000  # 16 bytes each: ~640 MB of samples at most
BUDGET_LOW_WATER = 0.9  # over budget, trim down to this fraction so trimming stays rare
EVICTIONS_KEPT = 100  # newest eviction notices kept for the status bar
LIVE = ""  # Session.source of live ingest (else the path of the recording it was read from)


@dataclass(frozen=True, slots=True)
class StoreSettings:
    capacity: int = DEFAULT_CAPACITY  # samples per stream
    # Sessions kept, live and ended: the oldest ended make room; live ones are never dropped,
    # so when all are live a new session is refused (StoreError naming the limit).
    max_sessions: int = 50
    max_streams_per_session: int = 2_000
    # Streams over all sessions (each costs ~10 KB and a row in the Streams panel even empty);
    # past it, ended sessions are evicted oldest first, else the new stream is refused.
    max_streams: int = 10_000
    # New sessions one connection (keyed by peer address) may start by hello or by a clock
    # reset: a burst, then a steady rate; beyond it the hello or the new run is refused.
    new_sessions_burst: int = 20
    new_sessions_per_s: float = 0.5
    # Memory budget over all streams; past it the oldest samples go first (store/budget.py).
    max_total_samples: int = DEFAULT_MAX_TOTAL_SAMPLES
    max_time_jump: float = MAX_TIME_JUMP  # s a sample may be ahead of its stream
    max_timestamp: float = MAX_TIMESTAMP  # |t| beyond this is rejected


@dataclass(eq=False)
class Stream:
    name: str
    session_id: str
    ring: RingBuffer
    version: int = 0
    updated: float = 0.0  # wall time of the last append (ages samples for the budget)
    lod: StreamLod = field(default_factory=StreamLod)  # min/max pyramid for drawing
    units: UnitWatch = field(default_factory=UnitWatch)  # for time units changing back and forth

    def pyramid(self) -> MinMaxPyramid:
        """The stream's level-of-detail pyramid, caught up with every stored sample."""
        return self.lod.sync(self.ring)

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
    # The wall-clock time (time.time()) of that 0: when its first sample arrived, less that
    # sample's time after origin. Charts line sessions up by it (None: read from a recording).
    wall_zero: float | None = None
    streams: dict[str, Stream] = field(default_factory=dict)
    source: str = ""  # "" = live ingest; else the recording file it was read back from
    resumable: bool = False  # ended by a lost connection: the same hello id continues it
    internal: bool = False  # the app's own metrics: not counted as ingest, not recorded

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
    The app's own health session is shown only to sinks whose ``internal`` is true.
    """

    internal: bool

    def session_opened(self, session: Session) -> None: ...

    def session_ended(self, session: Session) -> None: ...

    def session_resumed(self, session: Session) -> None: ...

    def samples_added(self, session: Session, name: str, t: np.ndarray, v: np.ndarray) -> None: ...


class Store:
    """Registry of sessions → streams, bounded in sessions, streams and samples."""

    def __init__(self, settings: StoreSettings | None = None) -> None:
        self.settings = settings or StoreSettings()
        self.sessions: dict[str, Session] = {}
        self.structure_version = 0
        self.total_samples = 0
        self.total_dropped = 0
        self.stored_samples = 0  # held right now, over all streams (the budget's measure)
        self.budget_dropped = 0  # of total_dropped, those the memory budget dropped
        self.stream_count = 0  # over all sessions (the max_streams limit's measure)
        # Ended sessions removed to make room, newest last; ``evicted`` counts them all, so a
        # view can compare it with the count it last showed (pull-based like the rest).
        self.evictions: deque[Eviction] = deque(maxlen=EVICTIONS_KEPT)
        self.evicted = 0
        self.refused: dict[str, int] = {}  # limit name -> sessions/streams/runs refused by it
        self._rules = TimeRules(self.settings.max_time_jump, self.settings.max_timestamp)
        self._rate = CreationRate(
            self.settings.new_sessions_burst, self.settings.new_sessions_per_s
        )
        self._plays: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._sinks: list[StoreSink] = []

    def _sinks_of(self, session: Session) -> list[StoreSink]:
        """The sinks that see ``session``: all of them, or for the app's own health session
        those that asked for it (a recording made with --record-self)."""
        if not session.internal:
            return self._sinks
        return [s for s in self._sinks if s.internal]

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
        internal: bool = False,
    ) -> Session:
        """Start a session; with ``play`` it is numbered ``<product> — Play #n``.

        A client that lost its connection and says hello again with the same id continues
        its session (same Play #n, same time axis) instead of starting a new one.
        ``internal``: the app's own metrics (core/store/self_metrics.py); its samples do not count
        as samples in and sinks (the recorder) never see it.

        Raises ``StoreError`` naming the limit when every kept session is live
        (``max_sessions``) or, for a hello (``play`` with a ``peer``), when that connection
        has started sessions too fast; an ended session may be evicted to make room."""
        old = self.sessions.get(session_id) if session_id else None
        if old is not None and old.resumable and old.product == product and not old.source:
            return self._resume(old, client, peer)
        if not internal:
            self._room_for_session(product)
            if play and peer:
                self._take_rate(peer, f"'{product}' was not started")
        return self._create(product, session_id, client, peer, play, internal)

    def _create(
        self,
        product: str,
        session_id: str | None,
        client: str,
        peer: str,
        play: bool,
        internal: bool,
    ) -> Session:
        sid = session_id or f"s{next(self._ids)}"
        while sid in self.sessions:  # an id in use, or ended on purpose: a fresh run
            sid = f"{session_id}#{next(self._ids)}"
        number = None
        if play:
            number = self._plays[product] = self._plays.get(product, 0) + 1
        session = Session(sid, product, number, client, peer, internal=internal)
        self.sessions[sid] = session
        self.structure_version += 1
        for sink in self._sinks_of(session):
            sink.session_opened(session)
        return session

    def _resume(self, session: Session, client: str, peer: str) -> Session:
        session.ended, session.resumable = None, False
        session.client, session.peer = client or session.client, peer or session.peer
        self.structure_version += 1
        for sink in self._sinks:
            sink.session_resumed(session)
        return session

    def end_session(self, session_id: str, resumable: bool = False) -> None:
        """``resumable``: the connection was lost, so a hello with the same id continues it."""
        session = self.sessions.get(session_id)
        if session and session.ended is None:
            session.ended = time.time()
            session.resumable = resumable
            self.structure_version += 1
            for sink in self._sinks_of(session):
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
        self._room_for_session(product)
        self._room_for_streams(len(streams), f"recording session '{product}' was not opened")
        sid = f"r{next(self._ids)}"
        session = Session(sid, product, None, client, peer, started, ended or started, origin)
        session.source = source
        self.sessions[sid] = session
        errors: list[str] = []
        for name, (t, v) in streams.items():
            stream = self._stream(sid, name, capacity=max(len(t), 1))
            self._append_monotonic(stream, t, v, errors)
            self.total_samples -= len(stream)
        self.structure_version += 1
        return session

    def remove_source(self, source: str) -> int:
        """Forget every session read back from recording ``source`` (File ▸ Close recording);
        returns how many went."""
        gone = [s for s in self.sessions.values() if source and s.source == source]
        for session in gone:
            self._drop(session)
        return len(gone)

    def new_run(self, session_id: str) -> Session:
        """Continue a connection whose clock restarted in a new session (Play #n+1).
        Raises ``StoreError`` (the session goes on unchanged) when the connection has started
        sessions too fast."""
        old = self.sessions[session_id]
        if old.peer and not old.internal:
            self._take_rate(old.peer, "no new run was started")
        self.end_session(session_id)
        base = old.id.split("#")[0]
        if not old.internal:  # the old run has ended: there is room (it may be evicted itself)
            self._room_for_session(old.product)
        return self._create(old.product, base, old.client, old.peer, bool(old.play), old.internal)

    # ------------------------------------------------------------ limits and eviction

    def _refuse(self, limit: str, message: str) -> StoreError:
        self.refused[limit] = self.refused.get(limit, 0) + 1
        return StoreError(message)

    def _take_rate(self, peer: str, what: str) -> None:
        if not self._rate.allow(peer, time.monotonic()):
            raise self._refuse(
                "new_sessions_burst",
                f"this connection starts sessions too fast (hello or clock reset; limit "
                f"{self._rate.describe()}): {what}",
            )

    def _room_for_session(self, product: str) -> None:
        """Make room for one more session by evicting the oldest ended one, or refuse."""
        limit = self.settings.max_sessions
        while len(self.sessions) >= limit:
            if not self._evict_oldest_ended(f"the {limit}-session limit (max_sessions)"):
                raise self._refuse(
                    "max_sessions",
                    f"all {len(self.sessions)} sessions are live (limit {limit}, max_sessions): "
                    f"new session '{product}' refused; ended sessions make room",
                )

    def _room_for_streams(self, n: int, what: str, keep: str | None = None) -> None:
        """Make room for ``n`` more streams by evicting ended sessions (never ``keep``), or
        refuse."""
        limit = self.settings.max_streams
        while self.stream_count + n > limit:
            if not self._evict_oldest_ended(f"the {limit:,}-stream limit (max_streams)", keep):
                raise self._refuse(
                    "max_streams",
                    f"{self.stream_count:,} streams are in live sessions (limit {limit:,} over "
                    f"all sessions, max_streams): {what}",
                )

    def _evict_oldest_ended(self, reason: str, keep: str | None = None) -> bool:
        """Evict the ended session that was started first (never a live one); False if none.
        Recordings count as ended: opened last, they are the newest."""
        for session in self.sessions.values():
            if not session.live and not session.internal and session.id != keep:
                self._forget(session, reason)
                return True
        return False

    def _forget(self, session: Session, reason: str) -> None:
        """Evict ``session`` and announce it (a closed recording is dropped, not evicted)."""
        held = self._drop(session)
        self.evictions.append(Eviction(time.time(), session.id, session.name, held, reason))
        self.evicted += 1

    def _drop(self, session: Session) -> int:
        """Remove ``session`` and its samples from the counts; returns the samples it held."""
        del self.sessions[session.id]
        held = sum(len(st) for st in session.streams.values())
        self.stored_samples -= held
        self.stream_count -= len(session.streams)
        self.structure_version += 1
        return held

    # ------------------------------------------------------------ samples

    def append(
        self, session_id: str, name: str, t: np.ndarray, v: np.ndarray
    ) -> tuple[str, list[str]]:
        """Store samples; return the session they ended in (a clock reset opens a new run)
        and the problems found (samples rejected for their time, or for a new run refused)."""
        session = self.sessions.get(session_id)
        known = session.streams.get(name) if session is not None else None
        last = known.ring.last_t if known is not None and len(known) else None
        units = known.units if known is not None else UnitWatch()
        ok, errors = check_times(name, t, last, self._rules, units=units)
        if ok is not None:
            t, v = t[ok], v[ok]
        while len(t):
            stream = self._stream(session_id, name)
            if not len(stream):  # new, or a new run: keep what this batch (and run) showed
                stream.units = units
            cut = _first_reset(t, stream.ring.last_t if len(stream.ring) else None)
            self._append_monotonic(stream, t[:cut], v[:cut], errors)
            if cut == len(t):
                break
            try:
                session_id = self.new_run(session_id).id
            except StoreError as e:  # the run goes on; what would have started the next is lost
                errors.append(
                    f"'{name}' went back {_t(stream.ring.last_t - float(t[cut]))} s (a clock "
                    f"reset), {len(t) - cut} sample{'s' if len(t) - cut != 1 else ''} rejected: {e}"
                )
                break
            t, v = t[cut:], v[cut:]
        if self.stored_samples > self.settings.max_total_samples:
            self.enforce_budget()
        return session_id, errors

    def backfill(self, session_id: str, name: str, t: np.ndarray, v: np.ndarray) -> int:
        """Store only the samples newer than what ``name`` holds (a client's history reply)."""
        session = self.sessions.get(session_id)
        stream = session.streams.get(name) if session else None
        if stream is not None and len(stream.ring):
            newer = t > stream.ring.last_t
            t, v = t[newer], v[newer]
        order = np.argsort(t, kind="stable")
        self.append(session_id, name, t[order], v[order])
        return len(t)

    def _append_monotonic(
        self, stream: Stream, t: np.ndarray, v: np.ndarray, errors: list[str]
    ) -> None:
        if not len(t):
            return
        ring = stream.ring
        floor = ring.last_t if len(ring) else -np.inf
        # a single sample (one per message is common) needs no running maximum
        keep = t >= (np.maximum.accumulate(np.maximum(t, floor)) if len(t) > 1 else floor)
        if not keep.all():
            errors.append(_went_back(stream.name, t, keep, floor))
            t, v = t[keep], v[keep]
        if not len(t):
            return
        session = self.sessions[stream.session_id]
        if session.origin is None:
            session.origin = float(t[0]) if t[0] > EPOCH_THRESHOLD else 0.0
            session.wall_zero = time.time() - (float(t[0]) - session.origin)
        dropped = ring.append(t, v)
        stream.lod.sync(ring, eager=False)  # whole blocks only: per-sample messages stay cheap
        self.total_dropped += dropped
        self.total_samples += len(t) if not session.internal else 0
        self.stored_samples += len(t) - dropped
        stream.updated = time.time()
        stream.version += 1
        for sink in self._sinks_of(session):
            sink.samples_added(session, stream.name, t, v)

    # ------------------------------------------------------------ memory budget

    def enforce_budget(self, now: float | None = None) -> int:
        """Drop the oldest samples across all streams until the store is back under budget
        (to the low water mark); empty ended sessions go too. Returns how many were dropped."""
        now = time.time() if now is None else now
        streams = [st for s in self.sessions.values() for st in s.streams.values() if len(st)]
        keep = int(self.settings.max_total_samples * BUDGET_LOW_WATER)
        counts = trim_counts(
            [st.ring.t for st in streams], [now - st.updated for st in streams], keep
        )
        total = 0
        for st, k in zip(streams, counts.tolist(), strict=True):
            if k:
                total += st.ring.drop_oldest(k)
                st.lod.sync(st.ring)  # the ring may have shrunk: so does its pyramid
                st.version += 1
        self.stored_samples -= total
        self.total_dropped += total
        self.budget_dropped += total
        for s in [s for s in self.sessions.values() if not s.live and not s.internal]:
            if not any(len(st) for st in s.streams.values()):
                self._forget(s, "the memory budget (its samples were the oldest)")
        return total

    def _stream(self, session_id: str, name: str, capacity: int | None = None) -> Stream:
        session = self.sessions.get(session_id)
        if session is None:
            raise StoreError(f"unknown session {session_id!r}")
        stream = session.streams.get(name)
        if stream is None:
            limit = self.settings.max_streams_per_session
            if len(session.streams) >= limit:
                raise self._refuse(
                    "max_streams_per_session",
                    f"session has {len(session.streams)} streams already (the limit, "
                    f"max_streams_per_session); '{name}' was not created",
                )
            if not session.internal:  # the app's own few metrics are never refused
                self._room_for_streams(1, f"'{name}' was not created", keep=session_id)
            stream = Stream(name, session_id, RingBuffer(capacity or self.settings.capacity))
            session.streams[name] = stream
            self.stream_count += 1
            self.structure_version += 1
        return stream

    # ------------------------------------------------------------ queries

    def find(
        self, name: str, session_id: str | None = None, source: str | None = None
    ) -> Stream | None:
        """The stream ``name`` in the given session, or in the newest session that holds
        samples of it, of ``source`` if given: ``LIVE`` for what follows live data (a
        recording's sessions are added after the live ones and must not take a live chart
        over), or a recording's path."""
        if session_id is not None:
            session = self.sessions.get(session_id)
            return session.streams.get(name) if session else None
        for session in reversed(self.sessions.values()):
            if source is not None and session.source != source:
                continue
            stream = session.streams.get(name)
            if stream is not None and len(stream):
                return stream
        return None

    def previous(self, stream: Stream) -> Stream | None:
        """The same name in the session before ``stream``'s own, from the same source (the
        ghost overlay: the previous Play, never a recording under a live curve)."""
        own = self.sessions.get(stream.session_id)
        if own is None:
            return None
        found = False
        for session in reversed(self.sessions.values()):
            if found and session.source == own.source:
                other = session.streams.get(stream.name)
                if other is not None and len(other):
                    return other
            found = found or session is own
        return None

    def recordings(self) -> dict[str, list[Session]]:
        """Open recordings (their paths, in the order opened) and their sessions."""
        out: dict[str, list[Session]] = {}
        for session in self.sessions.values():
            if session.source:
                out.setdefault(session.source, []).append(session)
        return out

    def stream_names(self) -> list[str]:
        return sorted({n for s in self.sessions.values() for n in s.streams})

    def describe(self) -> list[dict[str, object]]:
        return [
            {"session": s.id, "session_name": s.name, "name": st.name, "count": len(st)}
            for s in self.sessions.values()
            for st in s.streams.values()
        ]


def _first_reset(t: np.ndarray, last_t: float | None) -> int:
    """Index of the first sample that jumps back by ``RUN_RESET_SECONDS`` or more (a clock
    reset: a new run starts there), or ``len(t)``."""
    if len(t) == 1:  # one sample per message: no array ops
        return 0 if last_t is not None and t[0] - last_t <= -RUN_RESET_SECONDS else 1
    step = np.diff(t, prepend=t[0] if last_t is None else last_t)
    jumps = np.flatnonzero(step <= -RUN_RESET_SECONDS)
    return int(jumps[0]) if len(jumps) else len(t)


def _went_back(name: str, t: np.ndarray, keep: np.ndarray, floor: float) -> str:
    """The error for samples older than their stream's newest: which stream, by how much, from
    where to where (the first such sample), and how many were rejected."""
    i = int(np.argmin(keep))  # the first rejected sample
    top = max(floor, float(t[:i].max())) if i else floor
    to = float(t[i])
    text = f"'{name}' went back {_t(top - to)} s (from t={_t(top)} to t={_t(to)})"
    k = int((~keep).sum())
    return text if k == 1 else f"{text}; {k} samples went back and were rejected"


def _t(x: float) -> str:
    """A time for a message: as the client wrote it, without float noise (10.0, 7.5, 0.004)."""
    return repr(round(x, 6))
