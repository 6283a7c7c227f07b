"""Producers and viewers meeting through a real ``nats-server`` (JetStream): the relay, a direct
publisher, live and late viewers, a broker restart, commands, bad frames, credentials, TLS."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamscope.core.files.recording import Recording, RecordingError
from streamscope.core.store.store import Store
from streamscope.ingest.client import StreamClient
from streamscope.ingest.guard import ServerConfigError, ServerSettings
from streamscope.ingest.nats_client import NatsStreamClient
from streamscope.ingest.nats_link import BrokerError, BrokerLink, BrokerOptions
from streamscope.ingest.nats_source import NatsSource, Replay
from streamscope.ingest.nats_subjects import sanitise_source
from streamscope.ingest.nats_tls import CLIENT_REFUSED, UNTRUSTED
from streamscope.ingest.relay import RelayServer
from streamscope.ingest.server import IngestServer
from support.nats import NatsBroker
from support.paths import child_env
from support.server import history, until

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


class Viewer:
    """What the app runs for the broker: a listening ingest server and a NatsSource on it."""

    def __init__(self, url: str, replay: str = "all", **tls: str) -> None:
        self.server = IngestServer(Store(), "127.0.0.1", 0)
        self.link = BrokerLink(BrokerOptions(url, **tls))
        self.source = NatsSource(self.link, self.server, Replay.parse(replay))

    async def __aenter__(self) -> Viewer:
        await self.server.start()
        self.link.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.source.close()
        await self.link.close()
        await self.server.stop()

    def count(self, stream: str) -> int:
        return sum(len(s.streams[stream]) for s in self.server.store.sessions.values()
                   if stream in s.streams)  # fmt: skip

    async def history(self, stream: str) -> dict[str, Any]:
        """``request_historical_data`` over the viewer's own WebSocket, as a user's script."""
        async with StreamClient(self.server.url) as c:
            return await history(c, stream)


def run(body: Callable[[], Awaitable[None]], timeout: float = 60.0) -> None:
    asyncio.run(asyncio.wait_for(body(), timeout))


def sent_binary(n: int, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    t = start + np.arange(n) / 1000.0
    return t, np.sin(t * 7.0) * 100.0


def test_source_tokens_are_sanitised():
    assert sanitise_source("My Game.exe>*") == "My_Game_exe__"
    assert sanitise_source("") == "_"
    assert len(sanitise_source("x" * 500)) == 64


def test_relay_and_direct_producer_seen_by_live_and_late_viewers(nats_broker: NatsBroker):
    """Every form through the relay and a direct publisher, on a viewer that watched live and
    on one started afterwards: every sample exact, sessions named by their hello."""

    async def body() -> None:
        async with Viewer(nats_broker.url) as live:
            assert await live.link.wait_connected(10) and live.link.jetstream
            relay = RelayServer(BrokerLink(BrokerOptions(nats_broker.url)), "127.0.0.1", 0)
            relay.link.start()
            await relay.start()
            t, v = sent_binary(5000)
            try:
                async with StreamClient(relay.url, name="RelayGame") as c:
                    await c.send({"streamId": "u", "timestamp": 1.0, "value": 5})
                    await c.send({"type": "samples", "samples": [{"stream": "b", "t": 1, "v": 2}]})
                    await c.send(
                        {"type": "series", "stream": "uni", "t0": 0, "dt": 0.5, "v": [1, 2]}
                    )
                    await c.send({"timestamp": 2.0, "imu": {"ax": 9}, "flag": False})
                    await c.send_binary("bin", t, v)
                    await c.send_sample("now", 3.0)  # no timestamp: the relay's arrival time
                    bad = await c.request({"streamId": "x", "value": "str"}, "none")
                    assert bad["type"] == "error"  # the relay replies like the app
                async with NatsStreamClient(nats_broker.url, source="direct.1", name="Direct") as d:
                    await d.send_binary("dbin", t, v * 2)
                    await d.send_series("dcol", [1.0, 2.0], [3.0, np.nan])
                    assert await d.flush()
                await until(lambda: live.count("bin") == 5000 and live.count("dbin") == 5000)
                await until(lambda: live.count("now") == 1 and live.count("dcol") == 2)
            finally:
                await relay.stop()
                await relay.link.close()
            names = sorted(s.name for s in live.server.store.sessions.values())
            assert names == ["Direct — Play #1", "RelayGame — Play #1"]
            async with Viewer(nats_broker.url) as late:
                await until(lambda: late.count("dcol") == 2 and late.count("now") == 1)
                assert not late.source.progress.active
                for viewer in (live, late):
                    got = {n: await viewer.history(n) for n in ("u", "b", "uni", "imu/ax", "flag")}
                    assert (got["u"]["t"], got["u"]["v"]) == ([1.0], [5.0])
                    assert got["b"]["v"] == [2.0] and got["uni"]["t"] == [0.0, 0.5]
                    assert got["imu/ax"]["v"] == [9.0] and got["flag"]["v"] == [0.0]
                    b, d = await viewer.history("bin"), await viewer.history("dbin")
                    assert b["t"] == t.tolist() and b["v"] == v.tolist()
                    assert d["t"] == t.tolist() and d["v"] == (v * 2).tolist()
                    assert (await viewer.history("dcol"))["v"] == [3.0, None]
                    assert viewer.source.errors == 1  # the bad frame, counted on its source
                live_now, late_now = await live.history("now"), await late.history("now")
                assert live_now["t"] == late_now["t"]  # the relay's arrival time, not replay time
                assert sorted(s.name for s in late.server.store.sessions.values()) == names

    run(body)


def test_broker_restarted_mid_stream_loses_nothing(nats_broker: NatsBroker):
    """The broker stops and comes back (same store folder) while a producer keeps sending:
    the viewer resumes after the last frame it saw; every sample arrives once, in order."""

    async def body() -> None:
        async with Viewer(nats_broker.url) as viewer:
            assert await viewer.link.wait_connected(10)
            async with NatsStreamClient(nats_broker.url, source="soak", name="Soak") as p:
                for i in range(40):
                    if i == 15:
                        assert await p.flush()
                        await until(lambda: viewer.count("x") == 15 * 100)
                        nats_broker.stop()
                        await until(lambda: viewer.link.state != "connected")
                    if i == 25:
                        nats_broker.start()
                    await p.send_binary("x", *sent_binary(100, start=i * 0.1))
                    await asyncio.sleep(0.01)
                assert await p.flush(20)
                await until(lambda: viewer.count("x") == 4000, timeout=20)
            h = await viewer.history("x")
            chunks = [sent_binary(100, start=i * 0.1) for i in range(40)]
            assert h["t"] == np.concatenate([c[0] for c in chunks]).tolist()
            assert h["v"] == np.concatenate([c[1] for c in chunks]).tolist()
            assert viewer.link.disconnects >= 1 and viewer.source.errors == 0

    run(body)


def test_a_consumer_lost_on_the_broker_is_made_again_from_the_last_frame(
    nats_broker: NatsBroker,
):
    """The viewer reads the stream through a pull consumer in batches (a replay of 2,000
    frames in a few requests, not one callback each); when the broker drops that consumer
    (deleted, or expired while the viewer was away) it is made again after the last frame
    handled: every sample once, in order."""

    async def body() -> None:
        async with NatsStreamClient(nats_broker.url, source="held", name="Held") as p:
            for i in range(2000):
                await p.send_binary("x", *sent_binary(10, start=i * 0.01))
            assert await p.flush(20)
            async with Viewer(nats_broker.url) as viewer:
                await until(lambda: viewer.count("x") == 20_000, timeout=20)
                consumer = viewer.source._consumer
                assert consumer is not None and consumer.requests <= 10
                assert not viewer.source.progress.active
                assert viewer.link.js is not None
                await viewer.link.js.delete_consumer("STREAMSCOPE", consumer.name)
                for i in range(2000, 2100):
                    await p.send_binary("x", *sent_binary(10, start=i * 0.01))
                assert await p.flush(20)
                await until(lambda: viewer.count("x") == 21_000, timeout=30)
                assert viewer.source._consumer is not consumer  # made again
                h = await viewer.history("x")
                chunks = [sent_binary(10, start=i * 0.01) for i in range(2100)]
                assert h["t"] == np.concatenate([c[0] for c in chunks]).tolist()
                assert viewer.source.duplicates == 0 and viewer.source.errors == 0

    run(body)


def test_commands_reach_the_producers(nats_broker: NatsBroker):
    """The app's commands (the stream browser's pause/resume) reach a relay client and a
    direct publisher."""

    async def body() -> None:
        async with Viewer(nats_broker.url) as viewer:
            relay = RelayServer(BrokerLink(BrokerOptions(nats_broker.url)), "127.0.0.1", 0)
            relay.link.start()
            await relay.start()
            try:
                async with (
                    StreamClient(relay.url, name="R") as c,
                    NatsStreamClient(nats_broker.url, source="d", name="D") as d,
                ):
                    await c.send_sample("fps", 60.0, t=1.0)
                    await d.send_sample("hp", 1.0, t=1.0)
                    await until(lambda: viewer.count("fps") == 1 and viewer.count("hp") == 1)
                    store = viewer.server.store
                    sid = {s.product: s.id for s in store.sessions.values()}
                    stop = {"type": "stop_streaming", "metric": "fps"}
                    assert viewer.source.send_command(sid["R"], stop)
                    assert await c.receive("stop_streaming") == stop
                    start = {"type": "start_streaming", "metric": "hp"}
                    assert viewer.source.send_command(sid["D"], start)
                    assert await d.command() == start
                    assert not viewer.source.send_command("no such session", stop)
                # the relay client left: its session ends as after a WebSocket close
                await until(lambda: store.sessions[sid["R"]].ended is not None)
            finally:
                await relay.stop()
                await relay.link.close()

    run(body)


def test_malformed_frames_are_counted_per_source_and_cost_no_valid_data(nats_broker):
    async def body() -> None:
        async with Viewer(nats_broker.url) as viewer:
            async with NatsStreamClient(nats_broker.url, source="bad") as p:
                await p.send_raw(b"{oops")
                await p.send_raw(b"SSB1\x05")
                await p.send([{"streamId": "ok", "timestamp": 1, "value": 1},
                              {"streamId": "ok", "value": "no"}])  # fmt: skip
                await p.send_sample("ok", 2.0, t=2.0)
                assert await p.flush()
            await until(lambda: viewer.count("ok") == 2)
            state = viewer.source.sources["bad"]
            assert state.errors == 3 and state.frames == 4
            assert "is not a number" in state.last_error
            assert (await viewer.history("ok"))["v"] == [1.0, 2.0]

    run(body)


def test_without_jetstream_the_viewer_is_live_only_and_says_so(tmp_path):
    broker = NatsBroker(tmp_path, jetstream=False).start()
    try:

        async def body() -> None:
            async with Viewer(broker.url) as viewer:
                assert await viewer.link.wait_connected(10)
                assert viewer.link.jetstream is False
                assert viewer.source.status() == "NATS: live only (no JetStream)"
                async with NatsStreamClient(broker.url, source="p") as p:
                    await p.send_binary("x", *sent_binary(10))
                    assert await p.flush()
                await until(lambda: viewer.count("x") == 10)

        run(body)
    finally:
        broker.stop()


def test_unreachable_broker_is_retried_and_websocket_ingest_goes_on(tmp_path):
    broker = NatsBroker(tmp_path / "js")  # not started yet

    async def body() -> None:
        async with Viewer(broker.url) as viewer:
            await until(lambda: viewer.link.state == "unreachable")
            assert "unreachable" in viewer.source.status()
            async with StreamClient(viewer.server.url, name="WS") as c:  # unaffected
                await c.send_sample("ws", 1.0, t=1.0)
                assert (await history(c, "ws"))["v"] == [1.0]
            broker.start()
            await until(lambda: viewer.link.state == "connected", timeout=20)
            async with NatsStreamClient(broker.url, source="p") as p:
                await p.send_sample("late", 2.0, t=1.0)
            await until(lambda: viewer.count("late") == 1)

    try:
        run(body)
    finally:
        broker.stop()


def test_credentials_work_and_are_never_logged(tmp_path, caplog):
    secret = "s3cr3t-pa55"
    broker = NatsBroker(tmp_path / "js", True, "--user", "team", "--pass", secret).start()
    caplog.set_level(logging.DEBUG)

    async def body() -> None:
        good = f"nats://team:{secret}@127.0.0.1:{broker.port}"
        async with Viewer(good) as viewer:
            assert await viewer.link.wait_connected(10)
            assert secret not in viewer.link.detail
            async with NatsStreamClient(good, source="p") as p:
                await p.send_sample("x", 1.0, t=1.0)
            await until(lambda: viewer.count("x") == 1)
        wrong = f"nats://team:wrong-{secret}@127.0.0.1:{broker.port}"
        async with Viewer(wrong) as refused:
            await until(lambda: refused.link.state == "unreachable")
            assert secret not in refused.link.detail and "***" in refused.link.where

    try:
        run(body)
    finally:
        broker.stop()
    assert caplog.records and not any(secret in r.getMessage() for r in caplog.records)


def test_a_credentials_file_is_accepted_and_its_seed_never_logged(tmp_path, caplog):
    """``--nats-creds FILE`` (a JWT and an NKey seed) against a broker in operator mode; a
    file from another operator is refused and the viewer says the broker is unreachable."""
    pytest.importorskip("nkeys")
    from support.nats_creds import make_creds

    config, creds, seed = make_creds(tmp_path)
    (tmp_path / "other").mkdir()
    _, foreign, _ = make_creds(tmp_path / "other")
    broker = NatsBroker(tmp_path / "js", False, config=config).start()
    caplog.set_level(logging.DEBUG)

    async def body() -> None:
        server = IngestServer(Store(), "127.0.0.1", 0)
        link = BrokerLink(BrokerOptions(broker.url, creds=str(creds)))
        source = NatsSource(link, server, Replay("none"))
        link.start()
        try:
            assert await link.wait_connected(10) and link.jetstream is False
            async with NatsStreamClient(broker.url, source="p", creds=str(creds)) as p:
                await p.send_sample("x", 1.0, t=1.0)
                await until(lambda: server.store.total_samples == 1)
        finally:
            await source.close()
            await link.close()
        refused = BrokerLink(BrokerOptions(broker.url, creds=str(foreign)))
        refused.start()
        try:
            await until(lambda: refused.state == "unreachable")
        finally:
            await refused.close()

    try:
        run(body)
    finally:
        broker.stop()
    assert caplog.records and not any(seed in r.getMessage() for r in caplog.records)


def test_tls_with_a_private_ca_delivers_exactly_and_without_it_says_not_trusted(tmp_path, caplog):
    """``tls://`` with ``--nats-ca``: a producer's samples arrive exactly. Without the CA (the
    system's CAs do not know it): state ``untrusted``, the reason names the option, retried,
    and no traceback in the log."""
    from support.nats_tls import make_tls

    config, ca = make_tls(tmp_path)
    broker = NatsBroker(tmp_path / "js", config=config, scheme="tls").start()
    caplog.set_level(logging.DEBUG)
    t, v = sent_binary(5000)

    async def body() -> None:
        async with Viewer(broker.url, ca=str(ca)) as viewer:
            assert await viewer.link.wait_connected(10) and viewer.link.jetstream
            async with NatsStreamClient(broker.url, source="p", ca=str(ca)) as p:
                await p.send_binary("x", t, v)
                assert await p.flush()
            await until(lambda: viewer.count("x") == 5000)
            got = await viewer.history("x")
            assert got["t"] == t.tolist() and got["v"] == v.tolist()
        async with Viewer(broker.url) as blind:
            await until(lambda: "retry in" in blind.link.detail)
            assert blind.link.state == "untrusted" and UNTRUSTED in blind.link.detail
            assert blind.source.status() == "NATS: TLS not trusted"
            await until(lambda: "retry in 1 s" in blind.link.detail)  # backing off, not given up
            assert blind.count("x") == 0

    try:
        run(body)
    finally:
        broker.stop()
    assert any(UNTRUSTED in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert not any(r.exc_info for r in caplog.records)


def test_a_broker_that_verifies_clients_takes_nats_cert_and_key(tmp_path):
    from support.nats_tls import make_tls

    config, ca = make_tls(tmp_path, verify_clients=True)
    broker = NatsBroker(tmp_path / "js", False, config=config, scheme="tls").start()
    cert, key = str(tmp_path / "client.pem"), str(tmp_path / "client.key")

    async def body() -> None:
        async with Viewer(broker.url, ca=str(ca), cert=cert, key=key) as viewer:
            assert await viewer.link.wait_connected(10)
        async with Viewer(broker.url, ca=str(ca)) as refused:
            await until(lambda: "retry in" in refused.link.detail)
            assert refused.link.state == "unreachable" and refused.link.nc is None
            # TLS 1.3: the broker's refusal may come after the handshake, when the client has
            # already written; then the connection just breaks and the reason is the OS's
            reasons = (CLIENT_REFUSED, "BrokenPipeError", "ConnectionResetError")
            assert any(r in refused.link.detail for r in reasons), refused.link.detail

    try:
        run(body)
    finally:
        broker.stop()


def test_tls_files_that_cannot_work_are_refused_with_the_reason(tmp_path, capsys):
    from streamscope.cli import relay

    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    url = "tls://127.0.0.1:4222"
    with pytest.raises(BrokerError, match=r"--nats-ca: no such file: .*missing\.pem"):
        BrokerLink(BrokerOptions(url, ca=str(tmp_path / "missing.pem")))
    with pytest.raises(BrokerError, match=r"--nats-ca: no PEM certificate in .*junk\.pem"):
        BrokerLink(BrokerOptions(url, ca=str(junk)))
    with pytest.raises(BrokerError, match="not a PEM certificate and its matching private key"):
        BrokerLink(BrokerOptions(url, cert=str(junk), key=str(junk)))
    with pytest.raises(BrokerError, match="--nats-key needs --nats-cert"):
        BrokerLink(BrokerOptions(url, key=str(junk)))
    assert relay.main(["--nats", url, "--nats-ca", str(tmp_path / "missing.pem")]) == 2
    err = capsys.readouterr().err
    assert "streamscope relay: --nats-ca: no such file" in err and "Traceback" not in err


async def _start_tool(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    """``python -m streamscope <args>`` from this checkout, and its first line of output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "streamscope", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=child_env(),
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line, (await proc.stderr.read()).decode() if proc.stderr else "no output"
    return proc, line.decode()


