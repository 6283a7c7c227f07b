"""A sender process for the ingest and latency benchmarks:

    python -m streamscope.bench.sender --url ws://127.0.0.1:PORT --form unity --seconds 5

Why not ``StreamClient``: one Python ``websockets`` sender tops out near 60k messages/s
(measured), below what the app is asked to take. This one opens the connection with websockets'
own sans-I/O handshake, then writes pre-built WebSocket frames in large ``sendall`` batches, so
the app, not the sender, is what limits the rate. Pings are answered; replies are read and
counted. Payloads are the real wire forms (``protocol.encode_binary`` for binary frames).

``--rate N`` paces single Unity packets at N per second with the wall clock (seconds since
``--base``) as both timestamp and value, so the app side can tell when each sample was sent.
It prints one JSON line with what it sent when it stops (``--seconds``, SIGTERM or Ctrl+C).
"""

from __future__ import annotations

import argparse
import contextlib
import select
import signal
import socket
import struct
import sys
import time
from urllib.parse import urlsplit

import numpy as np
import orjson
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from streamscope.core import protocol

FORMS = ("unity", "unity-array", "series", "binary")
UNITY_ARRAY = 100  # Unity packets per message in the "unity-array" form
BATCH = 1000  # samples per columnar / binary message (as loadgen's full speed)
UNITY_CHUNK = 2000  # Unity packets written per sendall
DT = 1e-5  # sample spacing of the generated streams, seconds


def ws_frame(payload: bytes, text: bool) -> bytes:
    """One masked client frame. The mask key is zero (a valid key: masking is then the
    identity), which lets a frame be built with one concatenation and no per-byte work."""
    head = 0x81 if text else 0x82
    n = len(payload)
    if n < 126:
        return struct.pack("!BB4x", head, 0x80 | n) + payload
    if n < 65536:
        return struct.pack("!BBH4x", head, 0x80 | 126, n) + payload
    return struct.pack("!BBQ4x", head, 0x80 | 127, n) + payload


