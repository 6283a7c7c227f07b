"""The viewer's side of the broker: every ``streamscope.in.<source>`` subject is one producer,
handled exactly like one WebSocket connection (the server's own ``handle_frame``: decode,
hello/bye, sessions and play numbers, every protocol v1 form).

With JetStream the frames come from a pull consumer on the ``STREAMSCOPE`` stream, read in
batches (``nats_pull.py``): first what the stream holds (``replay``: all, none, or the last N
seconds), then live. The stream sequence of the last frame handled is kept, so after the broker
was lost the consumer is made again from the next one: nothing is lost or handled twice.
Without JetStream it subscribes to the live subject only, and says so.

Malformed frames get the same accounting as on a WebSocket (the error the server would have
replied), counted per source; there is no reply channel on a subject.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api as js_api

from streamscope.core import protocol
from streamscope.ingest.fair_share import FairShare
from streamscope.ingest.nats_link import BrokerLink, background
from streamscope.ingest.nats_pull import JsFrame, PullConsumer
from streamscope.ingest.nats_subjects import (
    ARRIVAL_HEADER,
    CLOSED_EVENT,
    EVENT_HEADER,
    IN_PREFIX,
    STREAM,
    cmd_subject,
    source_of,
)
from streamscope.ingest.replies import Reply
from streamscope.ingest.server import Connection, IngestServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Replay:
    """What a viewer reads from the stream before going live: ``all``, ``none`` or the last
    ``seconds``."""

    mode: str = "all"
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Replay:
        text = text.strip().lower()
        if text in ("all", "none"):
            return cls(text)
        seconds = float(text)
        if not seconds > 0:
            raise ValueError("--nats-replay takes all, none or a number of seconds > 0")
        return cls("seconds", seconds)


@dataclass
class SourceState:
    """One producer seen on the broker (one ``<source>`` token)."""

    conn: Connection
    frames: int = 0
    errors: int = 0  # frames that got an error (what a WebSocket client gets a reply for)
    last_error: str = ""
    closed: bool = False


@dataclass
class ReplayProgress:
    active: bool = False
    done: int = 0  # frames handled since the replay began
    total: int = 0  # frames the stream held when it began

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 1.0


@dataclass
class NatsSource:
    """Subscribes the app (or the recorder) to the broker through ``link``."""

    link: BrokerLink
    server: IngestServer  # its handle_frame and store (need not be listening: the recorder)
    replay: Replay = field(default_factory=Replay)
    share: FairShare = field(default_factory=FairShare)

    def __post_init__(self) -> None:
        self.sources: dict[str, SourceState] = {}
        self.last_seq = 0  # stream sequence of the last frame handled (JetStream)
        self.progress = ReplayProgress()
        self.frames = 0
        self.duplicates = 0  # frames delivered again after a consumer was remade (skipped)
        self._sub: Subscription | None = None
        self._consumer: PullConsumer | None = None
        self._reader: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._replay_until = 0  # the stream's last sequence when the replay began
        self.link.on_connect.append(self._subscribe)

    # ------------------------------------------------------------ state for the UI

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.sources.values())

    def status(self) -> str:
        """One short line: broker state, replay progress."""
        link = self.link
        if link.state == "untrusted":  # the broker's certificate: link.detail says why
            return "NATS: TLS not trusted"
        if link.state != "connected":
            return f"NATS: {link.state}"
        if self.progress.active:
            return f"NATS: replaying {self.progress.fraction:.0%}"
        return "NATS: live" if link.jetstream else "NATS: live only (no JetStream)"

    # ------------------------------------------------------------ subscribing

    async def _subscribe(self, reconnect: bool) -> None:
        link = self.link
        assert link.nc is not None
        await self._stop_reading()
        if not link.jetstream:
            sub = await link.nc.subscribe(
                IN_PREFIX + ">", pending_msgs_limit=1 << 20, pending_bytes_limit=512 * 1024 * 1024
            )
            self._sub = sub
            self._reader = asyncio.ensure_future(self._read_live(sub))
            log.info("NATS: subscribed live only (no JetStream on the broker: no replay)")
            return
        assert link.js is not None
        info = await link.js.stream_info(STREAM)
        if not reconnect and not self.last_seq and self.replay.mode != "none":
            held = info.state.messages
            self._replay_until = info.state.last_seq
            self.progress = ReplayProgress(active=held > 0, total=held)
        await self._make_consumer()
        what = "resuming after" if self.last_seq else "replay: " + self.replay.mode + ", stream at"
        log.info(
            "NATS: consuming %s (%s sequence %d)",
            STREAM,
            what,
            self.last_seq or info.state.last_seq,
        )
        self._reader = asyncio.ensure_future(self._read_stream())

    def _consumer_config(self) -> js_api.ConsumerConfig:
        config = js_api.ConsumerConfig(filter_subject=IN_PREFIX + ">")
        if self.last_seq:  # resume after the last frame handled
            config.deliver_policy = js_api.DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = self.last_seq + 1
        elif self.replay.mode == "none":
            config.deliver_policy = js_api.DeliverPolicy.NEW
        elif self.replay.mode == "seconds":
            since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.replay.seconds)
            config.deliver_policy = js_api.DeliverPolicy.BY_START_TIME
            config.opt_start_time = since
        return config

    async def _make_consumer(self) -> None:
        link = self.link
        assert link.nc is not None and link.js is not None
        consumer = PullConsumer(link.nc, link.js, STREAM)
        await consumer.start(self._consumer_config())
        self._consumer = consumer
        self._sub = consumer._sub

    async def _stop_reading(self) -> None:
        """The reader and consumer from before (the broker went away, or closing)."""
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.close()
        elif self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
        self._sub = None

    async def _read_stream(self) -> None:
        """Frames from the stream, a batch at a time; a lost consumer is made again from the
        sequence after the last frame handled."""
        while True:
            consumer = self._consumer
            try:
                if consumer is None:
                    await self._make_consumer()
                    continue
                for frame in await consumer.next_batch():
                    await self.share.turn()  # the GUI's frames come first (fair_share.py)
                    try:
                        self._on_stream(frame)
                    finally:
                        self.share.done()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # ConsumerLost, or the broker away while remaking it
                log.info("NATS: reading the stream again after sequence %d: %s", self.last_seq, e)
                self._consumer = None
                if consumer is not None:
                    await consumer.close()
                await asyncio.sleep(0.5)

    def _on_stream(self, frame: JsFrame) -> None:
        seq = frame.seq
        if seq <= self.last_seq:
            self.duplicates += 1
            return
        self.last_seq = seq
        p = self.progress
        if p.active:
            p.done += 1
            if seq >= self._replay_until or not frame.pending:
                p.active = False
                log.info("NATS: replay done (%d frames), live now", p.done)
        self._handle(frame.msg, frame.stored_at)

    async def _read_live(self, sub: Subscription) -> None:
        """Core NATS (no JetStream): whatever has arrived, one frame after another."""
        queue = sub._pending_queue
        while True:
            msg = await queue.get()
            queue.task_done()
            sub._pending_size -= len(msg.data)
            await self.share.turn()
            try:
                self._handle(msg, time.time())
            finally:
                self.share.done()

    def _handle(self, msg: Msg, stored_at: float) -> None:
        try:
            self.handle(msg.subject, msg.data, msg.headers, stored_at)
        except Exception:  # a bug of ours must not stop the subscription
            log.exception("internal error on a frame from %s", msg.subject)

    def handle(
        self, subject: str, data: bytes, headers: dict[str, str] | None, stored_at: float
    ) -> None:
        """One frame of one source, as its WebSocket connection would have handled it."""
        self.frames += 1
        source = source_of(subject)
        state = self.sources.get(source)
        if state is None:
            state = self.sources[source] = SourceState(Connection(f"nats:{source}"))
        headers = headers or {}
        if headers.get(EVENT_HEADER) == CLOSED_EVENT:
            self._closed(state)
            return
        state.closed = False
        state.frames += 1
        now = _float(headers.get(ARRIVAL_HEADER), stored_at)
        before = state.conn.errors.count
        replies = self.server.handle_frame(state.conn, data, now)
        if state.conn.errors.count > before:  # counted even when the reply was held back
            state.errors += 1
            state.last_error = _error_text(replies) or state.conn.errors.first or ""
            if state.errors == 1 or state.errors % 100 == 0:
                log.warning(
                    "bad frame from %s (%d so far): %s", source, state.errors, state.last_error
                )

    def _closed(self, state: SourceState) -> None:
        """The producer's connection to its relay ended: like a WebSocket close, its session
        can be continued by a hello with the same id."""
        state.closed = True
        if state.conn.session_id is not None:
            self.server.store.end_session(state.conn.session_id, resumable=True)

    # ------------------------------------------------------------ commands to producers

    def send_command(self, session_id: str, message: dict[str, Any]) -> bool:
        """Publish ``message`` to the producer feeding ``session_id``; False if none does."""
        nc = self.link.nc
        for source, state in self.sources.items():
            if state.conn.session_id == session_id and not state.closed:
                if nc is None or nc.is_closed:
                    return False
                data = protocol.encode(message).encode()
                background(self._tasks, _quietly(nc.publish(cmd_subject(source), data)))
                return True
        return False

    async def close(self) -> None:
        await self._stop_reading()


async def _quietly(aw: Any) -> None:
    try:
        await aw
    except Exception as e:  # the broker went away: the command is lost, like a closed socket's
        log.info("NATS: a command was not sent: %s", type(e).__name__)


def _float(text: str | None, default: float) -> float:
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        return default


def _error_text(replies: list[Reply]) -> str | None:
    """The message of this frame's error reply, if one went out (no reply channel here)."""
    for reply in reversed(replies):
        if isinstance(reply, dict) and reply.get("type") == "error":
            return str(reply.get("message", ""))
    return None
