"""Who may connect: browser pages (Origin), tokens, exposure beyond loopback, client count."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from streamscope.core.store.store import Store
from streamscope.ingest.client import StreamClient
from streamscope.ingest.guard import (
    ServerConfigError,
    ServerSettings,
    admit,
    is_loopback,
    own_origins,
)
from streamscope.ingest.server import IngestServer
from support.paths import child_env
from support.server import serve


async def status_of(url: str, headers: dict | None = None) -> tuple[int, str]:
    """The HTTP status a connection attempt gets (101 = accepted) and the body."""
    try:
        async with connect(url, additional_headers=headers or {}) as ws:
            await ws.recv()  # initial_configuration: really served
            return 101, ""
    except InvalidStatus as e:
        return e.response.status_code, e.response.body.decode()


def test_browser_pages_are_refused_with_403_and_logged(caplog):
    async def body(server):
        evil = await status_of(server.url, {"Origin": "https://evil.example"})
        local_page = await status_of(server.url, {"Origin": "http://localhost:3000"})
        no_origin = await status_of(server.url)  # Unity, scripts: no Origin header
        return evil, local_page, no_origin, dict(server.rejected), len(server.store.sessions)

    with caplog.at_level(logging.WARNING, "streamscope.ingest.server"):
        evil, local_page, no_origin, rejected, sessions = serve(body)
    assert evil[0] == 403 and "--allow-origin https://evil.example" in evil[1]
    assert "a web page at https://evil.example" in evil[1] and "suppress_origin" in evil[1]
    assert local_page[0] == 403  # even a page served from localhost: it is still a web page
    assert no_origin[0] == 101
    assert rejected == {403: 2} and sessions == 0
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 2 and all("HTTP 403" in m for m in refusals)


async def handshake(port: int, origin: str, host: str = "127.0.0.1") -> bytes:
    """The status line a raw opening request with this Origin (and Host) gets, as
    websocket-client writes it by default."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    return head.split(b"\r\n")[0]


def test_the_apps_own_address_as_origin_is_accepted_others_refused():
    """Python's websocket-client sends ``Origin: http://<host>:<port>`` of the server itself."""

    async def body(server):
        port = server.port
        own = {
            name: await status_of(f"ws://{name}:{port}", {"Origin": f"http://{name}:{port}"})
            for name in ("127.0.0.1", "localhost")
        }
        async with connect(server.url, origin=f"http://127.0.0.1:{port}") as ws:
            await ws.send('{"type":"hello","name":"wsclient"}')
            await ws.send('{"streamId":"x","timestamp":1,"value":2}')
            await ws.send('{"type":"list_streams"}')
            while (reply := orjson.loads(await ws.recv()))["type"] != "streams":
                pass
        raw = await handshake(port, f"http://127.0.0.1:{port}")
        refused = {
            "other port": await status_of(server.url, {"Origin": f"http://127.0.0.1:{port + 1}"}),
            "https": await status_of(server.url, {"Origin": f"https://127.0.0.1:{port}"}),
            "rebinding name": await status_of(
                server.url, {"Origin": f"http://evil.example:{port}"}
            ),
            "page on another port": await status_of(
                server.url, {"Origin": "http://localhost:3000"}
            ),
            "no port": await status_of(server.url, {"Origin": "http://127.0.0.1"}),
        }
        raw_foreign = await handshake(port, f"http://evil.example:{port}", host="evil.example")
        return own, reply, raw, refused, raw_foreign

    own, reply, raw, refused, raw_foreign = serve(body)
    assert {k: v[0] for k, v in own.items()} == {"127.0.0.1": 101, "localhost": 101}
    assert [(s["session_name"], s["name"]) for s in reply["streams"]] == [
        ("wsclient — Play #1", "x")
    ]
    assert raw == b"HTTP/1.1 101 Switching Protocols" and raw_foreign.startswith(b"HTTP/1.1 403")
    assert {k: v[0] for k, v in refused.items()} == dict.fromkeys(refused, 403)


@pytest.mark.parametrize(
    ("host", "port", "origin", "ok"),
    [
        ("127.0.0.1", 8765, "http://[::1]:8765", True),
        ("127.0.0.1", 8765, "HTTP://LOCALHOST:8765", True),
        ("myhost.lan", 8765, "http://myhost.lan:8765", True),
        ("::1", 8765, "http://[::1]:8765", True),
        ("127.0.0.1", 80, "http://127.0.0.1", True),
        ("0.0.0.0", 8765, "http://0.0.0.0:8765", False),
        ("127.0.0.1", 8765, "http://myhost.lan:8765", False),
        ("127.0.0.1", 8765, "null", False),
    ],
)
def test_own_origins(host, port, origin, ok):
    from websockets.datastructures import Headers

    refusal = admit(Headers(Origin=origin), "/", ServerSettings(), own_origins(host, port))
    assert (refusal is None) is ok


