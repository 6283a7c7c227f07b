"""Names and plain values of the broker setup, without the NATS client: subjects, the stream,
headers, defaults, source tokens, URL redaction and the option parsers (the CLI imports this
module at start, so it must stay cheap). PROTOCOL.md describes the subjects.

- ``streamscope.in.<source>``: one producer's protocol v1 frames, as they would arrive on its
  WebSocket connection (one NATS message = one frame, JSON or binary);
- ``streamscope.cmd.<source>``: commands for that producer (start/stop_streaming, requests).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

IN_PREFIX = "streamscope.in."
CMD_PREFIX = "streamscope.cmd."
STREAM = "STREAMSCOPE"
DEFAULT_MAX_AGE_S = 24 * 3600.0  # a day of sessions on the broker's disk
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB; the oldest frames go first past it
DUPLICATE_WINDOW_S = 120.0  # a re-sent frame (same Nats-Msg-Id) within this is stored once
MAX_SOURCE_LENGTH = 64
# Headers a relay adds to each frame (PROTOCOL.md): the arrival time the app would have used
# for samples without a timestamp, and the end of the producer's connection.
ARRIVAL_HEADER = "StreamScope-Arrival"
EVENT_HEADER = "StreamScope-Event"
CLOSED_EVENT = "closed"
MSG_ID_HEADER = "Nats-Msg-Id"


_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]")


def sanitise_source(name: str) -> str:
    """A subject token from any name: no ``.``, ``*``, ``>``, spaces or other punctuation."""
    token = _UNSAFE.sub("_", name)[:MAX_SOURCE_LENGTH]
    return token or "_"


def in_subject(source: str) -> str:
    return IN_PREFIX + sanitise_source(source)


def cmd_subject(source: str) -> str:
    return CMD_PREFIX + sanitise_source(source)


def source_of(subject: str) -> str:
    return subject[len(IN_PREFIX) :] if subject.startswith(IN_PREFIX) else subject


def redact(url: str) -> str:
    """``url`` with any user, password or token replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``12h``, ``7d`` → seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if not m:
        raise ValueError(f"not a duration: {text!r} (e.g. 3600, 30m, 12h, 7d)")
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return float(m.group(1)) * scale


def parse_size(text: str) -> int:
    """``1000000``, ``500M``, ``2G`` (powers of 1024) → bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not m:
        raise ValueError(f"not a size: {text!r} (e.g. 500M, 2G)")
    scale = 1024 ** " kmgt".index(m.group(2) or " ")
    return int(float(m.group(1)) * scale)
