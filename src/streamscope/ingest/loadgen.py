"""A load generator: one client sending several streams, at a fixed rate or as fast as the app
takes them. Run as its own process so the app's event loop is measured honestly:

    python -m streamscope.ingest.loadgen --url ws://127.0.0.1:8765 --streams 8 --rate 1000

At full speed (``--rate 0``) it cycles through the wire forms (packed binary, columnar JSON,
Unity packets) so every decoding path carries load; the app's flow control paces it. It prints
one JSON line with what it sent when it stops (after ``--seconds``, or on SIGTERM/Ctrl+C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time

import numpy as np
import orjson

from streamscope.ingest.client import StreamClient

CHUNK_S = 0.02  # a rated sender sends every 20 ms
FULL_SPEED_BATCH = 1000  # samples per frame at full speed (Unity packets: 50 per frame)


class Sender:
    """Generates the next samples of each stream: time advances 1 ms per sample."""

    def __init__(self, names: list[str], dt: float = 1e-3) -> None:
        self.names = names
        self.dt = dt
        self.next = dict.fromkeys(names, 0)
        self.sent = 0
        self.frames = 0

    def take(self, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        i0 = self.next[name]
        self.next[name] = i0 + n
        self.sent += n
        t = (i0 + np.arange(n)) * self.dt
        return t, np.sin(t * (1 + sum(name.encode()) % 7)) + 0.05 * np.cos(37 * t)


async def full_speed(client: StreamClient, s: Sender, stop: asyncio.Event) -> None:
    k = 0
    while not stop.is_set():
        name = s.names[k % len(s.names)]
        form = k % 3
        if form == 0:
            await client.send_binary(name, *s.take(name, FULL_SPEED_BATCH))
        elif form == 1:
            await client.send_series(name, *s.take(name, FULL_SPEED_BATCH))
        else:
            t, v = s.take(name, 50)
            packets = [
                {"streamId": name, "timestamp": a, "value": b}
                for a, b in zip(t.tolist(), v.tolist(), strict=True)
            ]
            await client.send(packets)
        s.frames += 1
        k += 1


async def rated(client: StreamClient, s: Sender, rate: float, stop: asyncio.Event) -> None:
    start = time.monotonic()
    while not stop.is_set():
        due = int((time.monotonic() - start) * rate)
        for name in s.names:
            n = due - s.next[name]
            if n > 0:
                await client.send_binary(name, *s.take(name, n))
                s.frames += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CHUNK_S)


async def run(args: argparse.Namespace) -> dict:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if args.seconds > 0:
        loop.call_later(args.seconds, stop.set)
    names = [f"{args.prefix}{i}" for i in range(args.streams)]
    sender = Sender(names)
    url = args.url + (f"?token={args.token}" if args.token else "")
    started = time.monotonic()
    error = ""
    try:
        async with StreamClient(url, name=args.name) as client:
            if args.rate > 0:
                await rated(client, sender, args.rate, stop)
            else:
                await full_speed(client, sender, stop)
    except Exception as e:  # the app went away: report what was sent until then
        error = f"{type(e).__name__}: {e}"
    return {
        "name": args.name,
        "sent": sender.sent,
        "frames": sender.frames,
        "seconds": round(time.monotonic() - started, 3),
        "error": error,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.ingest.loadgen", description=__doc__)
    p.add_argument("--url", default="ws://127.0.0.1:8765")
    p.add_argument("--token", default=None)
    p.add_argument("--name", default="Load", help="session name (hello)")
    p.add_argument("--prefix", default="load/s", help="stream names are PREFIX0, PREFIX1, ...")
    p.add_argument("--streams", type=int, default=8)
    p.add_argument("--rate", type=float, default=1000.0, help="samples/s per stream; 0 = max")
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = never)")
    args = p.parse_args(argv)
    result = asyncio.run(run(args))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return 0 if not result["error"] else 1


if __name__ == "__main__":
    sys.exit(main())
