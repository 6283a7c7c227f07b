"""A paced load for the live-frame bench: N streams at a fixed rate, in ``series`` batches.

    python -m streamscope.bench.live_sender --url ws://127.0.0.1:PORT --streams 8 --rate 1000

Every ``--batch-ms`` it sends, per stream, one columnar JSON message with the samples due since
the last batch; times are seconds since the sender started (wall clock), so a chart that
follows the newest data scrolls in real time. ``--history S`` first sends S seconds of past
samples at once, so the receiver starts in the steady state of a session already running
(a full window that scrolls) instead of a young one filling its window. Uses
``bench/sender.py``'s connection (built frames, websockets' sans-I/O handshake), so the sender
costs little CPU beside the receiver.
Prints one JSON line with what it sent when it stops.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time

import numpy as np
import orjson

from streamscope.bench.sender import Connection, ws_frame


def series_frames(names: list[str], i0: int, i1: int, rate: float) -> bytes:
    """One ``series`` message per stream for sample numbers [i0, i1): a slow sine per stream
    plus a little noise (a plausible telemetry curve, not a solid band)."""
    t = np.arange(i0, i1) / rate
    rng = np.random.default_rng(i0)
    out = []
    for k, name in enumerate(names):
        v = np.sin(t * (0.5 + 0.1 * k)) + 0.05 * rng.standard_normal(len(t))
        msg = {"type": "series", "stream": name, "t": t, "v": v}
        out.append(ws_frame(orjson.dumps(msg, option=orjson.OPT_SERIALIZE_NUMPY), text=True))
    return b"".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.bench.live_sender")
    p.add_argument("--url", required=True)
    p.add_argument("--prefix", default="live/s", help="stream names are PREFIX0, PREFIX1, ...")
    p.add_argument("--streams", type=int, default=8)
    p.add_argument("--rate", type=float, default=1000.0, help="samples/s per stream")
    p.add_argument("--batch-ms", type=float, default=50.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument(
        "--history",
        type=float,
        default=0.0,
        help="first send this many seconds of past samples at once (a session already running)",
    )
    args = p.parse_args(argv)
    stop = [False]
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.__setitem__(0, True))
    names = [f"{args.prefix}{i}" for i in range(args.streams)]
    result: dict = {"sent": 0, "batches": 0, "error": ""}
    conn = None
    started = time.monotonic()
    try:
        conn = Connection(args.url, name="Live load")
        sent = 0
        backlog = int(args.history * args.rate)
        while sent < backlog and not stop[0] and not conn.closed:  # one second per message
            upto = min(sent + int(args.rate), backlog)
            conn.send(series_frames(names, sent, upto, args.rate))
            result["sent"] += (upto - sent) * len(names)
            sent = upto
        started = due = time.monotonic()
        while not stop[0] and not conn.closed and time.monotonic() - started < args.seconds:
            upto = backlog + int((time.monotonic() - started) * args.rate)
            if upto > sent:
                conn.send(series_frames(names, sent, upto, args.rate))
                result["sent"] += (upto - sent) * len(names)
                result["batches"] += 1
                sent = upto
            due += args.batch_ms / 1000
            time.sleep(max(0.0, due - time.monotonic()))
    except Exception as e:  # the receiver went away: report what was sent until then
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        if conn is not None:
            with contextlib.suppress(Exception):  # the receiver may have closed first
                conn.close()
    result["seconds"] = round(time.monotonic() - started, 3)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
