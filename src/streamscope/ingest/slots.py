"""What a connection may hold while it says nothing useful, and what the log may show.

- Unfinished messages: websockets holds a message's fragments (or a large frame's bytes)
  until it is complete, up to ``max_size`` per connection; 200 connections each holding an
  unfinished 7 MiB message took 1.3 GB. ``UnfinishedBytes`` sums what every connection holds
  as data arrives and closes (1013, try again later) a connection that adds to a total past
  the limit.
- ``accept()`` failures (EMFILE: out of file descriptors) are logged by asyncio with a
  traceback on every retry, once a second; ``QuietAccept`` logs them once per interval with
  a count, and the server keeps serving the connections it has.
- Secrets: websockets logs the opening request at debug level (``-v``), Authorization header
  and ``?token=`` query included; ``RedactSecrets`` removes them from every record.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode

log = logging.getLogger("streamscope.ingest.server")


def held_bytes(ws: ServerConnection) -> int:
    """Bytes ``ws`` holds for messages not yet complete: the fragments received so far and
    what the stream reader buffers of a frame. Read from websockets' protocol state."""
    protocol = ws.protocol
    partial = getattr(protocol, "current_size", None) or 0
    buffer = getattr(getattr(protocol, "reader", None), "buffer", b"")
    return int(partial) + len(buffer)


class UnfinishedBytes:
    """The total held for unfinished messages over all connections, kept under ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held: dict[ServerConnection, int] = {}
        self.total = 0
        self.closed = 0  # connections closed for it
        self._closing: set[asyncio.Task] = set()
        self._dropped: set[ServerConnection] = set()

    def update(self, ws: ServerConnection) -> None:
        if ws in self._dropped:  # closing: what it still sends is discarded with it
            return
        n = held_bytes(ws)
        self.total += n - self.held.get(ws, 0)
        self.held[ws] = n
        if self.total > self.limit and n > 0 and ws.state.name == "OPEN":
            self.closed += 1
            log.warning(
                "closed %s:%s: unfinished messages of all clients hold %d MB (limit %d MB)",
                *ws.remote_address[:2], self.total >> 20, self.limit >> 20,
            )  # fmt: skip
            self.forget(ws)
            self._dropped.add(ws)
            task = asyncio.ensure_future(
                ws.close(CloseCode.TRY_AGAIN_LATER, "server busy: too much unfinished data")
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def forget(self, ws: ServerConnection) -> None:
        self.total -= self.held.pop(ws, 0)

    def lost(self, ws: ServerConnection) -> None:
        self.forget(ws)
        self._dropped.discard(ws)


def connection_class(unfinished: UnfinishedBytes) -> type[ServerConnection]:
    """A ``ServerConnection`` that reports what it holds after each read from the socket."""

    class Counted(ServerConnection):
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            unfinished.update(self)

        def connection_lost(self, exc: Exception | None) -> None:
            unfinished.lost(self)
            super().connection_lost(exc)

    return Counted


class QuietAccept:
    """An asyncio exception handler that logs ``accept()`` failures once per ``interval``
    (with how many there were) and passes everything else to the previous handler."""

    MARK = "socket.accept() out of system resource"

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = 10.0) -> None:
        self.loop, self.interval = loop, interval
        self.previous = loop.get_exception_handler()
        self.failures = 0
        self._logged_at = -float("inf")
        self._since_log = 0
        loop.set_exception_handler(self)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if str(context.get("message", "")).startswith(self.MARK):
            self.failures += 1
            self._since_log += 1
            now = time.monotonic()
            if now - self._logged_at >= self.interval:
                log.warning(
                    "cannot accept new connections (%s); %d time(s) since the last message, "
                    "still serving the connected clients",
                    context.get("exception"), self._since_log,
                )  # fmt: skip
                self._logged_at, self._since_log = now, 0
            return
        if self.previous is not None:
            self.previous(loop, context)
        else:
            loop.default_exception_handler(context)

    def remove(self) -> None:
        if self.loop.get_exception_handler() is self:
            self.loop.set_exception_handler(self.previous)


_SECRETS = (
    (re.compile(r"(?i)(authorization:\s*)\S+(\s+\S+)?"), r"\1[redacted]"),
    (re.compile(r"(?i)([?&]token=)[^&\s'\"]*"), r"\1[redacted]"),
)


def redact(text: str, token: str | None = None) -> str:
    for pattern, repl in _SECRETS:
        text = pattern.sub(repl, text)
    if token:
        text = text.replace(token, "[redacted]")
    return text


class RedactSecrets(logging.Filter):
    """Removes tokens from every record it sees (installed on websockets' loggers)."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = redact(text)
        for token in self.tokens:
            clean = clean.replace(token, "[redacted]")
        if clean != text:
            record.msg, record.args = clean, ()
        return True


REDACT = RedactSecrets()
for _name in ("websockets.server", "websockets.client", "websockets"):
    logging.getLogger(_name).addFilter(REDACT)
