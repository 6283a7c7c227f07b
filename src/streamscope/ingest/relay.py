"""``streamscope relay``: protocol v1 WebSocket clients in, the broker out; no window, no Qt.

The relay is the app's ingest server (same admission: Origin and token rules, client and
frame limits, error replies and their budget) with another frame sink: each connection is one
``<source>`` and its frames go unchanged to ``streamscope.in.<source>`` (with the arrival time
the app would have used, and a ``closed`` event when the connection ends). Frames are decoded
here too, so a client gets the same error replies as from the app. Commands a viewer publishes
on ``streamscope.cmd.<source>`` are forwarded to that client. Unity clients need no change.

The relay keeps no samples: ``list_streams`` and ``request_historical_data`` are answered by
the viewers (the app), and get an error reply here that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import socket
import time
from typing import Any

from nats.aio.msg import Msg
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from streamscope.core import protocol
from streamscope.core.protocol import Control, Limits
from streamscope.core.store.store import Store, StoreSettings
from streamscope.ingest.guard import ServerSettings
from streamscope.ingest.nats_link import BrokerLink, background
from streamscope.ingest.nats_publisher import Publisher
from streamscope.ingest.nats_subjects import (
    ARRIVAL_HEADER,
    CLOSED_EVENT,
    CMD_PREFIX,
    EVENT_HEADER,
    in_subject,
    sanitise_source,
)
from streamscope.ingest.replies import Reply
from streamscope.ingest.server import Connection, IngestServer

log = logging.getLogger(__name__)
DEFAULT_MAX_PAYLOAD = 1024 * 1024  # the broker's default, until it tells us its own


class _Backpressure:
    """Stands in for the server's FairShare (there is no GUI here): a client's next frame
    waits while the broker is behind, so its socket stops being read."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.pauses = 0

    async def turn(self) -> None:
        await self.publisher.room()

    def done(self) -> None:
        pass


class RelayServer(IngestServer):
    """The ingest server with the broker as its frame sink."""

    def __init__(
        self,
        link: BrokerLink,
        host: str = "127.0.0.1",
        port: int = 8765,
        limits: Limits = protocol.DEFAULT_LIMITS,
        settings: ServerSettings | None = None,
        prefix: str | None = None,
    ) -> None:
        # The store stays empty: it is only there for what the base class asks of it.
        super().__init__(Store(StoreSettings(capacity=16)), host, port, limits, settings)
        self.link = link
        self.publisher = Publisher(link)
        self.share = _Backpressure(self.publisher)  # type: ignore[assignment]
        self.prefix = (
            prefix or f"{sanitise_source(socket.gethostname())[:24]}-{secrets.token_hex(3)}"
        )
        self.sources: dict[int, str] = {}  # id(ws) -> source token
        self.clients: dict[str, ServerConnection] = {}  # source token -> its socket
        self.too_big = 0
        self._numbers = itertools.count(1)
        link.on_connect.append(self._listen_for_commands)

    async def start(self) -> None:
        self.publisher.start()
        await super().start()

    async def stop(self) -> None:
        await super().stop()  # every client's "closed" event is queued by now
        await self.publisher.close()

    # ------------------------------------------------------------ frames in

    def source_for(self, conn: Connection) -> str:
        key = id(conn.ws)
        source = self.sources.get(key)
        if source is None:
            source = self.sources[key] = f"{self.prefix}-{next(self._numbers)}"
            if conn.ws is not None:
                self.clients[source] = conn.ws
            log.info("%s is source %s", conn.peer, source)
        return source

    def handle_frame(self, conn: Connection, data: str | bytes, now: float) -> list[Reply]:
        """Check the frame as the app would (for the client's error replies) and publish it
        unchanged; the viewers decode it again and store it."""
        self.frames_in += 1
        raw = data.encode() if isinstance(data, str) else data
        decoded = protocol.decode(data, now, self.limits)
        errors = decoded.errors
        max_payload = self.link.nc.max_payload if self.link.nc else DEFAULT_MAX_PAYLOAD
        if len(raw) > max_payload - 1024:  # room for the subject and headers
            self.too_big += 1
            errors = [
                f"frame of {len(raw):,} bytes is larger than the broker takes "
                f"({max_payload:,}): send smaller batches, or raise max_payload on the broker"
            ]
        else:
            source = self.source_for(conn)
            self.publisher.publish(in_subject(source), raw, {ARRIVAL_HEADER: repr(now)})
        replies: list[Reply] = []
        for item in decoded.items:
            if isinstance(item, Control):
                reply = self._relay_control(item)
                if reply is not None:
                    replies.append(reply)
        if errors:
            replies.append(protocol.error_reply(errors))
        return replies

    def _relay_control(self, msg: Control) -> dict | None:
        if msg.type in ("list_streams", "request_historical_data"):
            return protocol.error_reply(
                [f"{msg.type}: this is a relay, it keeps no samples; ask a viewer (the app)"]
            )
        if msg.type == "get_stats":
            return {"type": "stats", **self.stats()}
        return None

    def stats(self) -> dict[str, Any]:
        p = self.publisher
        return {
            "relay": True,
            "broker": self.link.state,
            "frames_in": self.frames_in,
            "published": p.published,
            "pending": len(p.pending),
            "resent": p.resent,
            "dropped": p.dropped,
        }

    async def _handle(self, ws: ServerConnection) -> None:
        try:
            await super()._handle(ws)
        finally:
            source = self.sources.pop(id(ws), None)
            if source is not None:
                self.clients.pop(source, None)
                self.publisher.publish(
                    in_subject(source),
                    b"",
                    {EVENT_HEADER: CLOSED_EVENT, ARRIVAL_HEADER: repr(time.time())},
                )

    # ------------------------------------------------------------ commands back

    async def _listen_for_commands(self, reconnect: bool) -> None:
        nc = self.link.nc
        if nc is not None and not reconnect:  # nats-py restores it after a reconnect
            await nc.subscribe(CMD_PREFIX + ">", cb=self._command)

    async def _command(self, msg: Msg) -> None:
        source = msg.subject[len(CMD_PREFIX) :]
        ws = self.clients.get(source)
        if ws is None:
            return  # another relay's client, or one that has gone
        try:
            text = msg.data.decode()
        except UnicodeDecodeError:
            return
        background(self._tasks, _send_quietly(ws, text))


async def _send_quietly(ws: ServerConnection, text: str) -> None:
    """Forward a command as it came; a client that has gone is no error."""
    with contextlib.suppress(ConnectionClosed):
        await ws.send(text)


async def run_relay(server: RelayServer, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set, then close the clients and send what is queued."""
    server.link.start()
    await server.start()
    print(f"streamscope relay: {server.url} -> {server.link.where}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
        await server.link.close()
