"""Each limit through the real server: it triggers, it is reported, and the server goes on."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from streamscope.core.protocol import Limits
from streamscope.core.store.store import StoreSettings
from streamscope.ingest.client import StreamClient
from streamscope.ingest.guard import ErrorReplies
from support.qt import loop_until
from support.server import history, serve, still_serves


def test_frame_size_limit():
    async def body(server):
        async with StreamClient(server.url) as c:
            await c.send_series("big", np.arange(2000.0), np.arange(2000.0))
            err = await c.receive("error")
            await c.send_sample("small", 1.0, t=0)
            small = await history(c, "small")
        # far past the limit: websockets refuses to buffer it and closes with 1009
        async with connect(server.url, max_size=None) as ws:
            await ws.recv()
            await ws.send("[" + "1," * 40_000 + "1]")
            try:
                await asyncio.wait_for(ws.recv(), 10)
                code = None
            except ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd else None
        return err, small, code, await still_serves(server.url)

    err, small, code, served = serve(body, limits=Limits(max_frame_bytes=20_000))
    assert "exceeds the limit of 20000" in err["message"]
    assert small["v"] == [1.0] and code == 1009 and served


def test_streams_per_session_limit():
    async def body(server):
        async with StreamClient(server.url, name="G") as c:
            await c.send([{"streamId": f"s{i}", "timestamp": 1, "value": i} for i in range(5)])
            err = await c.receive("error")
            kept = await c.request({"type": "list_streams"}, "streams")
        return err, kept, await still_serves(server.url)

    err, kept, served = serve(body, store=StoreSettings(max_streams_per_session=3))
    assert "limit" in err["message"] and len(err["errors"]) == 2
    assert sorted(s["name"] for s in kept["streams"]) == ["s0", "s1", "s2"] and served


def test_sessions_kept_limit():
    async def body(server):
        async with StreamClient(server.url) as c:
            for i in range(6):
                await c.send({"type": "hello", "session": f"run{i}", "name": "G"})
                await c.send_sample("fps", float(i), t=1)
            listed = await c.request({"type": "list_streams"}, "streams")
        return listed, await still_serves(server.url)

    listed, served = serve(body, store=StoreSettings(max_sessions=3))
    names = [s["session_name"] for s in listed["streams"]]
    assert names == ["G — Play #4", "G — Play #5", "G — Play #6"] and served


def test_stream_name_length_and_characters():
    async def body(server):
        async with StreamClient(server.url) as c:
            await c.send(
                [
                    {"streamId": "x" * 65, "timestamp": 1, "value": 1},
                    {"streamId": "bad\x00name", "timestamp": 1, "value": 1},
                    {"streamId": "bell\x07", "timestamp": 1, "value": 1},
                    {"streamId": "ok/ä β", "timestamp": 1, "value": 1},
                ]
            )
            err = await c.receive("error")
            ok = await history(c, "ok/ä β")
            listed = await c.request({"type": "list_streams"}, "streams")
        return err, ok, listed, await still_serves(server.url)

    err, ok, listed, served = serve(body, limits=Limits(max_name_length=64))
    assert len(err["errors"]) == 3
    assert "longer than 64" in err["errors"][0] and "control characters" in err["errors"][1]
    assert ok["v"] == [1.0] and [s["name"] for s in listed["streams"]] == ["ok/ä β"]
    assert served


def test_hello_fields_are_checked_too():
    async def body(server):
        async with StreamClient(server.url) as c:
            await c.send({"type": "hello", "session": "s" * 500, "name": "Game\x1b[31m"})
            await c.send_sample("x", 1.0, t=1)
            err = await c.receive("error")
            listed = await c.request({"type": "list_streams"}, "streams")
        return err, listed

    err, listed = serve(body)
    assert len(err["errors"]) == 2 and "hello" in err["message"]
    (entry,) = listed["streams"]
    assert entry["session_name"].startswith("127.0.0.1:")  # the peer, not the escape codes
    assert len(entry["session"]) < 50


def test_timestamps_checked_per_sample_through_the_server():
    async def body(server):
        async with StreamClient(server.url) as c:
            # Python's json.dumps writes NaN and Infinity literals; 1e999 overflows a double
            await c._ws.send(
                "["
                '{"streamId":"a","timestamp":1,"value":0},'
                '{"streamId":"a","timestamp":2,"value":1},'
                '{"streamId":"a","timestamp":1e9,"value":2},'
                '{"streamId":"a","timestamp":3,"value":3},'
                '{"streamId":"a","timestamp":NaN,"value":4},'
                '{"streamId":"a","timestamp":4,"value":5},'
                '{"streamId":"a","timestamp":5,"value":NaN},'
                '{"streamId":"a","timestamp":6,"value":1e999},'
                '{"streamId":"a","timestamp":7,"value":-Infinity},'
                '{"streamId":"a","timestamp":8,"value":"8"}'
                "]"
            )
            errs = [await c.receive("error")]
            h = await history(c, "a")
        return errs, h

    errs, h = serve(body, store=StoreSettings(max_time_jump=3600))
    assert h["t"] == [1.0, 2.0, 3.0, 4.0, 5.0] and h["v"] == [0, 1, 3, 5, None]
    text = errs[0]["errors"]
    assert len(text) == 5 and "not finite" in text[0]
    assert text[1:3] == [
        "[7] 'a' at t=6: value is infinite (send null for a gap)",
        "[8] 'a' at t=7: value is infinite (send null for a gap)",
    ]
    assert text[3] == "[9] 'a' at t=8: value '8' is not a number"
    assert "ahead of the stream's time" in text[4]


def test_garbage_only_client_keeps_its_connection_and_gets_coalesced_replies(caplog):
    async def body(server):
        async with connect(server.url) as ws:
            await ws.recv()
            for _ in range(200):
                await ws.send("{not json")
            await ws.send('{"streamId":"ok","timestamp":1,"value":1}')
            await ws.send('{"type":"request_historical_data","stream":"ok"}')
            got = []
            while (msg := orjson.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] == "error":
                got.append(msg)
            summary = orjson.loads(await asyncio.wait_for(ws.recv(), 10))  # ~1 s later
        return got, msg, summary, server.closed_for_limits, await still_serves(server.url)

    with caplog.at_level(logging.WARNING, "streamscope.ingest.server"):
        got, history_reply, summary, closed, served = serve(
            body, max_error_replies=20, error_replies_per_s=1.0
        )
    assert len(got) == 20 and closed == 0  # the burst, then held: never closed
    assert got[0]["message"].startswith("not valid JSON at line 1 column 2")
    assert history_reply["type"] == "historical_data" and history_reply["v"] == [1.0]
    assert summary["type"] == "error" and summary["suppressed"] == 180
    assert summary["message"].startswith("180 more errors in the last ")
    assert ", first: not valid JSON at line 1 column 2" in summary["message"]
    assert served and not any("closed" in r.getMessage() for r in caplog.records)


def test_error_replies_are_rate_limited_and_summed_up():
    e = ErrorReplies(burst=2, rate=1.0)
    assert e.offer(["a"], now=0.0) is not None and e.offer(["b"], now=0.0) is not None
    assert e.offer(["c", "d"], now=0.1) is None and e.offer(["e"], now=0.2) is None
    assert e.summary(now=0.5) is None and e.due(now=0.5) == 0.5
    s = e.summary(now=1.0)
    assert s["message"] == "3 more errors in the last 1.0 s, first: c" and s["suppressed"] == 3
    assert e.count == 5 and e.held == 0 and e.summary(now=5.0) is None
    assert all(ErrorReplies(burst=0, rate=0).offer(["x"], 0.0) for _ in range(100))  # 0: off


def test_memory_budget_is_reported_in_the_status_bar(qtbot, qloop):
    from streamscope.app import AppOptions, StreamScope

    scope = StreamScope(AppOptions(port=0, max_samples=10_000, plots=[["s0"]]))
    qtbot.addWidget(scope.window)
    qloop.run_until_complete(scope.start())

    sent = [np.arange(k * 3000, (k + 1) * 3000) * 1e-3 for k in range(10)]

    async def send():
        async with StreamClient(scope.server.url, name="G") as c:
            for k, t in enumerate(sent):
                await c.send_binary(f"s{k % 2}", t, np.sin(t))
            return await history(c, "s0")

    try:
        h = qloop.run_until_complete(asyncio.wait_for(send(), 20))
        store = scope.store
        assert store.stored_samples <= 10_000 and store.budget_dropped >= 20_000
        assert len(h["t"]) <= 10_000 and h["t"][-1] == sent[8][-1]  # the newest survive
        label = scope.window.health.memory
        loop_until(qloop, lambda: "dropped" in label.text(), 5, "the status bar")
        assert "of 10.0k kept" in label.text() and "memory budget" in label.toolTip()
    finally:
        qloop.run_until_complete(scope.stop())


def test_a_reply_that_cannot_be_encoded_does_not_cost_the_connection():
    async def body(server):
        server.stats_provider = lambda: {"bad": object()}
        async with StreamClient(server.url) as c:
            err = await c.request({"type": "get_stats"}, "stats")
            await c.send_sample("x", 1.0, t=1)
            return err, (await history(c, "x"))["v"]

    err, v = serve(body)
    assert err["type"] == "error" and "internal error" in err["message"] and v == [1.0]


def test_a_refused_hello_is_answered_with_the_limit_not_an_internal_error(caplog):
    async def body(server):
        async with StreamClient(server.url, name="A") as a, StreamClient(server.url, name="B") as b:
            await a.send_sample("fps", 1.0, t=1)
            await b.send_sample("fps", 2.0, t=1)
            async with StreamClient(server.url, name="C") as c:
                err = await c.receive("error")
                await c.send_sample("fps", 3.0, t=1)  # no session: refused the same way
                again = await c.receive("error")
            listed = await a.request({"type": "list_streams"}, "streams")
        return err, again, listed, await still_serves(server.url)

    with caplog.at_level(logging.ERROR):
        err, again, listed, served = serve(body, store=StoreSettings(max_sessions=2))
    assert "max_sessions" in err["message"] + " ".join(err.get("errors", []))
    assert "max_sessions" in again["message"] + " ".join(again.get("errors", []))
    names = sorted(s["session_name"] for s in listed["streams"])
    assert [n.split(" ")[0] for n in names] == ["A", "B"] and served  # both live sessions kept
    assert not [r for r in caplog.records if r.exc_info], "a refusal is not an internal error"