def test_allowed_origins_may_connect():
    async def body(server):
        return (
            await status_of(server.url, {"Origin": "http://localhost:3000"}),
            await status_of(server.url, {"Origin": "http://localhost:3001"}),
        )

    ok, other = serve(body, allowed_origins=("http://localhost:3000",))
    assert ok[0] == 101 and other[0] == 403


def test_token_is_required_by_header_or_query(caplog):
    async def body(server):
        base = server.url
        got = {
            "none": await status_of(base),
            "wrong": await status_of(base, {"Authorization": "Bearer nope"}),
            "header": await status_of(base, {"Authorization": "Bearer s3cret"}),
            "query": await status_of(base + "/?token=s3cret"),
            "wrong query": await status_of(base + "/?token=s3cre"),
        }
        async with StreamClient(base + "/?token=s3cret", name="G") as c:
            await c.send_sample("x", 1.0, t=1)
            reply = await c.request(
                {"type": "request_historical_data", "stream": "x"}, "historical_data"
            )
        return got, reply

    with caplog.at_level(logging.WARNING, "streamscope.ingest.server"):
        got, reply = serve(body, token="s3cret")
    assert {k: v[0] for k, v in got.items()} == {
        "none": 401, "wrong": 401, "header": 101, "query": 101, "wrong query": 401,
    }  # fmt: skip
    assert "Authorization: Bearer" in got["none"][1]
    assert reply["type"] == "historical_data" and reply["v"] == [1.0]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert logged.count("HTTP 401") == 3 and "s3cret" not in logged


def test_too_many_clients_get_503_and_the_others_are_served():
    async def body(server):
        async with StreamClient(server.url) as a, StreamClient(server.url) as b:
            third = await status_of(server.url)
            await a.send_sample("x", 1.0, t=1)
            await b.send_sample("y", 2.0, t=1)
            reply = await a.request({"type": "list_streams"}, "streams")
        return third, reply

    third, reply = serve(body, max_connections=2)
    assert third[0] == 503 and "Too many clients" in third[1]
    assert {s["name"] for s in reply["streams"]} >= {"x"}


@pytest.mark.parametrize(
    "host,loop",
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.1.2.3", True),
     ("0.0.0.0", False), ("", False), ("::", False), ("192.168.1.5", False),
     ("myhost.lan", False)],
)  # fmt: skip
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop


def test_exposed_host_without_token_refuses_to_start_before_binding():
    async def main():
        server = IngestServer(Store(), "0.0.0.0", 0)
        with pytest.raises(ServerConfigError, match="--token"):
            await server.start()
        assert server._server is None  # nothing was bound

    asyncio.run(main())


