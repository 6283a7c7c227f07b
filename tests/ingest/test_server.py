"""The real server on an ephemeral port, driven by real WebSocket clients (no Qt)."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import orjson
from websockets.asyncio.client import connect

from streamscope.ingest.client import StreamClient
from support.server import history, serve, until


def run(body) -> None:
    """``body(store, server)`` against a fresh server (most tests here look at the store)."""
    serve(lambda server: body(server.store, server))


def test_initial_configuration_lists_known_streams():
    async def body(store, server):
        async with StreamClient(server.url, name="G") as c:
            await c.send_sample("fps", 1.0, t=0.1)
            await history(c, "fps")  # a round trip: the sample is stored
        async with StreamClient(server.url) as c2:
            cfg = c2.config
        assert cfg["type"] == "initial_configuration" and cfg["protocol"] == 1
        assert cfg["server"] == "streamscope" and cfg["data_sources"] == ["fps"]

    run(body)


def test_every_form_through_the_socket():
    async def body(store, server):
        async with StreamClient(server.url, name="Sim") as c:
            await c.send({"streamId": "u", "timestamp": 1.0, "value": 5})
            await c.send({"type": "samples", "samples": [{"stream": "b", "t": 1, "v": 2}]})
            await c.send_series("col", [1, 2], [3, 4])
            await c.send({"type": "series", "stream": "uni", "t0": 0, "dt": 0.5, "v": [1, 2]})
            await c.send({"timestamp": 2.0, "imu": {"ax": 9}, "flag": False})
            await c.send_binary("bin", np.array([1.0, 2.0]), np.array([7.0, np.nan]))
            got = {
                n: await history(c, n) for n in ["u", "b", "col", "uni", "imu/ax", "flag", "bin"]
            }
        assert (got["u"]["t"], got["u"]["v"]) == ([1.0], [5.0])
        assert got["b"]["v"] == [2.0]
        assert (got["col"]["t"], got["col"]["v"]) == ([1.0, 2.0], [3.0, 4.0])
        assert got["uni"]["t"] == [0.0, 0.5]
        assert (got["imu/ax"]["t"], got["imu/ax"]["v"]) == ([2.0], [9.0])
        assert got["flag"]["v"] == [0.0]
        assert got["bin"]["v"] == [7.0, None]
        session = next(iter(store.sessions.values()))
        assert session.name == "Sim — Play #1" and set(got) == set(session.streams)

    run(body)


def test_errors_reply_and_the_server_keeps_serving():
    async def body(store, server):
        async with StreamClient(server.url, name="G") as c:
            for bad in ["{oops", '{"type":"???"}', '{"streamId":"x","value":"str"}', '{"v":1}']:
                await c._ws.send(bad)
                if bad == '{"v":1}':  # a flat object: stored as stream "v"
                    continue
                reply = await c.receive("error")
                assert reply["message"]
            await c.send(
                [{"streamId": "ok", "timestamp": 1, "value": 1}, {"streamId": "ok", "value": "no"}]
            )
            reply = await c.receive("error")
            assert (
                "'ok' at t=" in reply["message"]
                and "value 'no' is not a number" in reply["message"]
            )
            h = await history(c, "ok")
            assert h["v"] == [1.0]
            missing = await c.request({"type": "request_historical_data", "stream": "nope"}, "x")
            assert missing["type"] == "error" and "no stream" in missing["message"]
        # a second, well-behaved client is served normally
        async with StreamClient(server.url) as c2:
            await c2.send_sample("fine", 3.0, t=1)
            assert (await history(c2, "fine"))["v"] == [3.0]

    run(body)


def test_oversize_frame_gets_an_error_and_connection_stays():
    async def body(store, server):
        server.limits = type(server.limits)(max_frame_bytes=1000)
        async with StreamClient(server.url) as c:
            await c.send_series("big", list(range(500)), list(range(500)))
            assert "exceeds the limit" in (await c.receive("error"))["message"]
            await c.send_sample("small", 1.0, t=0)
            assert (await history(c, "small"))["v"] == [1.0]

    run(body)


def test_list_streams_and_sessions_by_hello_and_bye():
    async def body(store, server):
        async with StreamClient(server.url, name="Game") as c:
            await c.send_sample("fps", 60, t=0.1)
            await c.send({"type": "bye"})
            await c.send({"type": "hello", "session": "two", "name": "Game"})
            await c.send_sample("fps", 30, t=0.1)
            reply = await c.request({"type": "list_streams"}, "streams")
            names = [(s["session_name"], s["name"], s["count"]) for s in reply["streams"]]
            assert names == [("Game — Play #1", "fps", 1), ("Game — Play #2", "fps", 1)]
            newest = await history(c, "fps")
            assert newest["session"] == "two" and newest["v"] == [30.0]
            first = reply["streams"][0]["session"]
            assert (await history(c, "fps", first))["v"] == [60.0]

    run(body)


def test_without_hello_a_connection_is_named_after_its_peer():
    async def body(store, server):
        async with connect(server.url) as ws:
            await ws.recv()
            await ws.send('{"streamId":"x","timestamp":1,"value":1}')
            await ws.send('{"type":"list_streams"}')
            reply = orjson.loads(await ws.recv())
        (entry,) = reply["streams"]
        assert entry["session_name"].startswith("127.0.0.1:")

    run(body)


def test_session_ends_when_client_disconnects():
    async def body(store, server):
        async with StreamClient(server.url, name="G") as c:
            await c.send_sample("a", 1, t=1)
            await history(c, "a")
        for _ in range(200):
            if not server.connections:
                break
            await asyncio.sleep(0.01)
        (session,) = store.sessions.values()
        assert not session.live

    run(body)


def test_send_command_reaches_the_client_of_a_session():
    async def body(store, server):
        async with StreamClient(server.url, name="G") as c:
            await c.send_sample("fps", 1, t=1)
            await history(c, "fps")
            sid = store.find("fps").session_id
            assert server.send_command(sid, {"type": "stop_streaming", "metric": "fps"})
            cmd = await c.receive("stop_streaming")
            assert cmd["metric"] == "fps"
        assert not server.send_command("unknown", {"type": "x"})

    run(body)


def test_nan_and_values_round_trip_exactly():
    async def body(store, server):
        t = np.cumsum(np.random.default_rng(3).random(5000))
        v = np.random.default_rng(4).normal(size=5000)
        v[::97] = np.nan
        async with StreamClient(server.url) as c:
            await c.send_series("x", t, v)
            h = await history(c, "x")
        assert np.array_equal(np.array(h["t"]), t)
        got = np.array([math.nan if x is None else x for x in h["v"]])
        assert np.array_equal(got, v, equal_nan=True)

    run(body)


def test_a_client_reconnecting_with_its_hello_id_continues_its_play_session():
    async def body(store, server):
        async with StreamClient(server.url, name="Game") as c:
            await c.send_sample("fps", 60, t=0.1)
            await history(c, "fps")  # the sample is stored before the connection drops
            session = c.session
        await until(lambda: not server.connections, 5)
        (first,) = store.sessions.values()
        assert not first.live
        again = StreamClient(server.url, name="Game")
        again.session = session  # as the Unity client does after a lost connection
        async with again as c:
            await c.send_sample("fps", 61, t=0.2)
            assert (await history(c, "fps"))["v"] == [60.0, 61.0]
        assert [s.name for s in store.sessions.values()] == ["Game — Play #1"]

    run(body)
