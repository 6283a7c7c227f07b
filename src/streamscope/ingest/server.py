"""The WebSocket ingest server: a thin asyncio shell around ``protocol.decode`` and the store.

It runs on whatever asyncio loop is current (the qasync loop in the app, a plain loop in tests).
Handlers decode and append only; views find the new samples on their own clock.
Who may connect and how much one connection may cost is decided in ``guard.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from streamscope import __version__
from streamscope.core import protocol
from streamscope.core.protocol import Batch, Control, Limits
from streamscope.core.store.store import Store, StoreError
from streamscope.ingest.fair_share import FairShare
from streamscope.ingest.guard import (
    ErrorBudget,
    ServerSettings,
    admit,
    check_exposure,
    own_origins,
)

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Connection:
    """One client: its peer address and the session its samples go to."""

    peer: str
    session_id: str | None = None
    ws: ServerConnection | None = None
    errors: ErrorBudget | None = None


class IngestServer:
    def __init__(
        self,
        store: Store,
        host: str = "127.0.0.1",
        port: int = 8765,
        limits: Limits = protocol.DEFAULT_LIMITS,
        settings: ServerSettings | None = None,
    ) -> None:
        self.store = store
        self.host = host
        self.port = port
        self.limits = limits
        self.settings = settings or ServerSettings()
        self.rejected: dict[int, int] = {}  # HTTP status -> connections refused with it
        self.last_refusal: dict[int, str] = {}  # HTTP status -> the latest refusal's text
        self.error_replies = 0
        self.closed_for_errors = 0
        self.cut_off = 0  # clients dropped for not reading what we sent
        self.connections: set[Connection] = set()
        self.share = FairShare()
        self.stats_provider: Callable[[], dict[str, Any]] | None = None
        self.frames_in = 0
        self._server: Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen; raises ``ServerConfigError`` for an exposed address without a token."""
        check_exposure(self.host, self.settings)
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._admit,
            close_timeout=self.settings.close_timeout,
            # Frames up to twice our own limit reach decode() and get an error reply;
            # beyond that websockets closes the connection (1009) before buffering it all.
            max_size=2 * self.limits.max_frame_bytes,
            compression=None,  # deflate costs CPU on loopback for no gain
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("listening on %s", self.url)

    async def stop(self) -> None:
        """Close every connection (1001) and stop listening. A client that does not read can
        stall a polite close, so after ``close_timeout`` its socket is cut."""
        if self._server is not None:
            self._server.close()
            grace = self.settings.close_timeout + 1.0
            try:
                await asyncio.wait_for(asyncio.shield(self._server.wait_closed()), grace)
            except TimeoutError:
                for conn in list(self.connections):
                    if conn.ws is not None:
                        conn.ws.transport.abort()
                await self._server.wait_closed()
            self._server = None
            log.info("server stopped")

    # ------------------------------------------------------------ admission

    def _admit(self, connection: ServerConnection, request):
        """Before the handshake: refuse browser pages, missing tokens and too many clients."""
        own = own_origins(self.host, self.port)
        refusal = admit(request.headers, request.path, self.settings, own)
        if refusal is None and len(self.connections) >= self.settings.max_connections:
            refusal = (
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"Too many clients (limit {self.settings.max_connections})",
            )
        if refusal is None:
            return None
        status, text = refusal
        self.rejected[int(status)] = self.rejected.get(int(status), 0) + 1
        self.last_refusal[int(status)] = text
        peer = "{}:{}".format(*connection.remote_address[:2])
        log.warning("refused a connection from %s (HTTP %d): %s", peer, status, text)
        response = connection.respond(status, text + "\n")
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="streamscope"'
        return response

    # ------------------------------------------------------------ per connection

    async def _handle(self, ws: ServerConnection) -> None:
        host, port = ws.remote_address[:2]
        s = self.settings
        conn = Connection(f"{host}:{port}", ws=ws)
        conn.errors = ErrorBudget(s.max_error_replies, s.error_replies_per_s)
        self.connections.add(conn)
        try:
            config = protocol.initial_configuration(__version__, self.store.stream_names())
            await self._reply(ws, config)
            async for message in ws:
                await self.share.turn()  # the GUI's frames come first: see fair_share.py
                now = time.time()
                try:
                    replies = self.handle_frame(conn, message, now)
                except Exception:  # a bug of ours must not cost the client its connection
                    log.exception("internal error on a frame from %s", conn.peer)
                    replies = [protocol.error_reply(["internal error on this frame (logged)"])]
                self.share.done()
                for reply in replies:
                    await self._reply(ws, reply)
                if replies and replies[-1]["type"] == "error" and not conn.errors.spend(now):
                    await self._close_for_errors(conn, replies[-1])
                    break
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(conn)
            if conn.session_id is not None:  # a reconnect with the same hello id continues it
                self.store.end_session(conn.session_id, resumable=True)

    async def _reply(self, ws: ServerConnection, message: dict) -> None:
        """Send one reply; a client that stops reading is cut off after ``send_timeout``."""
        try:
            text = protocol.encode(message)
        except TypeError:  # e.g. a stats provider returned something JSON cannot hold
            log.exception("could not encode a %r reply", message.get("type"))
            message = protocol.error_reply(["internal error building the reply (logged)"])
            text = protocol.encode(message)
        if message["type"] == "error":
            self.error_replies += 1
        async with self._deadline(ws, "read our replies"):
            await ws.send(text)

    @contextlib.asynccontextmanager
    async def _deadline(self, ws: ServerConnection, what: str):
        """Cut the connection if the block takes longer than ``send_timeout`` (the await then
        ends with ConnectionClosed). Timers go on the connection's own loop: the qasync loop
        may run callbacks while no loop is marked running, where ``asyncio.timeout`` fails."""

        def cut() -> None:
            self.cut_off += 1
            log.warning("dropped %s:%s: it did not %s for %.0f s", *ws.remote_address[:2], what, t)
            ws.transport.abort()

        t = self.settings.send_timeout
        timer = ws.loop.call_later(t, cut)
        try:
            yield
        finally:
            timer.cancel()

    async def _close_for_errors(self, conn: Connection, last: dict) -> None:
        assert conn.ws is not None and conn.errors is not None
        self.closed_for_errors += 1
        reason = f"too many bad frames ({conn.errors.spent} errors); last: {last['message']}"
        reason = reason.encode()[:120].decode(errors="ignore")  # a close reason is <= 123 bytes
        log.warning("closed %s: %s", conn.peer, reason)
        async with self._deadline(conn.ws, "take the close frame"):
            await conn.ws.close(CloseCode.POLICY_VIOLATION, reason)

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
                reply = self._control(conn, item, errors)
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

    def _control(self, conn: Connection, msg: Control, errors: list[str]) -> dict | None:
        f = msg.fields
        if msg.type == "hello":
            if conn.session_id is not None:
                self.store.end_session(conn.session_id)
            product = self._hello_text(f, "name", conn.peer, errors)
            sid = self._hello_text(f, "session", None, errors)
            client = self._hello_text(f, "client", "", errors)
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

    def _hello_text(self, f: dict, key: str, default: Any, errors: list[str]) -> Any:
        """A hello field shown in the UI or used as a key: short printable text, else ignored."""
        x = f.get(key)
        if x is None:
            return default
        n = self.limits.max_name_length
        if isinstance(x, str) and 0 < len(x) <= n and x.isprintable():
            return x
        errors.append(f"hello: '{key}' must be printable text of 1 to {n} characters; ignored")
        return default

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
