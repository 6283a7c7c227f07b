"""Budgets, not disconnections: what one connection's requests and errors may cost (issue 17)."""

from __future__ import annotations

import asyncio
import random
import struct
import time

import numpy as np
import orjson
import psutil
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from streamscope.core.protocol import encode_binary
from streamscope.core.store.store import StoreSettings
from streamscope.ingest.client import StreamClient
from support.frames import raw_connect
from support.server import history, serve, still_serves, until


def fill(server, streams: dict[str, int], session: str = "Big") -> None:
    """Streams of ``n`` samples each (t = 0, 1 ms, ...) in one session, straight in the store."""
    sid = server.store.open_session(session).id
    for name, n in streams.items():
        t = np.arange(n) * 1e-3
        server.store.append(sid, name, t, np.sin(t))


async def drain(ws, until_type: str = "error", timeout: float = 20.0) -> list[dict]:
    """Every reply up to and including the first of ``until_type``."""
    got = []
    while True:
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
        got.append(msg)
        if msg["type"] == until_type:
            return got


async def round_trip(url: str) -> float:
    async with StreamClient(url, name="Good") as c:
        started = time.monotonic()
        await c.send_sample("good", 1.0, t=1)
        assert (await history(c, "good"))["v"] == [1.0]
        return time.monotonic() - started


def test_one_frame_of_repeated_requests_costs_bounded_memory_and_others_are_served():
    """16 KB of repeated history requests for a 1M-sample stream, then of list_streams over
    20,000 streams: RSS growth <= 150 MB, another client's round trip <= 1 s."""
    history_frame = orjson.dumps(
        [{"type": "request_historical_data", "stream": "big"}] * 320
    ).decode()
    list_frame = orjson.dumps([{"type": "list_streams"}] * 666).decode()
    assert 15_000 < len(history_frame) < 17_000 and 15_000 < len(list_frame) < 17_000

    async def body(server):
        fill(server, {"big": 1_000_000})
        fill(server, {f"s{i}": 1 for i in range(20_000)}, session="Many")
        me = psutil.Process()
        base = peak = me.memory_info().rss

        async def watch():
            nonlocal peak
            while True:
                peak = max(peak, me.memory_info().rss)
                await asyncio.sleep(0.005)

        watcher = asyncio.ensure_future(watch())
        results = {}
        try:
            for name, frame in (("history", history_frame), ("list", list_frame)):
                async with connect(server.url, max_size=None) as ws:
                    await ws.recv()
                    await ws.send(frame)
                    other = asyncio.ensure_future(round_trip(server.url))
                    replies = await drain(ws)
                    results[name] = (replies, await other)
        finally:
            watcher.cancel()
        return results, (peak - base) / 2**20

    wide = StoreSettings(max_streams_per_session=50_000, max_streams=50_000)
    results, growth = serve(body, store=wide)
    print(f"\nRSS growth {growth:.0f} MB; round trips " + ", ".join(
        f"{k} {v[1] * 1e3:.0f} ms" for k, v in results.items()
    ))  # fmt: skip
    assert growth <= 150
    for replies, trip in results.values():
        assert trip <= 1.0
        *pages, error = replies
        assert 1 <= len(pages) <= 40 and error["type"] == "error"
        assert error["message"].startswith("reply budget: ")
        assert "not answered" in error["message"] and "'next'" in error["message"]
    h_pages = results["history"][0][:-1]
    assert all(len(p["t"]) == 100_000 and p["next"] == {"after": 99.999} for p in h_pages)
    assert "the replies to one frame may hold 8 MB" in results["history"][0][-1]["message"]
    l_pages = results["list"][0][:-1]
    assert all(len(p["streams"]) == 1000 and p["total"] >= 20_001 for p in l_pages)
    assert all(p["next"] == {"offset": 1000} for p in l_pages)  # the same request each time