def test_cli_refuses_an_exposed_host_without_token():
    env = child_env()
    env.pop("STREAMSCOPE_TOKEN", None)
    r = subprocess.run(
        [sys.executable, "-m", "streamscope", "--host", "0.0.0.0", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "--token" in r.stderr and "127.0.0.1" in r.stderr


def test_status_bar_warns_when_exposed(qtbot, qloop):
    from streamscope.app import AppOptions, StreamScope

    # Not started: the label is decided by the options, and no port is opened on the network.
    exposed = StreamScope(AppOptions(host="0.0.0.0", port=0, token="t"))
    local = StreamScope(AppOptions(port=0))
    for scope in (exposed, local):
        qtbot.addWidget(scope.window)
    label = exposed.window.health.exposed
    assert not label.isHidden() and "Exposed" in label.text() and "0.0.0.0" in label.text()
    assert "token required" in label.text() and "127.0.0.1" in label.toolTip()
    assert local.window.health.exposed.isHidden()


def test_status_bar_tooltip_names_the_refused_origin_and_the_flag(qtbot, qloop):
    from streamscope.app import AppOptions, StreamScope

    scope = StreamScope(AppOptions(port=0))
    qtbot.addWidget(scope.window)
    qloop.run_until_complete(scope.start())
    try:
        url = scope.server.url
        got = qloop.run_until_complete(status_of(url, {"Origin": "https://evil.example"}))
        assert got[0] == 403
        scope.window.health.update(force=True)
        label = scope.window.health.memory
        assert "1 refused" in label.text()
        tip = label.toolTip()
        assert "a web page at https://evil.example" in tip
        assert "--allow-origin https://evil.example" in tip
    finally:
        qloop.run_until_complete(scope.stop())


def test_the_token_never_appears_in_the_log_even_at_debug(caplog):
    async def body(server):
        await status_of(server.url, {"Authorization": "Bearer s3cret"})
        await status_of(server.url + "/?token=s3cret")
        await status_of(server.url + "/?token=wrong-guess")
        async with StreamClient(server.url, token="s3cret") as c:
            await c.send_sample("x", 1.0, t=1)

    with caplog.at_level(logging.DEBUG):
        serve(body, token="s3cret")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /?token=[redacted]" in text and "Authorization: [redacted]" in text
    assert "s3cret" not in text and "wrong-guess" not in text


def test_repeated_wrong_tokens_from_one_address_are_slowed_down():
    async def body(server):
        wrong = [await status_of(server.url, {"Authorization": "Bearer no"}) for _ in range(3)]
        locked = await status_of(server.url, {"Authorization": "Bearer s3cret"})
        return [w[0] for w in wrong], locked

    wrong, locked = serve(body, token="s3cret", token_failures_allowed=3)
    assert wrong == [401, 401, 401]
    assert locked[0] == 429 and "Too many wrong tokens from 127.0.0.1" in locked[1]


def test_token_lockout_doubles_and_a_right_token_clears_it():
    from streamscope.ingest.guard import TokenLockout

    lock = TokenLockout(allowed=2, longest=5.0)
    lock.failed("a", now=0.0)
    assert lock.locked("a", 0.0) == 0.0  # one wrong token: no delay
    lock.failed("a", now=0.0)
    assert lock.locked("a", 0.5) == 0.5 and lock.locked("b", 0.5) == 0.0
    lock.failed("a", now=1.0)
    lock.failed("a", now=1.0)
    assert lock.locked("a", 1.0) == 4.0  # 1, 2, 4, ... up to 5 s
    lock.failed("a", now=1.0)
    assert lock.locked("a", 1.0) == 5.0
    lock.succeeded("a")
    assert lock.locked("a", 1.0) == 0.0


def test_token_from_a_file_or_the_environment(tmp_path, monkeypatch):
    from streamscope.cli.listen_args import token_of as _token
    from streamscope.cli.main import build_parser

    path = tmp_path / "token"
    path.write_text("from-file\n")
    monkeypatch.setenv("STREAMSCOPE_TOKEN", "from-env")
    assert _token(build_parser().parse_args([])) == "from-env"
    assert _token(build_parser().parse_args(["--token-file", str(path)])) == "from-file"
    assert _token(build_parser().parse_args(["--token", "flag"])) == "flag"
    with pytest.raises(ValueError, match="not both"):
        _token(build_parser().parse_args(["--token", "flag", "--token-file", str(path)]))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        _token(build_parser().parse_args(["--token-file", str(tmp_path / "empty")]))


def test_the_demo_uses_the_token_it_was_given(qtbot, qloop):
    from streamscope.app import AppOptions, StreamScope
    from support.qt import loop_until

    scope = StreamScope(AppOptions(port=0, demo=True, token="s3cret"))
    qtbot.addWidget(scope.window)
    qloop.run_until_complete(scope.start())
    try:
        loop_until(qloop, lambda: scope.store.find("fps") is not None, 10, "the demo's fps")
        assert scope.server.rejected == {}
    finally:
        qloop.run_until_complete(scope.stop())


def test_the_relay_takes_the_apps_listening_options(tmp_path):
    """A relay admits clients as the app does: same token sources, idle timeout, origins."""
    from streamscope.cli.listen_args import token_of
    from streamscope.cli.main import build_parser as app_parser
    from streamscope.cli.relay import build_parser as relay_parser

    path = tmp_path / "token"
    path.write_text("from-file\n")
    argv = ["--token-file", str(path), "--idle-timeout", "5", "--allow-origin", "http://a:1"]
    app = app_parser().parse_args(argv)
    relay = relay_parser().parse_args([*argv, "--nats", "nats://127.0.0.1:4222"])
    for args in (app, relay):
        assert token_of(args) == "from-file"
        assert (args.idle_timeout, args.allow_origin) == (5.0, ["http://a:1"])