async def _sigterm(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, err.decode(errors="replace")


def test_relay_and_central_recorder_processes(nats_broker: NatsBroker, tmp_path):
    """``streamscope relay`` and ``streamscope record`` as processes: a client on the relay and
    a direct publisher end up in the recorder's file, every sample exact; both exit 0 on
    SIGTERM with everything committed."""
    folder = tmp_path / "central"

    async def body() -> None:
        recorder, line = await _start_tool(
            "record", "--nats", nats_broker.url, "--record", str(folder)
        )
        path = Path(line.rsplit("-> ", 1)[1].strip())
        started.append(recorder)
        relay, line = await _start_tool("relay", "--nats", nats_broker.url, "--port", "0")
        started.append(relay)
        url = line.split()[2]
        t, v = sent_binary(20_000)
        async with StreamClient(url, name="Relayed") as c:
            for i in range(0, 20_000, 1000):
                await c.send_binary("r", t[i : i + 1000], v[i : i + 1000])
            await c.send_sample("late", 1.0, t=30.0)
        async with NatsStreamClient(nats_broker.url, source="direct", name="Direct") as d:
            await d.send_series("d", t[:500], v[:500])
            assert await d.flush()

        def complete() -> bool:
            try:
                with Recording(path) as rec:
                    return rec.total_samples == 20_501
            except RecordingError:
                return False

        await until(complete, timeout=30)
        for proc in (relay, recorder):
            code, err = await _sigterm(proc)
            assert code == 0, err
        with Recording(path) as rec:
            names = sorted(s.name for s in rec.sessions)
            assert names == ["Direct — Play #1", "Relayed — Play #1"]
            assert all(s.ended is not None for s in rec.sessions)
            by = {(s.product, st.name): st for s in rec.sessions for st in s.streams}
            rt, rv = rec.read(by["Relayed", "r"])
            assert rt.tolist() == t.tolist() and rv.tolist() == v.tolist()
            dt_, dv = rec.read(by["Direct", "d"])
            assert dt_.tolist() == t[:500].tolist() and dv.tolist() == v[:500].tolist()

    started: list[asyncio.subprocess.Process] = []
    try:
        run(body, timeout=120)
    finally:
        for proc in started:  # a failed run leaves no process behind
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()


def test_the_relay_admits_clients_like_the_app(nats_broker: NatsBroker):
    """Same Origin and token rules as the app's server (guard.py), before the handshake."""
    from test_access import status_of

    async def body() -> None:
        access = ServerSettings(token="tok")
        relay = RelayServer(
            BrokerLink(BrokerOptions(nats_broker.url)), "127.0.0.1", 0, settings=access
        )
        relay.link.start()
        await relay.start()
        try:
            assert (await status_of(relay.url))[0] == 401
            page = {"Origin": "http://evil.example", "Authorization": "Bearer tok"}
            assert (await status_of(relay.url, page))[0] == 403
            async with StreamClient(relay.url + "/?token=tok", name="T") as c:
                await c.send_sample("x", 1.0, t=1.0)
                stats = await c.request({"type": "get_stats"}, "stats")
                assert stats["relay"] and stats["frames_in"] == 3  # hello, sample, get_stats
        finally:
            await relay.stop()
            await relay.link.close()
        with pytest.raises(ServerConfigError):  # beyond loopback without a token: refused
            await RelayServer(relay.link, "0.0.0.0", 0).start()

    run(body)


def test_replay_none_skips_what_the_stream_held(nats_broker: NatsBroker):
    async def body() -> None:
        async with NatsStreamClient(nats_broker.url, source="p") as p:
            await p.send_sample("old", 1.0, t=1.0)
            assert await p.flush()
            async with Viewer(nats_broker.url, replay="none") as viewer:
                assert await viewer.link.wait_connected(10)
                await until(lambda: viewer.source._sub is not None)
                await p.send_sample("new", 2.0, t=2.0)
                await until(lambda: viewer.count("new") == 1)
                assert viewer.count("old") == 0
            async with Viewer(nats_broker.url, replay="60") as recent:
                await until(lambda: recent.count("new") == 1 and recent.count("old") == 1)

    run(body)
