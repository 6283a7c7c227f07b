"""The broker side shared by the app, the relay and the recorder: the JetStream stream and one
NATS connection that keeps trying (``BrokerLink``). Names and defaults: ``nats_subjects.py``.

Why NATS with JetStream: the stream keeps every producer's frames on the broker's disk within
age/size limits, so a viewer started late replays a session from its start; nats-py is pure
asyncio (it runs on the qasync loop, Windows included).

Secrets (user, password, token in the URL; a credentials file's or a TLS key's contents) are
never logged: every URL shown goes through ``redact``. TLS: ``nats_tls.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js import errors as js_errors

from streamscope.ingest.nats_subjects import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_BYTES,
    DUPLICATE_WINDOW_S,
    IN_PREFIX,
    STREAM,
    redact,
)
from streamscope.ingest.nats_tls import NOT_ACCEPTED, tls_context, tls_problem

log = logging.getLogger(__name__)

BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 10.0)  # between attempts while the broker is unreachable


def background(tasks: set[asyncio.Task], aw: Awaitable[Any]) -> None:
    """Run ``aw`` as a task that is kept referenced (in ``tasks``) until it is done."""
    task = asyncio.ensure_future(aw)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


@dataclass(frozen=True)
class BrokerOptions:
    """How to reach the broker and what the JetStream stream keeps."""

    url: str
    creds: str | None = None  # a NATS credentials file (JWT + NKey seed)
    max_age_s: float = DEFAULT_MAX_AGE_S
    max_bytes: int = DEFAULT_MAX_BYTES
    name: str = "streamscope"  # the connection's name in the broker's monitoring
    ca: str | None = None  # PEM: the CA that signed the broker's certificate (else the system's)
    cert: str | None = None  # PEM client certificate, for a broker that verifies clients
    key: str | None = None  # its private key (unencrypted PEM), if not in ``cert``


class BrokerError(Exception):
    """Options that cannot work (a missing credentials or CA file); the message says why."""


class BrokerLink:
    """One NATS connection that is made in the background and kept.

    Unreachable at start: retried with backoff (``BACKOFF_S``); state ``untrusted`` while the
    broker's TLS certificate is not trusted (the detail says to give ``--nats-ca``). Lost
    later: nats-py reconnects on its own (forever, once a second); subscriptions on plain
    subjects come back by themselves, a JetStream consumer is made again by its owner from
    ``on_connect``. ``state`` and ``detail`` say where it stands, for a status bar or a log.
    """

    def __init__(self, options: BrokerOptions) -> None:
        if options.creds and not Path(options.creds).is_file():
            raise BrokerError(f"--nats-creds: no such file: {options.creds}")
        if options.creds and importlib.util.find_spec("nkeys") is None:
            # nats-py signs the connection with nkeys, an optional dependency of it
            raise BrokerError("--nats-creds needs the nkeys package: pip install nkeys")
        try:
            self.tls = tls_context(options.url, options.ca, options.cert, options.key)
        except ValueError as e:
            raise BrokerError(str(e)) from None
        self.options = options
        self.where = redact(options.url)
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.jetstream: bool | None = None  # None until known
        self.state = "connecting"
        self.detail = f"connecting to {self.where}"
        self.changed = 0  # bumped on every state change (views compare it)
        self.disconnects = 0
        # Called after every (re)connect, in order; ``True`` on a reconnect of the same client.
        self.on_connect: list[Callable[[bool], Awaitable[None]]] = []
        self._task: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._closing = False
        self._last_error = ""

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._connect_loop())

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until connected and set up (tests, tools); False on timeout."""
        end = time.monotonic() + timeout
        while self.state not in ("connected",) and time.monotonic() < end:
            await asyncio.sleep(0.02)
        return self.state == "connected"

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        nc = self.nc
        if nc is not None and not nc.is_closed:
            # drain (finish what is in flight) only while connected; both bounded: a broker
            # that went away must not keep the tool from exiting
            if nc.is_connected:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(nc.drain(), 5)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 5)
        self._set("closed", "closed")

    def _set(self, state: str, detail: str) -> None:
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.changed += 1

    async def _connect_loop(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                nc = await nats.connect(**self._connect_args())
            except asyncio.CancelledError:
                raise
            except Exception as e:  # unreachable, refused, bad credentials, TLS
                wait = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                attempt += 1
                why = self._last_error if isinstance(e, nats.errors.NoServersError) else ""
                why = why or self._safe(e)
                self._failed(why, f"; retry in {wait:g} s")
                if attempt == 1 or attempt % 10 == 0:
                    log.warning("NATS: %s", self.detail)
                await asyncio.sleep(wait)
                continue
            # Connected: from now on nats-py reconnects by itself, forever. (Its own loop for
            # the first connection would retry silently at a fixed pace: ours backs off and
            # says so, hence allow_reconnect off until here; the options are read live.)
            nc.options["allow_reconnect"] = True
            nc.options["max_reconnect_attempts"] = -1
            self.nc = nc
            try:
                await self._set_up(reconnect=False)
            except Exception as e:
                log.warning("NATS: set-up after connecting failed: %s", self._safe(e))
                self._set("error", f"set-up failed: {self._safe(e)}")
            return

    def _connect_args(self) -> dict[str, Any]:
        o = self.options
        args: dict[str, Any] = {
            "servers": [o.url],
            "name": o.name,
            # The first connection: two tries, then ours backs off (see _connect_loop).
            "allow_reconnect": False,
            "max_reconnect_attempts": 1,
            "reconnect_time_wait": 1,
            "connect_timeout": 2,
            "pending_size": 64 * 1024 * 1024,  # what may wait in the client during a reconnect
            "disconnected_cb": self._disconnected,
            "reconnected_cb": self._reconnected,
            "error_cb": self._error,
            "closed_cb": self._closed,
        }
        if o.creds:
            args["user_credentials"] = o.creds
        if self.tls is not None:
            args["tls"] = self.tls
            args["tls_hostname"] = urlsplit(o.url).hostname
        return args

    async def _set_up(self, reconnect: bool) -> None:
        """JetStream present? Stream there? Then the owners' subscriptions."""
        assert self.nc is not None
        self.js = self.nc.jetstream(timeout=5)
        self.jetstream = await self._ensure_stream(self.js)
        kind = "JetStream" if self.jetstream else "live only: no JetStream on the broker"
        self._set("connected", f"{self.where} ({kind})")
        log.info("NATS: connected to %s", self.detail)
        for hook in self.on_connect:
            await hook(reconnect)

    async def _ensure_stream(self, js: JetStreamContext) -> bool:
        try:
            await js.account_info()
        except (js_errors.ServiceUnavailableError, nats.errors.NoRespondersError):
            return False
        except js_errors.APIError as e:  # e.g. JetStream not enabled for this account
            log.info("NATS: no JetStream (%s)", e.description)
            return False
        try:
            await js.stream_info(STREAM)
            return True
        except js_errors.NotFoundError:
            pass
        o = self.options
        await js.add_stream(
            js_api.StreamConfig(
                name=STREAM,
                subjects=[IN_PREFIX + ">"],
                storage=js_api.StorageType.FILE,
                max_age=o.max_age_s,
                max_bytes=o.max_bytes,
                duplicate_window=DUPLICATE_WINDOW_S,
                discard=js_api.DiscardPolicy.OLD,
            )
        )
        log.info(
            "NATS: created stream %s (file storage, max age %g s, max %d bytes)",
            STREAM,
            o.max_age_s,
            o.max_bytes,
        )
        return True

    # ------------------------------------------------------------ nats-py callbacks

    async def _disconnected(self) -> None:
        if self._closing:
            return
        self.disconnects += 1
        self._set("reconnecting", f"lost {self.where}; reconnecting")
        log.warning("NATS: %s", self.detail)

    async def _reconnected(self) -> None:
        if self._closing:
            return
        try:
            await self._set_up(reconnect=True)
        except Exception as e:  # the broker may still be starting JetStream: retried below
            log.warning("NATS: set-up after reconnecting failed: %s", self._safe(e))
            self._set("error", f"set-up failed: {self._safe(e)}; retrying")
            background(self._tasks, self._retry_set_up())

    async def _retry_set_up(self) -> None:
        for wait in BACKOFF_S * 3:
            await asyncio.sleep(wait)
            if self._closing or self.nc is None or not self.nc.is_connected:
                return
            try:
                await self._set_up(reconnect=True)
                return
            except Exception as e:
                self._set("error", f"set-up failed: {self._safe(e)}; retrying")

    async def _error(self, e: Exception) -> None:
        if self._closing:
            return
        log.debug("NATS: %s", self._safe(e))
        if self.nc is None:  # still trying to make the first connection
            self._last_error = self._safe(e)
            self._failed(self._last_error)

    async def _closed(self) -> None:
        if not self._closing:
            self._set("closed", f"connection to {self.where} closed")

    def _failed(self, why: str, then: str = "") -> None:
        """The first connection failed: ``untrusted`` for the broker's TLS certificate (a
        retry will not help until the CA is given), else ``unreachable``."""
        if why.startswith(NOT_ACCEPTED):
            self._set("untrusted", f"{self.where}: {why}{then}")
        else:
            self._set("unreachable", f"{self.where} unreachable ({why}){then}")

    def _safe(self, e: BaseException) -> str:
        """An exception as text with any secret of the URL taken out (a TLS failure as its
        short reason)."""
        text = tls_problem(e) or (f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
        parts = urlsplit(self.options.url)
        for secret in (parts.username, parts.password):
            if secret:
                text = text.replace(secret, "***")
        return text
