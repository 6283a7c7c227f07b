"""Who may connect, and how much trouble one connection may cause.

A web page open in the user's browser can open ``ws://localhost:...`` too; browsers always
send an ``Origin`` header with it. Unity, Node's ``ws`` and ``websockets`` send none; Python's
``websocket-client`` sends the server's own address (``http://127.0.0.1:8765``), where no web
page can live, since this app holds that port and serves no pages. So a request is accepted with
no Origin or with the app's own address (on a loopback name or the bound host, never another
name: a DNS-rebinding page would bring its own), and refused with any other Origin unless that
origin was allowed explicitly. Listening beyond loopback needs a shared token. Both are decided
from the HTTP request alone, before the WebSocket handshake.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from streamscope.core.protocol import error_reply

TOKEN_ENV = "STREAMSCOPE_TOKEN"
TOKEN_QUERY = "token"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Connection-level limits and access rules, with defaults for a desktop tool.

    What a connection's *content* costs is charged to budgets that answer with an error
    reply; a connection is closed only by the WebSocket layer's own rules, for sending far
    more than any ingest could use (``max_frames_per_s``, ``max_bytes_per_s``), for staying
    silent (``idle_timeout``) or for not reading (``send_timeout``)."""

    token: str | None = None  # required from every client when set (mandatory off loopback)
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)  # "*" allows any page
    max_connections: int = 256  # more are refused with 503 before the handshake
    # Error replies: this many at once, then one a second (refill rate) that sums up the rest:
    # "37 more errors in the last 1.0 s, first: ...". 0 answers every bad frame on its own.
    max_error_replies: int = 10
    error_replies_per_s: float = 1.0
    # Replies: what the requests of one frame may cost, and one connection per second (with
    # a burst); past that a request gets an error saying which limit and how to page.
    max_requests_per_frame: int = 64
    max_reply_bytes_per_frame: int = 8 * 2**20
    reply_bytes_per_s: float = 32 * 2**20
    reply_burst_bytes: int = 64 * 2**20
    history_page: int = 100_000  # samples per historical_data reply unless 'limit' says less
    streams_page: int = 1_000  # rows per 'streams' reply unless 'limit' says less
    # Volume: far beyond what ingest can use (one sender reaches ~70k messages/s on loopback);
    # averaged over volume_window seconds; past it the connection is closed (1008).
    max_frames_per_s: float = 200_000
    max_bytes_per_s: float = 1024 * 2**20
    volume_window: float = 5.0
    idle_timeout: float = 60.0  # a connection that sends no message this long is closed
    # Unfinished (fragmented or partly received) messages: each connection holds at most
    # twice the frame limit (websockets' max_size); all together at most this many bytes.
    max_unfinished_bytes: int = 256 * 2**20
    max_queue: int = 4  # frames websockets buffers before it stops reading a connection
    # Wrong tokens: after this many from one address, it is refused (429) for a delay that
    # doubles with each further failure, up to token_lockout_max seconds.
    token_failures_allowed: int = 5
    token_lockout_max: float = 60.0
    send_timeout: float = 10.0  # a client that does not take our replies this long is dropped
    close_timeout: float = 2.0  # shutdown waits this long for a client to close politely


class ServerConfigError(Exception):
    """The server cannot start with these settings (the message says how to fix it)."""


def is_loopback(host: str | None) -> bool:
    """True if ``host`` only listens on this machine ("" and None mean every interface)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public address


def check_exposure(host: str, settings: ServerSettings) -> None:
    if not is_loopback(host) and not settings.token:
        raise ServerConfigError(
            f"--host {host or '(all interfaces)'} would let anyone on the network send data. "
            f"Pass --token SECRET (or set {TOKEN_ENV}); clients then send the header "
            f"'Authorization: Bearer SECRET' or add ?{TOKEN_QUERY}=SECRET to the URL. "
            "Use --host 127.0.0.1 to stay local."
        )


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def own_origins(host: str, port: int) -> frozenset[str]:
    """The Origins that name this app's own address: ``http://`` + a loopback name or the bound
    host + the app's port (no port for 80, as clients write it)."""
    bound = f"[{host}]" if ":" in host else host
    names = {*LOOPBACK_NAMES, bound.lower()} - {"", "0.0.0.0", "[::]"}
    hostports = {f"{n}:{port}" for n in names} | (names if port == 80 else set())
    return frozenset(f"http://{hp}" for hp in hostports)