def test_history_pages_forwards_and_backwards():
    async def body(server):
        fill(server, {"x": 10})  # t = 0, 0.001, ... 0.009
        async with StreamClient(server.url) as c:
            ask = {"type": "request_historical_data", "stream": "x", "limit": 4}
            first = await c.request(ask, "historical_data")
            second = await c.request({**ask, **first["next"]}, "historical_data")
            last = await c.request({**ask, **second["next"]}, "historical_data")
            newest = await c.request({**ask, "before": 1e9}, "historical_data")
            older = await c.request({**ask, **newest["next"]}, "historical_data")
            whole = await history(c, "x")
            streams = await c.request({"type": "list_streams", "limit": 1}, "streams")
        return first, second, last, newest, older, whole, streams

    first, second, last, newest, older, whole, streams = serve(body, history_page=4)
    ms = [round(x * 1e3) for x in np.arange(10) * 1e-3]
    as_ms = lambda r: [round(x * 1e3) for x in r["t"]]  # noqa: E731
    assert as_ms(first) == ms[:4] and first["next"] == {"after": 0.003} and first["total"] == 10
    assert as_ms(second) == ms[4:8] and as_ms(last) == ms[8:] and last["next"] is None
    assert as_ms(newest) == ms[6:] and newest["next"] == {"before": 0.006}
    assert as_ms(older) == ms[2:6]
    assert as_ms(whole) == ms
    assert len(streams["streams"]) == 1 and streams["next"] is None and streams["total"] == 1


def test_a_60_fps_client_with_one_bad_value_per_frame_keeps_everything_valid():
    """30 s of a 60 frames/s game (1,800 frames), each with one Infinity or string among its
    valid packets, sent as fast as the limits allow: the connection stays, every valid sample
    is stored, the errors are counted per connection and session and their replies summed up."""
    frames, valid = [], []
    for i in range(1800):
        t = i / 60
        packets = [{"streamId": k, "timestamp": t, "value": i + j} for j, k in enumerate("abcd")]
        valid += [(p["streamId"], t, p["value"]) for p in packets]
        bad = {"streamId": "hp", "timestamp": t, "value": "oops" if i % 2 else "Infinity"}
        frames.append(orjson.dumps([*packets, bad]).decode().replace('"Infinity"', "Infinity"))

    async def body(server):
        async with connect(server.url) as c, StreamClient(server.url) as reader:
            await c.recv()
            await c.send('{"type":"hello","name":"Game"}')
            got: list[dict] = []

            async def read():
                async for m in c:
                    got.append(orjson.loads(m))

            task = asyncio.ensure_future(read())
            for f in frames:
                await c.send(f)
            await c.send('{"type":"list_streams"}')
            await until(lambda: any(m["type"] == "streams" for m in got))  # all handled
            stored = {k: await history(reader, k) for k in "abcd"}
            await until(
                lambda: (
                    server.connections
                    and not next(
                        x for x in server.connections if x.ws.remote_address == c.local_address
                    ).errors.held
                )
            )  # the last summary has gone out
            await asyncio.sleep(0.2)
            task.cancel()
            errors = [m for m in got if m["type"] == "error"]
            sid = stored["a"]["session"]
        return stored, errors, server.errors_of(sid), server.closed_for_limits

    stored, errors, counted, closed = serve(body)
    assert closed == 0
    for k in "abcd":
        want = [(t, v) for name, t, v in valid if name == k]
        assert list(zip(stored[k]["t"], stored[k]["v"], strict=True)) == want
    assert counted == 1800
    assert 10 < len(errors) <= 10 + 30  # the burst, then at most one summary a second
    assert (
        sum(len(e["errors"]) if "suppressed" not in e else e["suppressed"] for e in errors) == 1800
    )
    assert errors[0]["message"] == "[4] 'hp' at t=0: value is infinite (send null for a gap)"


def _malformed(rng: random.Random) -> str | bytes:
    kind = rng.randrange(8)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 64))
    if kind == 1:
        return b"SSB1" + rng.randbytes(rng.randrange(0, 12))  # bad binary header
    if kind == 2:
        return '{"streamId":"x","value":' + "9" * rng.randrange(4400, 6000) + "}"
    if kind == 3:
        return rng.choice(["fps=60", "{", "[1,", '{"a":}', "null", "42", '"str"', "[[[]]"])
    if kind == 4:
        return orjson.dumps({"type": rng.choice(["nope", "series", "samples", 7])}).decode()
    if kind == 5:
        return orjson.dumps({"streamID": "x", "value": 1}).decode()
    if kind == 6:
        return '{"type":"series","stream":"y","t":[1,2],"v":[' + rng.choice(["1", '"a"']) + "]}"
    return "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(1, 40)))


