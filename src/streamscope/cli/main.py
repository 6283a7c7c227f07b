"""Command line: ``streamscope [--demo] [--host H] [--port P] [--plot a,b] ...`` runs the app;
``streamscope <subcommand> ...`` runs one of ``SUBCOMMANDS`` (each in its own module).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from streamscope import __version__
from streamscope.cli.broker_args import add_broker_args
from streamscope.cli.listen_args import add_listen_args, setup_logging, token_of

# name -> "module:function"; the function takes the remaining argv and returns an exit code.
# Imported lazily so `streamscope --demo` does not pay for tools it does not run.
SUBCOMMANDS: dict[str, str] = {
    "export": "streamscope.cli.export:main",  # recording -> CSV, or a summary
    "soak": "streamscope.bench.soak:main",  # long run: prints RSS and frame time
    "bench-analysis": "streamscope.bench.analysis:main",  # analysis cost per frame
    "bench": "streamscope.bench.cli:main",  # render, ingest, latency, memory figures
    "relay": "streamscope.cli.relay:main",  # WebSocket clients -> NATS broker, headless
    "record": "streamscope.cli.record:main",  # NATS broker -> one .ssrec file, headless
}
SNAPSHOT_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".svg")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streamscope",
        description="Live telemetry plots over WebSocket (protocol: PROTOCOL.md).",
        epilog="subcommands: " + (", ".join(sorted(SUBCOMMANDS)) or "none yet"),
    )
    p.add_argument("--version", action="version", version=f"streamscope {__version__}")
    add_listen_args(p)
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
    p.add_argument(
        "--max-samples",
        type=_at_least(10_000),
        default=40_000_000,
        help="memory budget: samples kept over all streams, 16 bytes each; the oldest are "
        "dropped first (default 40M)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    add_broker_args(p)
    files = p.add_argument_group("layouts, recordings and snapshots")
    files.add_argument(
        "--layout", metavar="FILE", help="start with this layout instead of the last one"
    )
    files.add_argument("--record", metavar="DIR", help="record every session to a new file in DIR")
    files.add_argument(
        "--record-self",
        action="store_true",
        help="recordings also hold the app's own health session (StreamScope)",
    )
    files.add_argument(
        "--open",
        action="append",
        default=[],
        metavar="RECORDING",
        help="show a recording's sessions at start (repeatable)",
    )
    files.add_argument(
        "--snapshot",
        metavar="FILE",
        help="save an image of the whole window (.png or .svg) after --after seconds, then exit",
    )
    files.add_argument(
        "--after", type=float, metavar="SECONDS", help="seconds before --snapshot (default 2)"
    )
    files.add_argument(
        "--snapshot-scale", type=float, default=1.0, metavar="X", help="2 = twice the pixels"
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end (server, client, chart, PNG), print one line, "
        "exit 0 if it works",
    )
    p.add_argument("--self-test-png", metavar="FILE", help="keep the self-test's PNG at FILE")
    return p


def _at_least(low: int):
    def parse(text: str) -> int:
        n = int(text)
        if n < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:,}")
        return n

    return parse


def _check_file_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.after is not None and not args.snapshot:
        p.error("--after needs --snapshot FILE")
    if args.after is not None and not args.after >= 0:
        p.error("--after must be 0 or more seconds")
    if args.snapshot and not args.snapshot.lower().endswith(SNAPSHOT_SUFFIXES):
        p.error(f"--snapshot FILE must end in one of {', '.join(SNAPSHOT_SUFFIXES)}")
    if not 0.25 <= args.snapshot_scale <= 8:
        p.error("--snapshot-scale must be between 0.25 and 8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        module, func = SUBCOMMANDS[argv[0]].split(":")
        return getattr(importlib.import_module(module), func)(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_file_args(parser, args)
    if args.self_test:
        from streamscope.selftest import main as self_test

        return self_test(args.self_test_png, args.verbose)
    setup_logging(args.verbose)
    from streamscope.app import AppOptions, StartupError, run

    plots = [[n.strip() for n in spec.split(",") if n.strip()] for spec in args.plot]
    options = AppOptions(args.host, args.port, args.demo, [p for p in plots if p], args.capacity)
    try:
        token = token_of(args)
    except ValueError as e:
        print(f"streamscope: {e}", file=sys.stderr)
        return 2
    options.token, options.allow_origins = token, args.allow_origin
    options.idle_timeout = args.idle_timeout
    options.max_samples = args.max_samples
    options.layout, options.record, options.open = args.layout, args.record, args.open
    options.record_self = args.record_self
    options.snapshot, options.snapshot_scale = args.snapshot, args.snapshot_scale
    options.snapshot_after = 2.0 if args.after is None else args.after
    options.nats, options.nats_creds = args.nats, args.nats_creds
    options.nats_ca, options.nats_cert, options.nats_key = (
        args.nats_ca,
        args.nats_cert,
        args.nats_key,
    )
    options.nats_max_age, options.nats_max_bytes = args.nats_max_age, args.nats_max_bytes
    options.nats_replay = args.nats_replay
    try:
        return run(options)
    except StartupError as e:
        print(f"streamscope: {e}", file=sys.stderr)
        return 2
