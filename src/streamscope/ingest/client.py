"""A small asyncio sender for scripts, the demo and tests.

async with StreamClient("ws://127.0.0.1:8765", name="MySim") as c:
    await c.send_sample("fps", 59.9, t=1.25)
    await c.send_series("sine", t, v)       # numpy arrays, JSON columnar form
    await c.send_binary("sine", t, v)       # packed float64, fastest
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
from websockets.asyncio.client import ClientConnection, connect

from streamscope.core import protocol

Floats = Sequence[float] | np.ndarray  # times or values: a list or an array


class FrameSender:
    """The protocol's message shapes over any transport: a subclass sends one frame."""

    async def send_raw(self, data: bytes | str) -> None:
        raise NotImplementedError

    async def send(self, message: dict[str, Any] | list[dict[str, Any]]) -> None:
        await self.send_raw(protocol.encode(message))  # type: ignore[arg-type]

    async def send_sample(self, stream: str, value: float | None, t: float | None = None) -> None:
        """One sample in the Unity packet shape."""
        msg: dict[str, Any] = {"streamId": stream, "value": value}
        if t is not None:
            msg["timestamp"] = t
        await self.send(msg)

    async def send_series(self, stream: str, t: Floats, v: Floats) -> None:
        t, v = np.asarray(t, float), np.asarray(v, float)
        await self.send({"type": "series", "stream": stream, "t": t, "v": v})

    async def send_binary(self, stream: str, t: Floats, v: Floats) -> None:
        await self.send_raw(protocol.encode_binary(stream, np.asarray(t), np.asarray(v)))


class StreamClient(FrameSender):
    def __init__(
        self, url: str = "ws://127.0.0.1:8765", name: str | None = None, token: str | None = None
    ) -> None:
        self.url = url
        self.name = name
        self.token = token  # sent as an Authorization header, so it is not in the URL
        self.session = uuid.uuid4().hex
        self.config: dict[str, Any] | None = None
        self._ws: ClientConnection | None = None
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> StreamClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self._ws = await connect(
            self.url, compression=None, max_size=None, additional_headers=headers
        )
        self.config = orjson.loads(await self._ws.recv())
        self._reader = asyncio.ensure_future(self._read())
        if self.name:
            await self.send({"type": "hello", "session": self.session, "name": self.name})

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            await self._inbox.put(orjson.loads(message))

    async def send_raw(self, data: bytes | str) -> None:
        assert self._ws is not None, "connect() first"
        await self._ws.send(data)

    async def receive(self, *kinds: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next message from the app whose type is one of ``kinds`` (any, if none given)."""
        async with asyncio.timeout(timeout):
            while True:
                msg = await self._inbox.get()
                if not kinds or msg.get("type") in kinds:
                    return msg

    async def request(self, message: dict[str, Any], reply: str, timeout: float = 10.0) -> dict:
        """Send a request and wait for its reply (or an error reply)."""
        await self.send(message)
        return await self.receive(reply, "error", timeout=timeout)
