"""The WebSocket ingest server: a thin asyncio shell around ``protocol.decode`` and the store.

It runs on whatever asyncio loop is current (the qasync loop in the app, a plain loop in tests).
Handlers decode and append only; views find the new samples on their own clock.
Who may connect is decided in ``guard.py``; what a connection's requests may cost in
``replies.py``; what a connection may hold while it sends nothing useful in ``slots.py``.
A connection is never closed for what its frames contain: bad samples, bad frames and
requests past a budget get (rate-limited) error replies, and the valid samples are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from streamscope import __version__
from streamscope.core import protocol
from streamscope.core.protocol import Batch, Control, Limits
from streamscope.core.store.store import Store, StoreError
from streamscope.ingest import replies as read
from streamscope.ingest.fair_share import FairShare
from streamscope.ingest.guard import (
    Bucket,
    ErrorReplies,
    ServerSettings,
    TokenLockout,
    admit,
    check_exposure,
    own_origins,
)
from streamscope.ingest.replies import FrameReplies, Reply
from streamscope.ingest.slots import REDACT, QuietAccept, UnfinishedBytes, connection_class

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Connection:
    """One client: its peer address, the session its samples go to and its budgets."""

    peer: str
    settings: ServerSettings = field(default_factory=ServerSettings)
    session_id: str | None = None
    ws: ServerConnection | None = None
    last_seen: float = field(default_factory=time.monotonic)  # when its last message came
    errors: ErrorReplies = field(init=False)  # rate limit and summary of error replies
    replies: Bucket = field(init=False)  # reply bytes a second
    frames: Bucket = field(init=False)  # volume limit: frames and bytes received a second
    received: Bucket = field(init=False)
    summary: asyncio.TimerHandle | None = None  # sends the held errors' summary

    def __post_init__(self) -> None:
        s = self.settings
        self.errors = ErrorReplies(s.max_error_replies, s.error_replies_per_s)
        self.replies = Bucket(s.reply_bytes_per_s, s.reply_burst_bytes)
        self.frames = Bucket(s.max_frames_per_s, s.max_frames_per_s * s.volume_window)
        self.received = Bucket(s.max_bytes_per_s, s.max_bytes_per_s * s.volume_window)


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
        self.settings = s = settings or ServerSettings()
        self.rejected: dict[int, int] = {}  # HTTP status -> connections refused with it
        self.last_refusal: dict[int, str] = {}  # HTTP status -> the latest refusal's text
        self.error_replies = 0
        self.errors_by_session: dict[str, int] = {}  # session id -> errors its clients made
        self.closed_for_limits = 0  # volume or idle: never for what the samples contain
        self.cut_off = 0  # clients dropped for not reading what we sent
        self.connections: set[Connection] = set()
        self.share = FairShare()
        self.unfinished = UnfinishedBytes(s.max_unfinished_bytes)
        self.lockout = TokenLockout(s.token_failures_allowed, s.token_lockout_max)
        self.stats_provider: Callable[[], dict[str, Any]] | None = None
        self.frames_in = 0
        self._server: Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._accept: QuietAccept | None = None
        self._sweep: asyncio.TimerHandle | None = None

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen; raises ``ServerConfigError`` for an exposed address without a token."""
        check_exposure(self.host, self.settings)
        if self.settings.token:
            REDACT.tokens.add(self.settings.token)  # never in a log line, whoever logs it
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._admit,
            close_timeout=self.settings.close_timeout,
            # Frames up to twice our own limit reach decode() and get an error reply;
            # beyond that websockets closes the connection (1009) before buffering it all.
            max_size=2 * self.limits.max_frame_bytes,
            max_queue=self.settings.max_queue,
            compression=None,  # deflate costs CPU on loopback for no gain
            create_connection=connection_class(self.unfinished),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        self._accept = QuietAccept(loop)
        self._schedule_sweep(loop)
        log.info("listening on %s", self.url)

    async def stop(self) -> None:
        """Close every connection (1001) and stop listening. A client that does not read can
        stall a polite close, so after ``close_timeout`` its socket is cut."""
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        if self._accept is not None:
            self._accept.remove()
            self._accept = None
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
        """Before the handshake: refuse browser pages, missing tokens, an address that keeps
        guessing the token, and too many clients."""
        address = str(connection.remote_address[0])
        now = time.monotonic()
        wait = self.lockout.locked(address, now) if self.settings.token else 0.0
        refusal: tuple[HTTPStatus, str] | None
        if wait:
            refusal = (
                HTTPStatus.TOO_MANY_REQUESTS,
                f"Too many wrong tokens from {address}; try again in {wait:.0f} s",
            )
        else:
            own = own_origins(self.host, self.port)
            refusal = admit(request.headers, request.path, self.settings, own)
            if refusal is not None and refusal[0] == HTTPStatus.UNAUTHORIZED:
                self.lockout.failed(address, now)
            elif refusal is None and self.settings.token:
                self.lockout.succeeded(address)
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
        if status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Bearer realm="streamscope"'
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            response.headers["Retry-After"] = str(max(1, round(wait)))
        return response

    # ------------------------------------------------------------ per connection

    async def _handle(self, ws: ServerConnection) -> None:
        host, port = ws.remote_address[:2]
        conn = Connection(f"{host}:{port}", self.settings, ws=ws)
        self.connections.add(conn)
        try:
            config = protocol.initial_configuration(__version__, self.store.stream_names())
            await self._reply(ws, config)
            async for message in ws:
                conn.last_seen = mono = time.monotonic()
                if not (conn.frames.take(1, mono) and conn.received.take(len(message), mono)):
                    await self._close(conn, self._volume_reason())
                    break
                await self.share.turn()  # the GUI's frames come first: see fair_share.py
                now = time.time()
                try:
                    replies = self.handle_frame(conn, message, now)
                except Exception:  # a bug of ours must not cost the client its connection
                    log.exception("internal error on a frame from %s", conn.peer)
                    replies = [protocol.error_reply(["internal error on this frame (logged)"])]
                self.share.done()
                for reply in replies:  # one at a time: each is built when the last has gone
                    await self._reply(ws, reply)
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(conn)
            if conn.summary is not None:
                conn.summary.cancel()
            if conn.session_id is not None:  # a reconnect with the same hello id continues it
                self.store.end_session(conn.session_id, resumable=True)

    def _volume_reason(self) -> str:
        s = self.settings
        return (
            f"volume limit: over {s.max_frames_per_s:.0f} frames or "
            f"{s.max_bytes_per_s / 2**20:.0f} MB a second for {s.volume_window:g} s"
        )

    async def _reply(self, ws: ServerConnection, reply: Reply) -> None:
        """Build and send one reply; a client that stops reading is cut off after
        ``send_timeout``. ``send`` waits while the socket's buffer is full (back-pressure),
        so the next reply is built only once this one has been handed to the socket."""
        try:
            message = reply() if callable(reply) else reply
            text = protocol.encode(message)
        except TypeError:  # e.g. a stats provider returned something JSON cannot hold
            log.exception("could not build or encode a reply")
            message = protocol.error_reply(["internal error building the reply (logged)"])
            text = protocol.encode(message)
        del reply
        if message["type"] == "error":
            self.error_replies += 1
        del message  # only the text is held while the socket takes it
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

    async def _close(self, conn: Connection, reason: str) -> None:
        """Close for a limit (volume, idle): never for what the samples contain."""
        assert conn.ws is not None
        self.closed_for_limits += 1
        reason = reason.encode()[:120].decode(errors="ignore")  # a close reason is <= 123 bytes
        log.warning("closed %s: %s", conn.peer, reason)
        async with self._deadline(conn.ws, "take the close frame"):
            await conn.ws.close(CloseCode.POLICY_VIOLATION, reason)

    def handle_frame(self, conn: Connection, data: str | bytes, now: float) -> list[Reply]:
        """Apply one frame to the store; return the replies to send back (errors last).

        Samples are stored whatever else the frame holds; read requests are charged to the
        frame's and the connection's reply budgets; errors go through the connection's rate
        limit (``ErrorReplies``), so one reply may sum up several frames' errors."""
        self.frames_in += 1
        decoded = protocol.decode(data, now, self.limits)
        replies: list[Reply] = []
        errors = decoded.errors
        budget = FrameReplies(self.settings, conn.replies, time.monotonic())
        for item in decoded.items:
            if isinstance(item, Batch):
                errors.extend(self._append(conn, item))
            else:
                reply = self._control(conn, item, errors, budget)
                if reply is not None:
                    replies.append(reply)
        if (refused := budget.error()) is not None:
            errors.append(refused)
        replies.extend(self._errors(conn, errors, now))
        return replies

    def _append(self, conn: Connection, batch: Batch) -> list[str]:
        try:
            if conn.session_id is None or conn.session_id not in self.store.sessions:
                conn.session_id = self.store.open_session(conn.peer, peer=conn.peer, play=False).id
            if batch.backfill:
                self.store.backfill(conn.session_id, batch.stream, batch.t, batch.v)
                return []
            conn.session_id, errors = self.store.append(
                conn.session_id, batch.stream, batch.t, batch.v
            )
        except StoreError as e:
            return [str(e)]
        return errors

    def _control(
        self, conn: Connection, msg: Control, errors: list[str], budget: FrameReplies
    ) -> Reply | None:
        f = msg.fields
        if msg.type == "hello":
            if conn.session_id is not None:
                self.store.end_session(conn.session_id)
            product = self._hello_text(f, "name", conn.peer, errors)
            sid = self._hello_text(f, "session", None, errors)
            client = self._hello_text(f, "client", "", errors)
            conn.session_id = None  # the previous one has ended; a refused hello opens none
            try:
                conn.session_id = self.store.open_session(
                    product, sid, client=client, peer=conn.peer
                ).id
            except StoreError as e:  # a session limit, named in the message
                errors.append(str(e))
            return None
        if msg.type == "bye":
            if conn.session_id is not None:
                self.store.end_session(conn.session_id)
            conn.session_id = None
            return None
        if msg.type == "list_streams":
            return read.stream_list(self.store, f, budget)
        if msg.type == "request_historical_data":
            return read.history(self.store, f, budget, errors)
        if msg.type == "get_stats":
            return read.stats(self.stats_provider, budget)
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

    # ------------------------------------------------------------ error replies

    def _errors(self, conn: Connection, errors: list[str], now: float) -> list[Reply]:
        """The error replies to send now: the summary of held errors once allowed, then this
        frame's own (or nothing: they are held for the next summary)."""
        out: list[Reply] = []
        if (summary := conn.errors.summary(now)) is not None:
            out.append(summary)
        if errors:
            if conn.session_id is not None:
                sid = conn.session_id
                self.errors_by_session[sid] = self.errors_by_session.get(sid, 0) + len(errors)
            reply = conn.errors.offer(errors, now)
            if reply is not None:
                out.append(reply)
            else:
                self._schedule_summary(conn)
        return out

    def _schedule_summary(self, conn: Connection) -> None:
        """Send the held errors' summary when allowed, even if the client sends nothing more."""
        due = conn.errors.due(time.time())
        if conn.summary is not None or due is None or conn.ws is None:
            return
        ws = conn.ws

        def send() -> None:
            conn.summary = None
            if conn not in self.connections:
                return
            reply = conn.errors.summary(time.time())
            if reply is not None:
                self._spawn(self._reply_quietly(ws, reply))
            elif conn.errors.held:
                self._schedule_summary(conn)

        conn.summary = ws.loop.call_later(due + 0.01, send)

    def errors_of(self, session_id: str) -> int:
        """Errors sent to the clients of ``session_id`` so far (for the Streams panel)."""
        return self.errors_by_session.get(session_id, 0)

    # ------------------------------------------------------------ idle connections

    def _schedule_sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        every = max(0.05, min(self.settings.idle_timeout / 4, 5.0))
        self._sweep = loop.call_later(every, self._sweep_idle, loop)

    def _sweep_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close connections that sent no message for ``idle_timeout`` (pings do not count)."""
        limit = self.settings.idle_timeout
        now = time.monotonic()
        for conn in list(self.connections):
            if 0 < limit < now - conn.last_seen and conn.ws is not None:
                conn.last_seen = float("inf")  # closed once
                self._spawn(self._close_quietly(conn, f"idle: no message for {limit:g} s"))
        self._forget_gone_sessions()
        self._schedule_sweep(loop)

    def _forget_gone_sessions(self) -> None:
        """Error counts of sessions the store no longer holds (evicted, closed) go too, so the
        table stays bounded and a session re-created under an old id starts at 0."""
        gone = [sid for sid in self.errors_by_session if sid not in self.store.sessions]
        for sid in gone:
            del self.errors_by_session[sid]

    async def _close_quietly(self, conn: Connection, reason: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._close(conn, reason)

    # ------------------------------------------------------------ commands to clients

    def send_command(self, session_id: str, message: dict) -> bool:
        """Send ``message`` to the client feeding ``session_id``; False if it is gone."""
        for conn in self.connections:
            if conn.session_id == session_id and conn.ws is not None:
                self._spawn(self._reply_quietly(conn.ws, message))
                return True
        return False

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply_quietly(self, ws: ServerConnection, reply: Reply) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._reply(ws, reply)
