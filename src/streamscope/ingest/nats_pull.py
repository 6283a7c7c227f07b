"""Reading the ``STREAMSCOPE`` stream in batches: an ephemeral pull consumer asked for frames
ahead of need, its messages taken from the subscription's queue many at a time.

Why not nats-py's ordered push consumer: every frame cost an asyncio callback in the
subscription's own task, and its flow control is answered by a task that looks every 0.25 s,
so the broker may wait up to a quarter second after each window. Here the viewer asks for
``BATCH`` frames, and again whenever less than a batch is on its way (so two requests overlap
and the pipe does not run dry); whatever has arrived is handed over as one list
(``next_batch``), which the caller works through in the shared time slices. What is asked for
bounds what can wait in the client, so nothing is dropped as a slow consumer.

The subscription's queue is read directly (``_pending_queue``, as nats-py's own ``fetch``
does) and the consumer made through ``js._jsm``: private parts of nats-py, checked with 2.16;
the broker tests exercise every path here.

A frame whose consumer sequence skips (lost between broker and client) or a consumer the broker
no longer has (restart, inactivity) raises ``ConsumerLost``: the owner makes a new consumer from
the stream sequence after the last frame it handled, as after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js import api as js_api

BATCH = 512  # frames per pull request (two overlap)
EXPIRES_S = 5.0  # a pull request waits this long for new frames, then is asked again
STALL_S = EXPIRES_S + 5.0  # not even a request's expiry heard for this long: ask afresh
INACTIVE_S = 60.0  # the broker removes a consumer nobody has asked of for this long
STATUS = "Status"
_V1_TOKENS = 9  # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>


class ConsumerLost(Exception):
    """The consumer must be made again (from the sequence after the last one handled)."""


class JsFrame:
    """One stream message's fields the viewer needs, read from its reply subject."""

    __slots__ = ("msg", "pending", "seq", "stored_at")

    def __init__(self, msg: Msg, seq: int, stored_at: float, pending: int) -> None:
        self.msg, self.seq, self.stored_at, self.pending = msg, seq, stored_at, pending


class PullConsumer:
    """An ephemeral, unacknowledged pull consumer on ``stream`` read in batches."""

    def __init__(self, nc: Client, js: JetStreamContext, stream: str, batch: int = BATCH) -> None:
        self.nc, self.js, self.stream, self.batch = nc, js, stream, batch
        self.name = ""
        self.requests = 0  # pull requests sent (for tests and figures)
        self._sub: Subscription | None = None
        self._asked: deque[int] = deque()  # frames still to come per open request, oldest first
        self._next_dseq = 1

    async def start(self, config: js_api.ConsumerConfig) -> None:
        config.ack_policy = js_api.AckPolicy.NONE
        config.max_deliver = 1
        config.mem_storage = True
        config.num_replicas = 1
        config.inactive_threshold = INACTIVE_S
        info = await self.js._jsm.add_consumer(self.stream, config=config)
        self.name = info.name
        inbox = self.nc.new_inbox()
        # What may wait here is bounded by what was asked for (2 batches), far below these.
        self._sub = await self.nc.subscribe(
            inbox, pending_msgs_limit=1 << 20, pending_bytes_limit=1 << 30
        )
        self._next_subject = f"{self.js._prefix}.CONSUMER.MSG.NEXT.{self.stream}.{self.name}"
        self._inbox = inbox

    async def close(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if self.name and self.nc.is_connected:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.js.delete_consumer(self.stream, self.name), 2)

    async def _ask(self) -> None:
        while sum(self._asked) < self.batch:
            body = {"batch": self.batch, "expires": int(EXPIRES_S * 1e9)}
            await self.nc.publish(self._next_subject, orjson.dumps(body), self._inbox)
            self._asked.append(self.batch)
            self.requests += 1

    async def next_batch(self) -> list[JsFrame]:
        """The frames that have arrived (waiting for at least one message), in order."""
        assert self._sub is not None
        queue = self._sub._pending_queue
        await self._ask()
        try:
            first = await asyncio.wait_for(queue.get(), STALL_S)
        except TimeoutError:
            self._asked.clear()  # requests lost (e.g. with a connection): ask again
            return []
        msgs = [first]
        while not queue.empty():
            msgs.append(queue.get_nowait())
        for _ in msgs:  # a drain of the connection waits for these
            queue.task_done()
        frames: list[JsFrame] = []
        for msg in msgs:
            self._sub._pending_size -= len(msg.data)
            headers = msg.headers
            if headers and STATUS in headers and not msg.data:
                self._status(headers)
                continue
            frames.append(self._frame(msg))
        return frames

    def _frame(self, msg: Msg) -> JsFrame:
        if self._asked:
            self._asked[0] -= 1
            if self._asked[0] <= 0:
                self._asked.popleft()
        tokens = msg.reply.split(".")
        off = 0 if len(tokens) == _V1_TOKENS else 2  # v2 subjects add domain and account
        dseq = int(tokens[6 + off])
        if dseq != self._next_dseq:
            raise ConsumerLost(f"consumer sequence {dseq}, expected {self._next_dseq}")
        self._next_dseq = dseq + 1
        return JsFrame(msg, int(tokens[5 + off]), int(tokens[7 + off]) / 1e9, int(tokens[8 + off]))

    def _status(self, headers: dict[str, str]) -> None:
        code = headers[STATUS]
        description = headers.get("Description", "")
        if code == "100":  # idle heartbeat (not asked for) or flow control: nothing to do
            return
        if code == "503" or "Deleted" in description:  # no such consumer (any more)
            raise ConsumerLost(f"{code} {description}".strip())
        if self._asked:  # 404/408/409: the oldest request has ended
            self._asked.popleft()
