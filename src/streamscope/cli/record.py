"""``streamscope record --nats URL --record DIR``: the central recorder (``ingest/recorder.py``).
Headless; Ctrl+C or SIGTERM: everything received is committed, exit 0."""

from __future__ import annotations

import argparse
import asyncio
import sys


def build_parser() -> argparse.ArgumentParser:
    from streamscope.cli.broker_args import add_broker_args

    p = argparse.ArgumentParser(
        prog="streamscope record",
        description="Record every producer on a NATS broker to one .ssrec file in DIR.",
    )
    p.add_argument("--record", metavar="DIR", required=True, help="folder for the recording")
    p.add_argument("-v", "--verbose", action="store_true")
    add_broker_args(p, required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from streamscope.cli.listen_args import setup_logging

    setup_logging(args.verbose)
    from streamscope.cli.broker_args import broker_options, stop_on_signals
    from streamscope.core.files.recording import RecordingError
    from streamscope.ingest.nats_link import BrokerError, BrokerLink
    from streamscope.ingest.nats_source import Replay
    from streamscope.ingest.recorder import Recorder

    try:
        replay = Replay.parse(args.nats_replay)
    except ValueError as e:
        print(f"streamscope record: {e}", file=sys.stderr)
        return 2

    async def run() -> None:
        options = broker_options(args, "streamscope recorder")
        assert options is not None
        recorder = Recorder(BrokerLink(options), args.record, replay)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await recorder.run(stop)

    try:
        asyncio.run(run())
    except (RecordingError, BrokerError) as e:
        print(f"streamscope record: {e}", file=sys.stderr)
        return 2
    return 0
