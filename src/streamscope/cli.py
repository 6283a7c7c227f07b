"""Command line: ``streamscope [--demo] [--host H] [--port P] [--plot a,b] ...`` runs the app;
``streamscope <subcommand> ...`` runs one of ``SUBCOMMANDS`` (each in its own module).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from streamscope import __version__

# name -> "module:function"; the function takes the remaining argv and returns an exit code.
# Imported lazily so `streamscope --demo` does not pay for tools it does not run.
SUBCOMMANDS: dict[str, str] = {}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streamscope",
        description="Live telemetry plots over WebSocket (protocol: PROTOCOL.md).",
        epilog="subcommands: " + (", ".join(sorted(SUBCOMMANDS)) or "none yet"),
    )
    p.add_argument("--version", action="version", version=f"streamscope {__version__}")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8765, help="port to listen on (default 8765; 0 = any)"
    )
    p.add_argument("--demo", action="store_true", help="also run the built-in simulated game")
    p.add_argument(
        "--plot",
        action="append",
        default=[],
        metavar="STREAMS",
        help="open a chart with these comma-separated streams (repeatable)",
    )
    p.add_argument(
        "--capacity", type=int, default=1_000_000, help="samples kept per stream (default 1M)"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end (server, client, chart, PNG), print one line, "
        "exit 0 if it works",
    )
    p.add_argument("--self-test-png", metavar="FILE", help="keep the self-test's PNG at FILE")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        module, func = SUBCOMMANDS[argv[0]].split(":")
        return getattr(importlib.import_module(module), func)(argv[1:])
    args = build_parser().parse_args(argv)
    if args.self_test:
        from streamscope.selftest import main as self_test

        return self_test(args.self_test_png, args.verbose)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from streamscope.app import AppOptions, StartupError, run

    plots = [[n.strip() for n in spec.split(",") if n.strip()] for spec in args.plot]
    options = AppOptions(args.host, args.port, args.demo, [p for p in plots if p], args.capacity)
    try:
        return run(options)
    except StartupError as e:
        print(f"streamscope: {e}", file=sys.stderr)
        return 2
