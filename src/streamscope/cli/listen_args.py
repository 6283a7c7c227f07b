"""Options of everything that accepts protocol v1 WebSocket clients (the app, ``streamscope
relay``): one definition, so a relay admits clients exactly as the app does."""

from __future__ import annotations

import argparse
import logging
import os


def add_listen_args(p: argparse.ArgumentParser) -> None:
    """--host, --port, --token, --token-file, --idle-timeout, --allow-origin."""
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8765, help="port to listen on (default 8765; 0 = any)"
    )
    p.add_argument(
        "--token",
        default=os.environ.get("STREAMSCOPE_TOKEN") or None,
        help="require this token from clients (header 'Authorization: Bearer TOKEN' or "
        "?token=TOKEN); needed to listen beyond 127.0.0.1 (default: $STREAMSCOPE_TOKEN)",
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help="read the token from the first line of FILE (keeps it out of the process list)",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="close a connection that sends nothing this long (default 60; 0 = never)",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let web pages from this origin connect, e.g. http://localhost:3000 "
        "(repeatable; browser pages are refused otherwise)",
    )


def token_of(args: argparse.Namespace) -> str | None:
    """--token, else --token-file's first line, else $STREAMSCOPE_TOKEN (--token's default)."""
    if args.token_file is None:
        return args.token
    if args.token and args.token != os.environ.get("STREAMSCOPE_TOKEN"):
        raise ValueError("give --token or --token-file, not both")
    try:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.readline().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read --token-file {args.token_file}: {e}") from None
    if not token:
        raise ValueError(f"--token-file {args.token_file} is empty")
    return token


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
