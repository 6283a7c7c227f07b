"""Publishing producers' frames to the broker without losing or repeating any.

With JetStream every frame carries a ``Nats-Msg-Id`` (``<source>-<n>``) and a reply subject
of our own; the stream's acknowledgement there removes it from ``pending``. Frames are sent in
order, and whenever the link comes back (or an acknowledgement is late or an error) every
frame not yet acknowledged is sent again, in order: those the stream already holds are
dropped by its de-duplication window, the others are stored after them, so each source's
frames stay in order and none is lost while the broker is away. ``room()`` holds a producer
back while too much waits (its WebSocket then stops being read: TCP backpressure).

Without JetStream frames are published fire-and-forget (nats-py buffers them over a short
reconnect; what does not fit is counted in ``dropped``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from streamscope.ingest.nats_link import BrokerLink
from streamscope.ingest.nats_subjects import MSG_ID_HEADER

log = logging.getLogger(__name__)

MAX_PENDING_FRAMES = 4096  # waiting for the stream's acknowledgement, per publisher
MAX_PENDING_BYTES = 64 * 1024 * 1024
ACK_TIMEOUT_S = 5.0  # an acknowledgement later than this: send everything pending again


@dataclass(slots=True)
class _Frame:
    subject: str
    data: bytes
    headers: dict[str, str]
    sent: float = 0.0  # monotonic time of the last send; 0 = not sent on this connection


class Publisher:
    """Frames from any number of sources, published in order over ``link``."""

    def __init__(self, link: BrokerLink) -> None:
        self.link = link
        self.pending: OrderedDict[int, _Frame] = OrderedDict()
        self.pending_bytes = 0
        self.published = 0  # frames acknowledged by the stream (or sent, without JetStream)
        self.resent = 0
        self.dropped = 0  # frames that could not be sent at all (no JetStream, broker away)
        self._keys = itertools.count(1)
        self._ids: dict[str, itertools.count] = {}
        self._unsent: list[int] = []  # keys in order, not yet sent on this connection
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._inbox = ""
        self._acks: Subscription | None = None
        self._task: asyncio.Task | None = None
        self._ack_reader: asyncio.Task | None = None
        link.on_connect.append(self._connected)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    # ------------------------------------------------------------ producers' side

    def publish(self, subject: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        """Queue one frame (never blocks; see ``room``)."""
        headers = dict(headers or {})
        counter = self._ids.setdefault(subject, itertools.count(1))
        headers[MSG_ID_HEADER] = f"{subject}-{next(counter)}"
        key = next(self._keys)
        self.pending[key] = _Frame(subject, data, headers)
        self.pending_bytes += len(data)
        self._unsent.append(key)
        if len(self.pending) >= MAX_PENDING_FRAMES or self.pending_bytes >= MAX_PENDING_BYTES:
            self._room.clear()
        self._wake.set()

    async def room(self) -> None:
        """Wait while too many frames wait for the broker."""
        await self._room.wait()

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued frame is acknowledged (or sent); False on timeout."""
        end = time.monotonic() + timeout
        while self.pending and time.monotonic() < end:
            await asyncio.sleep(0.01)
        return not self.pending

    async def close(self, timeout: float = 5.0) -> None:
        await self.flush(timeout)
        for task in (self._task, self._ack_reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.pending:
            log.warning("NATS: %d frames were not acknowledged before closing", len(self.pending))

    # ------------------------------------------------------------ the broker's side

    async def _connected(self, reconnect: bool) -> None:
        nc = self.link.nc
        assert nc is not None
        if self._acks is None or not reconnect:
            self._inbox = nc.new_inbox()
            # Read in bulk by ``_read_acks`` (no callback: one task switch per ack cost the
            # relay a tenth of its time); what is asked for (MAX_PENDING_FRAMES) bounds it.
            self._acks = await nc.subscribe(
                self._inbox + ".*", pending_msgs_limit=1 << 20, pending_bytes_limit=1 << 28
            )
            if self._ack_reader is not None:
                self._ack_reader.cancel()
            self._ack_reader = asyncio.ensure_future(self._read_acks(self._acks))
        self._resend_all()

    async def _read_acks(self, sub: Subscription) -> None:
        queue = sub._pending_queue
        while True:
            msgs = [await queue.get()]
            while not queue.empty():
                msgs.append(queue.get_nowait())
            for msg in msgs:
                queue.task_done()
                sub._pending_size -= len(msg.data)
                try:
                    self._on_ack(msg)
                except Exception:  # a bug of ours must not stop the acknowledgements
                    log.exception("NATS: an acknowledgement could not be read")

    def _resend_all(self) -> None:
        """Everything not acknowledged goes out again, in order (de-duplicated by id)."""
        self.resent += len(self.pending) - len(self._unsent)
        self._unsent = list(self.pending)
        for frame in self.pending.values():
            frame.sent = 0.0
        self._wake.set()

    def _on_ack(self, msg: Msg) -> None:
        key = int(msg.subject.rsplit(".", 1)[1])
        if b'"error"' in msg.data[:200]:  # e.g. the stream is not ready yet: send again
            log.info("NATS: the stream refused a frame (%s); sending again", msg.data[:120])
            self._resend_all()
            return
        self._done(key)

    def _done(self, key: int, sent: bool = True) -> None:
        frame = self.pending.pop(key, None)
        if frame is None:
            return
        self.pending_bytes -= len(frame.data)
        self.published += sent
        if (
            len(self.pending) < MAX_PENDING_FRAMES // 2
            and self.pending_bytes < MAX_PENDING_BYTES // 2
        ):
            self._room.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            self._wake.clear()
            nc, link = self.link.nc, self.link
            if nc is None or not nc.is_connected or link.state != "connected":
                continue
            await self._send(nc, link.jetstream is True)
            if link.jetstream and self.pending:
                oldest = next(iter(self.pending.values()))
                if oldest.sent and time.monotonic() - oldest.sent > ACK_TIMEOUT_S:
                    self._resend_all()

    async def _send(self, nc, jetstream: bool) -> None:
        while self._unsent:
            batch, self._unsent = self._unsent, []
            now = time.monotonic()
            for i, key in enumerate(batch):
                frame = self.pending.get(key)
                if frame is None:
                    continue
                try:
                    if jetstream:
                        reply = f"{self._inbox}.{key}"
                        await nc.publish(frame.subject, frame.data, reply, frame.headers)
                        frame.sent = now
                    else:
                        await nc.publish(frame.subject, frame.data, headers=frame.headers)
                        self._done(key)
                except Exception as e:  # lost the broker mid-batch: the rest waits for it
                    if not jetstream:
                        self.dropped += len(batch) - i
                        for k in batch[i:]:
                            self._done(k, sent=False)
                    else:
                        self._unsent = batch[i:] + self._unsent
                    log.info("NATS: publishing paused: %s", type(e).__name__)
                    return
