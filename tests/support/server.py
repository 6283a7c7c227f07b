"""A real ingest server on 127.0.0.1:0 for one test body, and the requests tests send it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from streamscope.core.protocol import DEFAULT_LIMITS, Limits
from streamscope.core.store.store import Store, StoreSettings
from streamscope.ingest.client import StreamClient
from streamscope.ingest.guard import ServerSettings
from streamscope.ingest.server import IngestServer

T = TypeVar("T")


def serve(
    body: Callable[[IngestServer], Awaitable[T]],
    store: StoreSettings | None = None,
    limits: Limits | None = None,
    timeout: float = 30.0,
    stop_within: float | None = None,
    **settings: Any,
) -> T:
    """Run ``body(server)`` on a fresh asyncio loop against a started server, then stop it.

    ``settings`` are ``ServerSettings`` fields; ``stop_within`` (seconds) also fails the test
    when stopping the server takes longer, for tests whose fault could hang the shutdown.
    """

    async def main() -> T:
        server = IngestServer(
            Store(store), "127.0.0.1", 0, limits or DEFAULT_LIMITS, ServerSettings(**settings)
        )
        await server.start()
        try:
            return await asyncio.wait_for(body(server), timeout)
        finally:
            started = time.monotonic()
            await server.stop()
            if stop_within is not None:
                assert time.monotonic() - started < stop_within, "stopping the server hung"

    return asyncio.run(main())


async def history(client: StreamClient, stream: str, session: str | None = None) -> dict:
    """The server's ``historical_data`` reply for one stream (of one session, if given), every
    page of it joined (an error reply as it came)."""
    msg: dict = {"type": "request_historical_data", "stream": stream}
    if session:
        msg["session"] = session
    reply = await client.request(msg, "historical_data")
    while reply.get("next"):
        more = await client.request({**msg, **reply["next"]}, "historical_data")
        if more["type"] != "historical_data":
            return more
        reply = {**more, "t": reply["t"] + more["t"], "v": reply["v"] + more["v"]}
    return reply


async def still_serves(url: str) -> bool:
    """A fresh, well-behaved client is served normally."""
    async with StreamClient(url, name="Fine") as c:
        await c.send_sample("after", 42.0, t=1)
        return (await history(c, "after"))["v"] == [42.0]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` on the running asyncio loop; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
