"""``streamscope relay --nats URL [--host H] [--port P] [--token T]``: WebSocket clients in,
the broker out (``ingest/relay.py``). Headless; Ctrl+C or SIGTERM: clean exit 0."""

from __future__ import annotations

import argparse
import asyncio
import sys

from streamscope.cli.broker_args import add_broker_args, broker_options, stop_on_signals
from streamscope.cli.listen_args import add_listen_args, setup_logging, token_of


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streamscope relay",
        description="Accept protocol v1 WebSocket clients exactly like the app and publish "
        "their frames to a NATS broker (streamscope.in.<source>).",
    )
    add_listen_args(p)
    p.add_argument("-v", "--verbose", action="store_true")
    add_broker_args(p, required=True, replay=False)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        token = token_of(args)
    except ValueError as e:
        print(f"streamscope relay: {e}", file=sys.stderr)
        return 2
    from streamscope.ingest.guard import ServerConfigError, ServerSettings
    from streamscope.ingest.nats_link import BrokerError, BrokerLink
    from streamscope.ingest.relay import RelayServer, run_relay

    async def run() -> None:
        options = broker_options(args, "streamscope relay")
        assert options is not None
        access = ServerSettings(
            token=token,
            allowed_origins=tuple(args.allow_origin),
            idle_timeout=args.idle_timeout,
        )
        server = RelayServer(BrokerLink(options), args.host, args.port, settings=access)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await run_relay(server, stop)

    try:
        asyncio.run(run())
    except (ServerConfigError, BrokerError) as e:
        print(f"streamscope relay: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"streamscope relay: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    return 0