def test_5000_malformed_frames_with_a_valid_sample_every_tenth_keep_every_valid_sample():
    rng = random.Random(17)
    frames: list[str | bytes] = []
    sent = []
    for i in range(5000):
        frames.append(_malformed(rng))
        if i % 10 == 9:
            t = len(sent) * 0.01
            sent.append((t, float(i)))
            frames.append(encode_binary("good", np.array([t]), np.array([float(i)])))

    async def body(server):
        async with StreamClient(server.url) as c, StreamClient(server.url) as reader:
            for f in frames:
                await c._ws.send(f)
            await c.send({"type": "list_streams"})
            await c.receive("streams")  # every frame before it has been handled
            h = await history(reader, "good")
        return h, server.closed_for_limits, await still_serves(server.url)

    h, closed, served = serve(body)
    assert closed == 0 and served
    assert list(zip(h["t"], h["v"], strict=True)) == sent


def test_idle_connections_are_closed_pings_aside():
    async def body(server):
        async with (
            connect(server.url, ping_interval=0.05) as quiet,
            StreamClient(server.url) as busy,
        ):
            await quiet.recv()
            for i in range(8):
                await busy.send_sample("alive", float(i), t=i)
                await asyncio.sleep(0.1)
            try:
                await asyncio.wait_for(quiet.recv(), 5)
                code = reason = None
            except ConnectionClosed as e:
                code, reason = e.rcvd.code, e.rcvd.reason
            alive = (await history(busy, "alive"))["v"]
        return code, reason, alive

    code, reason, alive = serve(body, idle_timeout=0.4)
    assert code == 1008 and reason == "idle: no message for 0.4 s"
    assert alive == [float(i) for i in range(8)]  # the busy one was never closed


def _fragment(payload: bytes, opcode: int = 1) -> bytes:
    """The first frame of a fragmented message (FIN unset), masked with zeros."""
    return struct.pack("!BBQ", opcode, 0x80 | 127, len(payload)) + b"\0\0\0\0" + payload


def test_unfinished_messages_are_bounded_in_total():
    async def body(server):
        writers = []
        for _ in range(4):  # 4 x 400 KB unfinished, over the 1 MB total
            reader, writer = await raw_connect(server.port)
            writer.write(_fragment(b"[" + b"1," * 200_000))
            await writer.drain()
            writers.append((reader, writer))
        await until(lambda: server.unfinished.closed >= 2, 10)
        held = server.unfinished.total
        served = await still_serves(server.url)
        for _, w in writers:
            w.close()
        await until(lambda: server.unfinished.total == 0, 10)
        return held, served, server.unfinished.closed

    held, served, closed = serve(body, max_unfinished_bytes=2**20)
    assert held <= 2**20 and served and closed == 2


def test_a_flood_beyond_the_volume_limit_is_closed_with_a_reason():
    async def body(server):
        async with connect(server.url) as ws:
            await ws.recv()
            try:
                for i in range(400):
                    await ws.send(f'{{"streamId":"f","timestamp":{i},"value":{i}}}')
                await asyncio.wait_for(ws.recv(), 10)
                code = reason = None
            except ConnectionClosed as e:
                code, reason = e.rcvd.code, e.rcvd.reason
        stored = len(server.store.find("f"))
        return code, reason, stored, await still_serves(server.url)

    code, reason, stored, served = serve(body, max_frames_per_s=100, volume_window=1.0)
    assert code == 1008 and reason.startswith("volume limit: over 100 frames")
    assert 100 <= stored < 400 and served


def test_accept_failures_are_logged_once_per_interval(caplog):
    import errno
    import logging

    async def body(server):
        loop = asyncio.get_running_loop()
        for _ in range(50):  # what asyncio reports on each retry while out of descriptors
            loop.call_exception_handler(
                {
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files"),
                }
            )
        return server._accept.failures, await still_serves(server.url)

    with caplog.at_level(logging.WARNING):
        failures, served = serve(body)
    logged = [r for r in caplog.records if "accept" in r.getMessage()]
    assert failures == 50 and served and len(logged) == 1
    assert "Too many open files" in logged[0].getMessage() and not logged[0].exc_info


def test_error_counts_of_evicted_sessions_are_forgotten():
    async def body(server):
        async with StreamClient(server.url, name="A") as a:
            await a.send_sample("fps", "oops", t=1)  # type: ignore[arg-type]
            await a.receive("error")
            (sid,) = list(server.errors_by_session)
            counted = server.errors_of(sid)
        async with StreamClient(server.url, name="B") as b:  # A has ended: evicted for B
            await b.send_sample("fps", 1.0, t=1)
            await until(lambda: sid not in server.store.sessions)
            await until(lambda: sid not in server.errors_by_session)
        return counted, server.errors_of(sid)

    counted, after = serve(body, idle_timeout=0.4, store=StoreSettings(max_sessions=1))
    assert counted == 1 and after == 0