def admit(
    headers, path: str, settings: ServerSettings, own: frozenset[str] = frozenset()
) -> tuple[HTTPStatus, str] | None:
    """Why this opening request is refused (HTTP status and a sentence), or None to accept.

    ``headers`` is a websockets ``Headers`` (``get_all`` gives every value of a header);
    ``own`` the app's own origins (``own_origins``), which are accepted like no Origin.
    """
    origins = headers.get_all("Origin")
    if origins:
        origin = origins[0]
        allowed = settings.allowed_origins
        if len(origins) > 1 or not ("*" in allowed or origin in allowed or origin.lower() in own):
            return (HTTPStatus.FORBIDDEN, origin_refusal(origin))
    if settings.token and not _token_matches(headers, path, settings.token):
        return (
            HTTPStatus.UNAUTHORIZED,
            "Missing or wrong token: send 'Authorization: Bearer <token>' "
            f"or add ?{TOKEN_QUERY}=<token> to the URL",
        )
    return None


def origin_refusal(origin: str) -> str:
    """The 403 text: who was refused and the two ways in."""
    return (
        f"Refused a web page at {origin}: pages may not send data unless allowed. "
        f"To allow it, start StreamScope with --allow-origin {origin}. "
        "A script that sends an Origin header can leave it out "
        "(websocket-client: suppress_origin=True)"
    )


def _token_matches(headers, path: str, token: str) -> bool:
    offered: list[str] = []
    for value in headers.get_all("Authorization"):
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "bearer":
            offered.append(credential.strip())
    offered += parse_qs(urlsplit(path).query).get(TOKEN_QUERY, [])
    want = token.encode()
    return any(hmac.compare_digest(o.encode(), want) for o in offered)


class ErrorReplies:
    """One connection's error replies, rate-limited and coalesced.

    A burst of ``burst`` replies go out as they come; after that, errors are held and summed
    up in one reply when the bucket (refilled at ``rate`` per second) allows:
    ``"37 more errors in the last 1.0 s, first: ..."``. Never a reason to close: bad input
    costs the client its error replies, never its connection or its valid samples.
    ``burst`` 0 answers every frame's errors on their own (tests, fuzzing)."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst = burst
        self.rate = rate
        self.level = float(burst)
        self.count = 0  # every error reported to this connection, sent or summed up
        self.held = 0  # errors waiting for the next summary
        self.first: str | None = None  # the first of them
        self.since = 0.0
        self._at: float | None = None

    def _refill(self, now: float) -> None:
        if self._at is not None:
            self.level = min(self.burst, self.level + (now - self._at) * self.rate)
        self._at = now

    def offer(self, errors: list[str], now: float) -> dict[str, Any] | None:
        """The reply for this frame's ``errors`` if one may go out now, else None (held)."""
        self.count += len(errors)
        if self.burst <= 0:
            return error_reply(errors)
        self._refill(now)
        if self.held == 0 and self.level >= 1:
            self.level -= 1
            return error_reply(errors)
        if self.held == 0:
            self.first, self.since = errors[0], now
        self.held += len(errors)
        return None

    def due(self, now: float) -> float | None:
        """Seconds until the held errors may be summed up (None: nothing held)."""
        if not self.held:
            return None
        self._refill(now)
        return max(0.0, (1 - self.level) / self.rate) if self.rate > 0 else None

    def summary(self, now: float) -> dict[str, Any] | None:
        """The reply summing up the held errors, if one may go out now."""
        if not self.held or self.due(now) != 0.0:
            return None
        self.level -= 1
        held, first, span = self.held, self.first or "", max(now - self.since, 1.0)
        self.held, self.first = 0, None
        noun = "error" if held == 1 else "errors"
        return {
            "type": "error",
            "message": f"{held} more {noun} in the last {span:.1f} s, first: {first}",
            "errors": [first],
            "suppressed": held,
        }


class Bucket:
    """A token bucket: ``take(n)`` is False once more than ``burst`` plus ``rate`` per second
    has been taken."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.level = float(burst)
        self._at: float | None = None

    def take(self, n: float, now: float) -> bool:
        if self._at is not None:
            self.level = min(self.burst, self.level + (now - self._at) * self.rate)
        self._at = now
        if n > self.level:
            return False
        self.level -= n
        return True


class TokenLockout:
    """Slows down guessing: after ``allowed`` wrong tokens from one address, that address is
    refused for 1 s, then 2, 4, ... up to ``longest`` seconds; a right token clears it."""

    def __init__(self, allowed: int, longest: float) -> None:
        self.allowed, self.longest = allowed, longest
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def locked(self, address: str, now: float) -> float:
        """Seconds this address must still wait (0: it may try)."""
        return max(0.0, self._until.get(address, 0.0) - now)

    def failed(self, address: str, now: float) -> None:
        n = self._failures[address] = self._failures.get(address, 0) + 1
        if n >= self.allowed:
            self._until[address] = now + min(self.longest, 2.0 ** (n - self.allowed))
        if len(self._failures) > 10_000:  # forget the oldest guessers, keep memory bounded
            for key in list(self._failures)[:5_000]:
                self._failures.pop(key, None)
                self._until.pop(key, None)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
        self._until.pop(address, None)
