"""The WebSocket ingest server: a thin asyncio shell around ``protocol.decode`` and the store.

It runs on whatever asyncio loop is current (the qasync loop in the app, a plain loop in tests).
Handlers decode and append only; views find the new samples on their own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from streamscope import __version__
from streamscope.core import protocol
from streamscope.core.protocol import Batch, Control, Limits
from streamscope.core.store import Store, StoreError

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Connection:
    """One client: its peer address and the session its samples go to."""

    peer: str
    session_id: str | None = None
    ws: ServerConnection | None = None


class IngestServer:
    def __init__(
        self,
        store: Store,
        host: str = "127.0.0.1",
        port: int = 8765,
        limits: Limits = protocol.DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.host = host
        self.port = port
        self.limits = limits
        self.connections: set[Connection] = set()
        self.stats_provider: Callable[[], dict[str, Any]] | None = None
        self.frames_in = 0
        self._server: Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            # Frames up to twice our own limit reach decode() and get an error reply;
            # beyond that websockets closes the connection (1009) before buffering it all.
            max_size=2 * self.limits.max_frame_bytes,
            compression=None,  # deflate costs CPU on loopback for no gain
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("listening on %s", self.url)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # ------------------------------------------------------------ per connection

    async def _handle(self, ws: ServerConnection) -> None:
        host, port = ws.remote_address[:2]
        conn = Connection(f"{host}:{port}", ws=ws)
        self.connections.add(conn)
        try:
            config = protocol.initial_configuration(__version__, self.store.stream_names())
            await ws.send(protocol.encode(config))
            async for message in ws:
                for reply in self.handle_frame(conn, message, time.time()):
                    await ws.send(protocol.encode(reply))
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(conn)
            if conn.session_id is not None:
                self.store.end_session(conn.session_id)

    def handle_frame(self, conn: Connection, data: str | bytes, now: float) -> list[dict]:
        """Apply one frame to the store; return the replies to send back (errors last)."""
        self.frames_in += 1
        decoded = protocol.decode(data, now, self.limits)
        replies: list[dict] = []
        errors = decoded.errors
        for item in decoded.items:
            if isinstance(item, Batch):
                errors.extend(self._append(conn, item))
            else:
                reply = self._control(conn, item)
                if reply is not None:
                    replies.append(reply)
        if errors:
            replies.append(protocol.error_reply(errors))
        return replies

    def _append(self, conn: Connection, batch: Batch) -> list[str]:
        if conn.session_id is None or conn.session_id not in self.store.sessions:
            conn.session_id = self.store.open_session(conn.peer, peer=conn.peer, play=False).id
        try:
            if batch.backfill:
                self.store.backfill(conn.session_id, batch.stream, batch.t, batch.v)
                return []
            conn.session_id, errors = self.store.append(
                conn.session_id, batch.stream, batch.t, batch.v
            )
        except StoreError as e:
            return [str(e)]
        return errors

    def _control(self, conn: Connection, msg: Control) -> dict | None:
        f = msg.fields
        if msg.type == "hello":
            if conn.session_id is not None:
                self.store.end_session(conn.session_id)
            product = f.get("name") if isinstance(f.get("name"), str) and f["name"] else conn.peer
            sid = f.get("session") if isinstance(f.get("session"), str) else None
            client = f.get("client") if isinstance(f.get("client"), str) else ""
            conn.session_id = self.store.open_session(
                product, sid, client=client, peer=conn.peer
            ).id
            return None
        if msg.type == "bye":
            if conn.session_id is not None:
                self.store.end_session(conn.session_id)
            conn.session_id = None
            return None
        if msg.type == "list_streams":
            return {"type": "streams", "streams": self.store.describe()}
        if msg.type == "request_historical_data":
            return self._history(f["stream"], f.get("session"))
        if msg.type == "get_stats":
            stats = self.stats_provider() if self.stats_provider else {}
            return {"type": "stats", **stats}
        return None

    def _history(self, name: str, session_id: Any) -> dict:
        sid = session_id if isinstance(session_id, str) else None
        stream = self.store.find(name, sid)
        if stream is None:
            where = f" in session {sid!r}" if sid else ""
            return protocol.error_reply([f"no stream {name!r}{where}"])
        return {
            "type": "historical_data",
            "stream": name,
            "session": stream.session_id,
            "t": stream.ring.t.copy(),  # copies: the ring may move before the reply is encoded
            "v": stream.ring.v.copy(),
        }

    # ------------------------------------------------------------ commands to clients

    def send_command(self, session_id: str, message: dict) -> bool:
        """Send ``message`` to the client feeding ``session_id``; False if it is gone."""
        for conn in self.connections:
            if conn.session_id == session_id and conn.ws is not None:
                task = asyncio.ensure_future(self._send_quietly(conn.ws, protocol.encode(message)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                return True
        return False

    @staticmethod
    async def _send_quietly(ws: ServerConnection, text: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(text)
