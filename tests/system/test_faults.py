"""Faults: half frames, clients that never read, churn, and every way of closing the app while
data flows. Each must end cleanly: server closed, nothing valid lost, exit code 0."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from functools import partial

import orjson
import pytest

from streamscope.ingest.client import StreamClient
from support import server as support_server
from support.frames import raw_connect, ws_frame
from support.paths import child_env
from support.qt import loop_until
from support.server import history, until

# A fault may hang a shutdown: each body gets 60 s, and stopping the server must take < 10 s.
serve = partial(support_server.serve, timeout=60.0, stop_within=10.0)


# ---------------------------------------------------------------- connection faults


def test_client_vanishing_mid_frame_keeps_earlier_frames():
    async def body(server):
        reader, writer = await raw_connect(server.port)
        await reader.readuntil(b"}")  # initial_configuration
        whole = orjson.dumps({"type": "series", "stream": "x", "t": [1, 2, 3], "v": [4, 5, 6]})
        half = ws_frame(orjson.dumps({"type": "series", "stream": "x", "t": [4], "v": [7]}))
        writer.write(ws_frame(whole) + half[: len(half) // 2])
        await writer.drain()
        await until(lambda: server.frames_in == 1)
        writer.transport.abort()  # gone, no close frame, half a frame in flight
        await until(lambda: not server.connections)
        (session,) = server.store.sessions.values()
        async with StreamClient(server.url) as c:
            await c.send_sample("y", 1.0, t=1)
            served = (await history(c, "y"))["v"] == [1.0]
        return session, served

    session, served = serve(body)
    assert session.streams["x"].ring.v.tolist() == [4, 5, 6] and not session.live
    assert served


def test_client_that_never_reads_is_cut_off_and_others_are_served():
    async def body(server):
        async with StreamClient(server.url, name="Big") as feeder:
            n = 300_000
            await feeder.send_series("big", [i * 1e-3 for i in range(n)], [0.5] * n)
            assert len((await history(feeder, "big"))["t"]) == n
        _reader, writer = await raw_connect(server.port)
        request = ws_frame(b'{"type":"request_historical_data","stream":"big"}')
        for _ in range(40):  # ~7 MB of replies each; this client reads none of them
            writer.write(request)
        await writer.drain()
        # meanwhile a normal client is served promptly
        async with StreamClient(server.url) as c:
            started = time.monotonic()
            await c.send_sample("ok", 1.0, t=1)
            assert (await history(c, "ok"))["v"] == [1.0]
            latency = time.monotonic() - started
        await until(lambda: len(server.connections) == 0, 20)
        writer.close()
        return latency, server.cut_off

    latency, cut_off = serve(body, send_timeout=1.0)
    assert latency < 5 and cut_off == 1


def test_shutdown_does_not_hang_on_a_client_that_never_reads():
    async def body(server):
        async with StreamClient(server.url, name="Big") as feeder:
            n = 300_000
            await feeder.send_series("big", [i * 1e-3 for i in range(n)], [0.5] * n)
            await history(feeder, "big")
        _reader, writer = await raw_connect(server.port)
        for _ in range(20):
            writer.write(ws_frame(b'{"type":"request_historical_data","stream":"big"}'))
        await writer.drain()
        await asyncio.sleep(0.5)  # let the server block on it
        return writer

    # send_timeout is long: the shutdown itself must cut the socket (serve() asserts < 10 s)
    serve(body, send_timeout=60.0, close_timeout=0.5)


def test_twenty_clients_connecting_and_leaving_in_a_loop():
    async def client(server, round_: int, i: int) -> int:
        async with StreamClient(server.url, name=f"C{i}") as c:
            await c.send_series(f"c{i}", [round_ + 0.001 * k for k in range(100)], [i] * 100)
            if i % 3 == 0:  # some leave rudely, without a close handshake
                await history(c, f"c{i}")
                c._ws.transport.abort()
                return 100
            return len((await history(c, f"c{i}"))["t"])

    async def body(server):
        baseline = len(asyncio.all_tasks())
        got = []
        for round_ in range(15):
            got += await asyncio.gather(*(client(server, round_, i) for i in range(20)))
        await until(lambda: not server.connections)
        await until(lambda: len(asyncio.all_tasks()) <= baseline, 10)
        sessions = list(server.store.sessions.values())
        async with StreamClient(server.url) as c:
            await c.send_sample("after", 2.0, t=1)
            served = (await history(c, "after"))["v"] == [2.0]
        return got, sessions, served

    got, sessions, served = serve(body)
    assert got == [100] * 300
    assert len(sessions) == 50  # the sessions limit: the newest 50 runs are kept
    assert not any(s.live for s in sessions) and served


# ---------------------------------------------------------------- closing the app


def start_loadgen(url: str, seconds: float = 60) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamscope.ingest.loadgen",
            "--url",
            url,
            "--rate",
            "0",
            "--streams",
            "2",
            "--seconds",
            str(seconds),
        ],
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_sending(qloop, store, proc) -> None:
    loop_until(qloop, lambda: store.total_samples > 20_000 or proc.poll() is not None, 30, "data")
    assert proc.poll() is None, "the sender died"


@pytest.mark.parametrize("how", ["window", "sigterm", "sigint"])
def test_closing_while_data_flows_stops_cleanly_and_runs_closers(qtbot, qloop, how):
    from PySide6.QtWidgets import QApplication

    from streamscope.app import AppOptions, StreamScope

    app = QApplication.instance()
    quits = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # as in app.run(): stop() closes the window last
    scope = StreamScope(AppOptions(port=0, plots=[["load/s0", "load/s1"]]))
    qtbot.addWidget(scope.window)
    qloop.run_until_complete(scope.start())
    flushed: list[int] = []

    async def flush_recording() -> None:
        await asyncio.sleep(0.05)
        flushed.append(scope.store.total_samples)

    scope.closers.append(flush_recording)
    proc = start_loadgen(scope.server.url)
    try:
        wait_sending(qloop, scope.store, proc)
        run = asyncio.ensure_future(scope.run_until_closed(app), loop=qloop)
        loop_until(qloop, lambda: scope.store.total_samples > 40_000, 30, "more data")
        if how == "window":
            scope.window.close()
        else:
            os.kill(os.getpid(), signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        loop_until(qloop, run.done, 20, "the app to stop")
        assert run.result() == 0
        assert scope.server._server is None and not scope.server.connections
        assert flushed and flushed[0] == scope.store.total_samples  # nothing after the flush
        out, _ = proc.communicate(timeout=20)  # the sender saw the close and ended
        assert orjson.loads(out)["sent"] >= flushed[0]
    finally:
        app.setQuitOnLastWindowClosed(quits)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


async def stored_at_least(url: str, n: int) -> None:
    """Ask the running app (as a client would) until it holds ``n`` samples."""
    async with asyncio.timeout(30), StreamClient(url) as c:
        while (
            sum(
                s["count"]
                for s in (await c.request({"type": "list_streams"}, "streams"))["streams"]
            )
            < n
        ):
            await asyncio.sleep(0.05)


@pytest.mark.slow  # the whole app and a load generator in child processes
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_app_process_exits_0_on_signal_while_data_flows(sig):
    app = subprocess.Popen(
        [sys.executable, "-m", "streamscope", "--port", "0", "--plot", "load/s0,load/s1"],
        env=child_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    sender = None
    try:
        url = None
        for line in app.stderr:
            if m := re.search(r"listening on (ws://\S+)", line):
                url = m.group(1)
                break
        assert url, "the app did not report its address"
        sender = start_loadgen(url)
        asyncio.run(stored_at_least(url, 20_000))
        app.send_signal(sig)
        rest = app.stderr.read()
        assert app.wait(timeout=30) == 0, rest
        assert "server stopped" in rest and "Traceback" not in rest
        out, _ = sender.communicate(timeout=20)
        assert orjson.loads(out)["sent"] > 0
    finally:
        for p in (app, sender):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
