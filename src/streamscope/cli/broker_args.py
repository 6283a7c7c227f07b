"""The ``--nats*`` options shared by the app, ``streamscope relay`` and ``streamscope record``."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from streamscope.ingest.nats_subjects import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_BYTES,
    parse_duration,
    parse_size,
)

if TYPE_CHECKING:
    from streamscope.ingest.nats_link import BrokerOptions


def _checked(parse: Callable[[str], object]) -> Callable[[str], object]:
    def wrapped(text: str) -> object:
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return wrapped


def add_broker_args(
    p: argparse.ArgumentParser, required: bool = False, replay: bool = True
) -> None:
    g = p.add_argument_group("broker (NATS JetStream; README: Team setup)")
    g.add_argument(
        "--nats",
        metavar="URL",
        required=required,
        default=None if required else os.environ.get("STREAMSCOPE_NATS") or None,
        help="NATS broker, e.g. nats://127.0.0.1:4222, nats://user:password@host:4222, "
        "nats://token@host:4222 or tls://host:4222 (default: $STREAMSCOPE_NATS)",
    )
    g.add_argument("--nats-creds", metavar="FILE", help="a NATS credentials file (JWT + NKey)")
    g.add_argument(
        "--nats-ca",
        metavar="FILE",
        help="TLS: the CA certificate (PEM) that signed the broker's certificate (default: the "
        "system's CAs)",
    )
    g.add_argument(
        "--nats-cert", metavar="FILE", help="TLS: a client certificate (PEM), if the broker asks"
    )
    g.add_argument(
        "--nats-key", metavar="FILE", help="TLS: the client certificate's key (unencrypted PEM)"
    )
    g.add_argument(
        "--nats-max-age",
        type=_checked(parse_duration),
        default=DEFAULT_MAX_AGE_S,
        metavar="AGE",
        help="when creating the STREAMSCOPE stream: keep frames this long (e.g. 12h, 7d; "
        "default 1d)",
    )
    g.add_argument(
        "--nats-max-bytes",
        type=_checked(parse_size),
        default=DEFAULT_MAX_BYTES,
        metavar="SIZE",
        help="when creating the STREAMSCOPE stream: at most this much on the broker's disk, "
        "oldest frames dropped first (e.g. 500M, 10G; default 1G)",
    )
    if replay:
        g.add_argument(
            "--nats-replay",
            default="all",
            metavar="all|none|SECONDS",
            help="on start, read what the stream holds first: all of it (default), none, or "
            "the last SECONDS",
        )


def broker_options(args: argparse.Namespace, name: str) -> BrokerOptions | None:
    if not args.nats:
        return None
    from streamscope.ingest.nats_link import BrokerOptions

    return BrokerOptions(
        args.nats,
        args.nats_creds,
        args.nats_max_age,
        args.nats_max_bytes,
        name,
        ca=args.nats_ca,
        cert=args.nats_cert,
        key=args.nats_key,
    )


def stop_on_signals(stop: asyncio.Event) -> None:
    """Ctrl+C and SIGTERM set ``stop`` (the tool then closes cleanly and exits 0)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