class Connection:
    """A blocking socket speaking WebSocket through websockets' sans-I/O client protocol."""

    def __init__(self, url: str, name: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.proto = ClientProtocol(parse_uri(url))
        self.proto.send_request(self.proto.connect())
        self._flush()
        self.replies = 0
        self.errors = 0
        self.closed = False
        while not any(isinstance(e, Response) for e in self.proto.events_received()):
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the app closed the connection during the handshake")
            self.proto.receive_data(data)
        if self.proto.handshake_exc is not None:
            raise self.proto.handshake_exc
        self.sock.setblocking(False)
        hello = {"type": "hello", "session": f"bench-{time.time_ns()}", "name": name}
        self.send(ws_frame(orjson.dumps(hello), text=True))

    def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                self._sendall(data)

    def _sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except BlockingIOError:
                self._wait_writable()
                continue
            view = view[sent:]

    def _wait_writable(self) -> None:
        self._receive()  # keep reading while the app's buffer is full: it may be replying
        select.select([self.sock], [self.sock], [], 0.05)

    def send(self, frames: bytes) -> None:
        """Write whole frames, then answer pings and read replies (never mid-frame)."""
        self._sendall(frames)
        self.poll()

    def _receive(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while data := self.sock.recv(1 << 20):
                self.proto.receive_data(data)
            self.closed = True  # recv returned b"": the app closed the connection

    def poll(self) -> None:
        """Read what arrived; answer pings (only here, between whole frames)."""
        self._receive()
        for event in self.proto.events_received():
            if isinstance(event, Frame) and event.opcode == Opcode.TEXT:
                self.replies += 1
                self.errors += b'"type":"error"' in event.data
        for data in self.proto.data_to_send():  # pongs, and a close answer
            if data:
                self.sock.setblocking(True)
                self.sock.sendall(data)
                self.sock.setblocking(False)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proto.send_close()
            self.sock.setblocking(True)
            self._flush()
            self.sock.shutdown(socket.SHUT_WR)
        self.sock.close()


class Streams:
    """The next samples of each stream, times advancing ``DT`` per sample."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.next = dict.fromkeys(names, 0)
        self.sent = 0

    def take(self, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        i0 = self.next[name]
        self.next[name] = i0 + n
        self.sent += n
        t = (i0 + np.arange(n)) * DT
        return t, np.sin(t * 50.0)


def unity_chunk(s: Streams) -> bytes:
    """``UNITY_CHUNK`` Unity packets, one per frame, round robin over the streams."""
    per = UNITY_CHUNK // len(s.names)
    frames = []
    for name in s.names:
        t, v = s.take(name, per)
        frames += [
            ws_frame(b'{"streamId":"%s","timestamp":%r,"value":%r}' % (name.encode(), a, b), True)
            for a, b in zip(t.tolist(), v.tolist(), strict=True)
        ]
    return b"".join(frames)


def unity_array_chunk(s: Streams) -> bytes:
    """``UNITY_CHUNK`` Unity packets as JSON arrays of ``UNITY_ARRAY`` (protocol v1 takes an
    array of packets in one frame: how a client that batches per game frame sends)."""
    per = UNITY_CHUNK // len(s.names)
    frames = []
    for name in s.names:
        t, v = s.take(name, per)
        packets = [
            b'{"streamId":"%s","timestamp":%r,"value":%r}' % (name.encode(), a, b)
            for a, b in zip(t.tolist(), v.tolist(), strict=True)
        ]
        for i in range(0, len(packets), UNITY_ARRAY):
            frames.append(ws_frame(b"[" + b",".join(packets[i : i + UNITY_ARRAY]) + b"]", True))
    return b"".join(frames)


def batch_chunk(s: Streams, form: str) -> bytes:
    """One columnar JSON or binary message per stream, ``BATCH`` samples each."""
    out = []
    for name in s.names:
        t, v = s.take(name, BATCH)
        if form == "binary":
            out.append(ws_frame(protocol.encode_binary(name, t, v), text=False))
        else:
            msg = {"type": "series", "stream": name, "t": t, "v": v}
            out.append(ws_frame(orjson.dumps(msg, option=orjson.OPT_SERIALIZE_NUMPY), True))
    return b"".join(out)


def full_speed(conn: Connection, form: str, names: list[str], stop: list[bool]) -> dict:
    s = Streams(names)
    frames = 0
    while not stop[0] and not conn.closed:
        if form == "unity":
            conn.send(unity_chunk(s))
            frames += UNITY_CHUNK // len(names) * len(names)
        elif form == "unity-array":
            conn.send(unity_array_chunk(s))
            frames += -(-(UNITY_CHUNK // len(names)) // UNITY_ARRAY) * len(names)
        else:
            conn.send(batch_chunk(s, form))
            frames += len(names)
    return {"sent": s.sent, "frames": frames}


def paced(conn: Connection, name: str, rate: float, base: float, stop: list[bool]) -> dict:
    """One Unity packet every 1/rate s, stamped (time and value) with its send time."""
    sent = 0
    due = time.monotonic()
    while not stop[0] and not conn.closed:
        now = time.time() - base
        msg = b'{"streamId":"%s","timestamp":%r,"value":%r}' % (name.encode(), now, now)
        conn.send(ws_frame(msg, True))
        sent += 1
        due += 1.0 / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            due = time.monotonic()  # fell behind: do not burst to catch up
    return {"sent": sent, "frames": sent}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.bench.sender", description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--form", choices=FORMS, default="binary")
    p.add_argument("--prefix", default="bench/s", help="stream names are PREFIX0, PREFIX1, ...")
    p.add_argument("--streams", type=int, default=8)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rate", type=float, default=0.0, help="paced Unity packets/s; 0 = max")
    p.add_argument("--base", type=float, default=0.0, help="wall time that paced stamps count from")
    args = p.parse_args(argv)
    stop = [False]
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.__setitem__(0, True))
    signal.signal(signal.SIGALRM, lambda *_: stop.__setitem__(0, True))
    signal.setitimer(signal.ITIMER_REAL, args.seconds)
    names = [f"{args.prefix}{i}" for i in range(args.streams)]
    started = time.monotonic()
    result: dict = {"form": args.form, "sent": 0, "frames": 0, "error": ""}
    conn = None
    try:
        conn = Connection(args.url, name=f"Bench {args.form}")
        if args.rate > 0:
            result.update(paced(conn, names[0], args.rate, args.base, stop))
        else:
            result.update(full_speed(conn, args.form, names, stop))
        result["replies"], result["errors"] = conn.replies, conn.errors
    except Exception as e:  # the app went away: report what was sent until then
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        if conn is not None:
            conn.close()
    result["seconds"] = round(time.monotonic() - started, 3)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return 0 if not result["error"] else 1


if __name__ == "__main__":
    sys.exit(main())
