"""A producer that publishes to the broker directly (no relay), with ``StreamClient``'s calls.

async with NatsStreamClient("nats://127.0.0.1:4222", source="sim-1", name="MySim") as c:
    await c.send_binary("sine", t, v)
    cmd = await c.command()          # e.g. {"type": "stop_streaming", "metric": "sine"}

Frames are the protocol v1 frames a WebSocket client sends; with JetStream each one is
acknowledged by the stream and sent again after a broker restart (``nats_publisher.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import orjson
from nats.aio.msg import Msg

from streamscope.ingest.client import FrameSender
from streamscope.ingest.nats_link import BrokerLink, BrokerOptions
from streamscope.ingest.nats_publisher import Publisher
from streamscope.ingest.nats_subjects import cmd_subject, in_subject


class NatsStreamClient(FrameSender):
    def __init__(
        self,
        url: str,
        source: str | None = None,
        name: str | None = None,
        creds: str | None = None,
        ca: str | None = None,
    ) -> None:
        """``creds``: a NATS credentials file; ``ca``: the CA (PEM) of a ``tls://`` broker."""
        self.source = source or uuid.uuid4().hex[:12]
        self.subject = in_subject(self.source)
        self.name = name
        self.session = uuid.uuid4().hex
        self.link = BrokerLink(
            BrokerOptions(url, creds, name=f"streamscope producer {self.source}", ca=ca)
        )
        self.publisher = Publisher(self.link)
        self.commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.link.on_connect.append(self._listen)

    async def __aenter__(self) -> NatsStreamClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, timeout: float = 10.0) -> None:
        self.link.start()
        self.publisher.start()
        if not await self.link.wait_connected(timeout):
            raise ConnectionError(f"broker not reachable: {self.link.detail}")
        if self.name:
            await self.send({"type": "hello", "session": self.session, "name": self.name})

    async def close(self) -> None:
        await self.publisher.close()
        await self.link.close()

    async def _listen(self, reconnect: bool) -> None:
        if not reconnect and self.link.nc is not None:
            await self.link.nc.subscribe(cmd_subject(self.source), cb=self._command)

    async def _command(self, msg: Msg) -> None:
        with contextlib.suppress(orjson.JSONDecodeError):
            await self.commands.put(orjson.loads(msg.data))

    async def command(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next command a viewer sent this producer."""
        return await asyncio.wait_for(self.commands.get(), timeout)

    async def send_raw(self, data: bytes | str) -> None:
        await self.publisher.room()
        self.publisher.publish(self.subject, data.encode() if isinstance(data, str) else data)

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the broker has every frame sent so far."""
        return await self.publisher.flush(timeout)
