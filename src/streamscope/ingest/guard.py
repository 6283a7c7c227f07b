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
from urllib.parse import parse_qs, urlsplit

TOKEN_ENV = "STREAMSCOPE_TOKEN"
TOKEN_QUERY = "token"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Connection-level limits and access rules, with defaults for a desktop tool."""

    token: str | None = None  # required from every client when set (mandatory off loopback)
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)  # "*" allows any page
    max_connections: int = 256  # more are refused with 503 before the handshake
    # A client whose frames keep failing is closed (1008): this many error replies in a burst,
    # refilled at error_replies_per_s, so an occasional bad value never closes anyone.
    max_error_replies: int = 100
    error_replies_per_s: float = 10.0
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


class ErrorBudget:
    """Token bucket over one connection's error replies: a burst of ``burst``, refilled at
    ``rate`` per second. ``spend`` is False once the client has used it up."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst = burst
        self.rate = rate
        self.level = float(burst)
        self.spent = 0
        self._at: float | None = None

    def spend(self, now: float) -> bool:
        if self.burst <= 0:  # 0 disables the limit
            return True
        if self._at is not None:
            self.level = min(self.burst, self.level + (now - self._at) * self.rate)
        self._at = now
        self.level -= 1
        self.spent += 1
        return self.level > 0
